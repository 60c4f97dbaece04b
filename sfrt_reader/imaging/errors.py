"""Errors of the DICOM layer: each names the file or series and the reason, never a patient identifier."""

from __future__ import annotations

from sfrt_reader.errors import SfrtError


class ImagingError(SfrtError):
    """A file, folder or series that cannot be used as asked."""
