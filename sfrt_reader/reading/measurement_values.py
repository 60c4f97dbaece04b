"""Numbers of a measurement: validation, and the key numbers read from the measurement objects' dicts."""

from __future__ import annotations

from typing import Any

from sfrt_reader.reading.errors import WorkflowError


def as_number(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise WorkflowError(f"{name} must be a number")
    return float(value)


def number_from_objects(objects: list[dict[str, Any]], paths: tuple[tuple[str, ...], ...]) -> float | None:
    """The first number found at one of `paths` in the measurement objects' dicts (their to_dict() form).

    Paths, not classes: the reading layer stores the measurement objects as JSON and must not depend on their
    Python classes; a line has `length_mm`, a bidimensional `long_mm`/`short_mm`, a segmentation's metrics nest
    their `longest_axial` and `short_axis` lines, region statistics and metrics have `mean`.
    """
    for path in paths:
        for obj in objects:
            value: Any = obj
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


DIAMETER_PATHS = (("longest_axial", "length_mm"), ("long_mm",), ("longest_axial_diameter_mm",), ("length_mm",))
SHORT_AXIS_PATHS = (("short_axis", "length_mm"), ("short_mm",), ("short_axis_mm",))
MEAN_PATHS = (("mean",),)
VOLUME_PATHS = (("volume_ml",),)
