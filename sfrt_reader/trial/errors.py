"""Errors of the trial protocol layer: a protocol file that cannot be used, a scan date that fits no window."""

from __future__ import annotations

from sfrt_reader.errors import SfrtError


class ProtocolError(SfrtError):
    """A protocol file is missing, malformed or self-contradictory."""


class TimepointWindowError(ProtocolError):
    """A study date falls in no protocol window, so its timepoint must be assigned by hand."""
