"""One place that turns a stored measurement dict back into its object, and says what of it can be drawn.

Every measurement object carries a "kind" in its `to_dict()`; the reading database, the PDF, the key images and the
DICOM SR all receive those dicts. Before this module each of them switched on "kind" by hand, and a new kind (or a
renamed field) had to be found in every switch. Now `measurement_from_dict` is the single dispatcher: it refuses an
unknown kind with a clear message, and `drawn_parts` gives the LPS outlines of any measurement for whoever draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import Point
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.measurement.lesion_metrics import SegmentationResult
from sfrt_reader.measurement.lines import Bidimensional, Line
from sfrt_reader.measurement.regions import (
    EllipseRegion,
    FreehandRegion,
    PolygonRegion,
    RegionStatistics,
)

Measurement = (
    Line
    | Bidimensional
    | EllipseRegion
    | PolygonRegion
    | FreehandRegion
    | RegionStatistics
    | LesionSegmentation
    | SegmentationResult
)

MEASUREMENT_TYPES: dict[str, type[Any]] = {
    cls.KIND: cls
    for cls in (
        Line,
        Bidimensional,
        EllipseRegion,
        PolygonRegion,
        FreehandRegion,
        RegionStatistics,
        LesionSegmentation,
        SegmentationResult,
    )
}


def measurement_from_dict(data: dict[str, Any]) -> Measurement:
    """The measurement object a `to_dict()` produced, chosen by its "kind".

    Raises MeasurementError for a missing or unknown kind and for a dict whose fields do not make a valid
    measurement (a missing field is reported by name, never as a bare KeyError)."""
    if not isinstance(data, dict):
        raise MeasurementError(f"a stored measurement must be a JSON object, got {type(data).__name__}")
    kind = data.get("kind")
    cls = MEASUREMENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(sorted(MEASUREMENT_TYPES))
        raise MeasurementError(f"unknown measurement kind {kind!r}: expected one of {known}")
    try:
        result: Measurement = cls.from_dict(data)
    except KeyError as error:
        raise MeasurementError(f"the stored {kind} measurement lacks the field {error.args[0]!r}") from error
    except (TypeError, ValueError) as error:
        raise MeasurementError(f"the stored {kind} measurement is malformed: {error}") from error
    return result


@dataclass(frozen=True)
class DrawnPart:
    """One drawable piece of a measurement: its role ("long", "short", "line" or "region"), its LPS points, whether
    the outline is closed, and the SOP Instance UID of the image it was made on ("" when it spans slices)."""

    name: str
    points: tuple[Point, ...]
    closed: bool
    sop_instance_uid: str


ELLIPSE_OUTLINE_POINTS = 64


def ellipse_outline(region: EllipseRegion, n: int = ELLIPSE_OUTLINE_POINTS) -> tuple[Point, ...]:
    """n points around the ellipse (LPS), enough for a smooth outline on a key image."""
    c = np.asarray(region.center)
    u = np.asarray(region.axis_end_1) - c
    v = np.asarray(region.axis_end_2) - c
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    pts = c + np.outer(np.cos(t), u) + np.outer(np.sin(t), v)
    return tuple((float(p[0]), float(p[1]), float(p[2])) for p in pts)


def _line_part(name: str, line: Line) -> DrawnPart:
    return DrawnPart(name, (line.start, line.end), False, line.ref.sop_instance_uid)


def _region_part(region: EllipseRegion | PolygonRegion) -> DrawnPart:
    points = ellipse_outline(region) if isinstance(region, EllipseRegion) else region.points
    return DrawnPart("region", points, True, region.ref.sop_instance_uid)


def drawn_parts(measurement: Measurement) -> list[DrawnPart]:
    """What of a measurement a viewer or a key image draws; a 3-D mask alone has no outline to draw here."""
    if isinstance(measurement, Line):
        return [_line_part("line", measurement)]
    if isinstance(measurement, Bidimensional):
        return [_line_part("long", measurement.long_axis), _line_part("short", measurement.short_axis)]
    if isinstance(measurement, SegmentationResult):
        return [_line_part("long", measurement.longest_axial), _line_part("short", measurement.short_axis)]
    if isinstance(measurement, RegionStatistics):
        return [_region_part(measurement.region)]
    if isinstance(measurement, EllipseRegion | PolygonRegion):
        return [_region_part(measurement)]
    return []
