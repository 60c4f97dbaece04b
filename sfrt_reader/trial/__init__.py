"""The trial protocol: schedule and windows, criteria options, reading paradigm, read from TOML."""

from sfrt_reader.trial.errors import ProtocolError, TimepointWindowError
from sfrt_reader.trial.options import CriteriaOptions
from sfrt_reader.trial.protocol import Protocol, Timepoint, bundled_protocols, load_protocol, parse_protocol
from sfrt_reader.trial.schedule import add_months, assign_timepoint, windows_for

__all__ = [
    "CriteriaOptions",
    "Protocol",
    "ProtocolError",
    "Timepoint",
    "TimepointWindowError",
    "add_months",
    "assign_timepoint",
    "bundled_protocols",
    "load_protocol",
    "parse_protocol",
    "windows_for",
]
