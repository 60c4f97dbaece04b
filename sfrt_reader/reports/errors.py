"""Errors a user can cause when making forms and exports (an unsigned timepoint, missing images, a foreign SR)."""

from __future__ import annotations

from sfrt_reader.errors import SfrtError


class ReportError(SfrtError):
    """A form, table or SR cannot be made or read back; the message says why and what to do."""
