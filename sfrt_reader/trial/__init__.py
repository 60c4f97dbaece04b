"""The trial protocol: schedule, windows, criteria options and reading paradigm, read from TOML."""
