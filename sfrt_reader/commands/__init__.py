"""One module per `sfrt-reader` sub-command.

Each module defines NAME (the sub-command), HELP (one line), `add_arguments(parser)` and `run(args) -> int`.
`sfrt_reader.cli` discovers them, so adding a command never touches a shared file. Heavy imports (numpy,
SimpleITK, Qt) belong inside `run`, so that `sfrt-reader --help` stays instant.
"""
