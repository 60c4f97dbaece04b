"""Errors of the measurement layer.

Every message says what is wrong with the measurement and what the reader should do instead, in millimetres and
slice numbers a radiologist can act on, and never contains a patient identifier (only coordinates and counts).
"""

from __future__ import annotations

from sfrt_reader.errors import SfrtError


class MeasurementError(SfrtError):
    """A measurement that cannot be made as asked: point outside the image, degenerate region, bad short axis,
    a seed that is not inside a lesion."""
