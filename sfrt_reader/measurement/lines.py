"""Lengths a reader draws: a line (longest diameter) and a bidimensional pair (long axis + short axis).

Lengths are Euclidean distances between the two LPS end points, so they are true millimetres whatever the pixel
spacing, orientation or gantry tilt: the Volume already turned indices into patient positions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import Point, SliceRef, as_point, check_inside, format_point, slice_ref

# Shortest line we accept: below this the two clicks coincide and no diameter was drawn.
MIN_LENGTH_MM = 1e-3
# RECIST: the short axis is the longest diameter perpendicular to the long axis; readers draw it by hand.
PERPENDICULAR_TOLERANCE_DEG = 5.0
# The two axes must cross: their closest points must be this close (mm), and inside both segments.
CROSSING_TOLERANCE_MM = 0.5


@dataclass(frozen=True)
class Line:
    """A straight segment between two LPS points, e.g. a longest diameter; `length_mm` is exact."""

    KIND: ClassVar[str] = "line"
    start: Point
    end: Point
    ref: SliceRef = field(default_factory=SliceRef)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_point(self.start, "line start"))
        object.__setattr__(self, "end", as_point(self.end, "line end"))
        if self.length_mm < MIN_LENGTH_MM:
            raise MeasurementError(
                f"the line's two end points coincide at {format_point(self.start)}: drag from one edge to the other"
            )

    @property
    def length_mm(self) -> float:
        return math.dist(self.start, self.end)

    @property
    def direction(self) -> np.ndarray:
        """Unit vector from start to end."""
        d = np.subtract(self.end, self.start)
        return np.asarray(d / np.linalg.norm(d), dtype=np.float64)

    @property
    def midpoint(self) -> Point:
        s, e = self.start, self.end
        return ((s[0] + e[0]) / 2, (s[1] + e[1]) / 2, (s[2] + e[2]) / 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.KIND,
            "start": list(self.start),
            "end": list(self.end),
            "length_mm": self.length_mm,
            **self.ref.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Line:
        _expect_kind(data, cls.KIND)
        return cls(start=as_point(data["start"]), end=as_point(data["end"]), ref=SliceRef.from_dict(data))


def measure_line(volume: Volume, start: Sequence[float], end: Sequence[float]) -> Line:
    """A Line between two LPS points of the volume, referenced to the slice nearest its midpoint.

    When both ends lie on one acquired slice (the usual case of a diameter drawn on an image) the line keeps
    that slice's SOP Instance UID; a line across slices keeps the series only.
    """
    a = as_point(start, "line start")
    b = as_point(end, "line end")
    ijk = check_inside(volume, [a, b], "line end")
    ka, kb = (round(float(v)) for v in ijk[:, 2])
    k = ka if ka == kb else None
    return Line(a, b, slice_ref(volume, k))


def line_from_index(volume: Volume, k: int, start_ij: Sequence[float], end_ij: Sequence[float]) -> Line:
    """A Line between two (column, row) positions on slice k, e.g. clicks on a displayed image."""
    if not 0 <= k < volume.shape[0]:
        raise MeasurementError(f"slice {k + 1} does not exist: the series has {volume.shape[0]} slices")
    pts = volume.index_to_lps(np.array([[start_ij[0], start_ij[1], k], [end_ij[0], end_ij[1], k]], dtype=float))
    check_inside(volume, [as_point(p) for p in pts], "line end")
    return Line(as_point(pts[0]), as_point(pts[1]), slice_ref(volume, k))


@dataclass(frozen=True)
class Bidimensional:
    """A long axis and the short axis drawn across it (RECIST nodes, WHO products).

    Refused at construction unless the short axis crosses the long one (closest points within 0.5 mm, inside both
    segments) and is within +/- 5 degrees of perpendicular, and is not longer than the long axis.
    """

    KIND: ClassVar[str] = "bidimensional"
    long_axis: Line
    short_axis: Line

    def __post_init__(self) -> None:
        long_, short = self.long_axis, self.short_axis
        if short.length_mm > long_.length_mm + 1e-9:
            raise MeasurementError(
                f"the short axis ({short.length_mm:.1f} mm) is longer than the long axis ({long_.length_mm:.1f} mm): "
                "draw the longest diameter first, then the short axis across it"
            )
        cos = float(abs(long_.direction @ short.direction))
        angle = math.degrees(math.acos(min(1.0, cos)))
        if 90.0 - angle > PERPENDICULAR_TOLERANCE_DEG:
            raise MeasurementError(
                f"the short axis is at {angle:.1f} degrees to the long axis; it must be perpendicular within "
                f"+/- {PERPENDICULAR_TOLERANCE_DEG:g} degrees: redraw it across the long axis at a right angle"
            )
        gap, s, t = _closest_approach(long_, short)
        if gap > CROSSING_TOLERANCE_MM or not (0.0 <= s <= 1.0 and 0.0 <= t <= 1.0):
            raise MeasurementError(
                "the short axis does not cross the long axis "
                f"(closest approach {gap:.1f} mm, {'outside' if not (0 <= s <= 1 and 0 <= t <= 1) else 'between'} "
                "the drawn segments): draw it so that it crosses the long axis"
            )

    @property
    def long_mm(self) -> float:
        return self.long_axis.length_mm

    @property
    def short_mm(self) -> float:
        return self.short_axis.length_mm

    @property
    def ref(self) -> SliceRef:
        return self.long_axis.ref

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.KIND,
            "long_axis": self.long_axis.to_dict(),
            "short_axis": self.short_axis.to_dict(),
            "long_mm": self.long_mm,
            "short_mm": self.short_mm,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bidimensional:
        _expect_kind(data, cls.KIND)
        return cls(Line.from_dict(data["long_axis"]), Line.from_dict(data["short_axis"]))


def _closest_approach(a: Line, b: Line) -> tuple[float, float, float]:
    """(distance, s, t) of the closest points a.start + s (a.end - a.start) and b.start + t (b.end - b.start) of the
    two infinite lines; segments cross when the distance is ~0 and s, t are in [0, 1]."""
    p = np.asarray(a.start)
    q = np.asarray(b.start)
    d1 = np.subtract(a.end, a.start)
    d2 = np.subtract(b.end, b.start)
    r = p - q
    aa, bb, cc = d1 @ d1, d1 @ d2, d2 @ d2
    dd, ee = d1 @ r, d2 @ r
    den = aa * cc - bb * bb
    if den <= 1e-12 * aa * cc:  # parallel: refused earlier by the angle test, kept safe here
        return float("inf"), -1.0, -1.0
    s = (bb * ee - cc * dd) / den
    t = (aa * ee - bb * dd) / den
    gap = float(np.linalg.norm((p + s * d1) - (q + t * d2)))
    return gap, float(s), float(t)


def _expect_kind(data: dict[str, Any], kind: str) -> None:
    if data.get("kind") != kind:
        raise MeasurementError(f"expected a '{kind}' measurement, got kind {data.get('kind')!r}")
