"""Region statistics on one slice: ellipse, polygon and freehand regions.

Inclusion rule (the same for every shape): a pixel belongs to the region when its CENTRE lies inside the drawn
outline or exactly on it (boundary inclusive, within 0.001 pixel). Outlines that cross themselves use the nonzero
winding rule, so a loop drawn twice around an area still counts the area once and a small closing overlap of a
freehand stroke does not punch a hole. Statistics are taken over exactly those pixels: mean, population SD
(ddof=0, as most viewers and the reference values of our test data), median, min, max, pixel count, and the area
of those pixels in mm2 (count x pixel area), so area and statistics describe the same pixel set. The area enclosed
by the drawn outline itself is given as `outline_area_mm2`.

Values are Hounsfield units on CT; on MR they are signal intensities in arbitrary units, flagged `is_hu=False`
and unit "signal", because an MR mean cannot be compared between scans as an HU can.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import (
    Point,
    SliceRef,
    as_point,
    in_plane_mm,
    on_one_slice,
    slice_ref,
)

_EPS = 1e-3  # pixels: a centre this close to the outline counts as on it (DICOM direction cosines are
# rounded, so points mapped LPS -> index on an oblique series land up to ~1e-4 pixel off where they were drawn)
_MIN_AREA_MM2 = 1e-6
# Semi-axes drawn by a GUI are perpendicular to rounding error; more than this means a malformed ellipse.
_ELLIPSE_AXES_TOLERANCE_DEG = 0.5


def unit_of(volume: Volume) -> tuple[str, bool]:
    """("HU", True) on CT, ("signal", False) on every other modality."""
    return ("HU", True) if volume.modality.upper() == "CT" else ("signal", False)


def _polygon_area_3d(points: Sequence[Point]) -> float:
    """Area enclosed by a planar polygon in 3-D (Newell's method), in mm2."""
    p = np.asarray(points, dtype=np.float64)
    q = np.roll(p, -1, axis=0)
    return float(np.linalg.norm(np.cross(p, q).sum(axis=0)) / 2.0)


@dataclass(frozen=True)
class EllipseRegion:
    """An ellipse given by its centre and the end points of its two semi-axes (LPS); a circle has equal axes."""

    KIND: ClassVar[str] = "ellipse"
    center: Point
    axis_end_1: Point
    axis_end_2: Point
    ref: SliceRef = field(default_factory=SliceRef)

    def __post_init__(self) -> None:
        for name in ("center", "axis_end_1", "axis_end_2"):
            object.__setattr__(self, name, as_point(getattr(self, name), f"ellipse {name.replace('_', ' ')}"))
        u = np.subtract(self.axis_end_1, self.center)
        v = np.subtract(self.axis_end_2, self.center)
        a, b = float(np.linalg.norm(u)), float(np.linalg.norm(v))
        if a * b * math.pi < _MIN_AREA_MM2:
            raise MeasurementError("the ellipse has zero area: drag it open before measuring")
        angle = math.degrees(math.acos(min(1.0, abs(float(u @ v)) / (a * b))))
        if 90.0 - angle > _ELLIPSE_AXES_TOLERANCE_DEG:
            raise MeasurementError(f"the ellipse's two axes are at {angle:.1f} degrees, not perpendicular")

    @classmethod
    def circle(cls, volume: Volume, center: Sequence[float], radius_mm: float) -> EllipseRegion:
        """A circle of radius_mm in the plane of the acquired slice nearest the centre."""
        if not math.isfinite(radius_mm) or radius_mm <= 0:
            raise MeasurementError(f"the circle's radius must be a positive number of mm, got {radius_mm}")
        c = np.asarray(as_point(center, "circle centre"))
        k, ij = on_one_slice(volume, [as_point(c)], "circle")
        c_on = volume.index_to_lps(np.array([ij[0, 0], ij[0, 1], k]))
        row = np.asarray(volume.row_direction)
        col = np.asarray(volume.column_direction)
        end_1, end_2 = c_on + radius_mm * row, c_on + radius_mm * col
        return cls(as_point(c_on), as_point(end_1), as_point(end_2), slice_ref(volume, k))

    @property
    def outline_area_mm2(self) -> float:
        a = math.dist(self.axis_end_1, self.center)
        b = math.dist(self.axis_end_2, self.center)
        return math.pi * a * b

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.KIND,
            "center": list(self.center),
            "axis_end_1": list(self.axis_end_1),
            "axis_end_2": list(self.axis_end_2),
            **self.ref.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EllipseRegion:
        if data.get("kind") != cls.KIND:
            raise MeasurementError(f"expected an '{cls.KIND}' region, got kind {data.get('kind')!r}")
        ref = SliceRef.from_dict(data)
        return cls(as_point(data["center"]), as_point(data["axis_end_1"]), as_point(data["axis_end_2"]), ref)


@dataclass(frozen=True)
class PolygonRegion:
    """A closed polygon through the given LPS vertices (the last joins the first)."""

    KIND: ClassVar[str] = "polygon"
    points: tuple[Point, ...]
    ref: SliceRef = field(default_factory=SliceRef)

    def __post_init__(self) -> None:
        pts = tuple(as_point(p, f"vertex {n + 1}") for n, p in enumerate(self.points))
        object.__setattr__(self, "points", pts)
        if len(pts) < 3:
            raise MeasurementError(
                f"a {self.KIND} region needs at least 3 points, got {len(pts)}: draw a closed outline"
            )
        if _polygon_area_3d(pts) < _MIN_AREA_MM2:
            raise MeasurementError(f"the {self.KIND} region has zero area (its points lie on a line): draw an outline")

    @property
    def outline_area_mm2(self) -> float:
        return _polygon_area_3d(self.points)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.KIND, "points": [list(p) for p in self.points], **self.ref.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolygonRegion:
        if data.get("kind") != cls.KIND:
            raise MeasurementError(f"expected a '{cls.KIND}' region, got kind {data.get('kind')!r}")
        return cls(tuple(as_point(p) for p in data["points"]), SliceRef.from_dict(data))


@dataclass(frozen=True)
class FreehandRegion(PolygonRegion):
    """A closed freehand outline: the sampled stroke, treated as a polygon (same inclusion rule)."""

    KIND: ClassVar[str] = "freehand"


Region = EllipseRegion | PolygonRegion | FreehandRegion


REGION_TYPES: dict[str, type[Region]] = {cls.KIND: cls for cls in (EllipseRegion, PolygonRegion, FreehandRegion)}


def region_from_dict(data: dict[str, Any]) -> Region:
    """The region a `to_dict()` produced (the region kinds only; `serialise.measurement_from_dict` takes all)."""
    cls = REGION_TYPES.get(data.get("kind"))  # type: ignore[arg-type]
    if cls is None:
        raise MeasurementError(f"unknown region kind {data.get('kind')!r}: expected ellipse, polygon or freehand")
    return cls.from_dict(data)


# ------------------------------------------------------------------------------------------------ pixel sets
def region_pixels(volume: Volume, region: Region) -> tuple[int, NDArray[np.intp], NDArray[np.intp]]:
    """(k, rows, columns) of the pixels whose centre lies inside or on the region, on the slice it was drawn on."""
    if isinstance(region, EllipseRegion):
        return _ellipse_pixels(volume, region)
    return _polygon_pixels(volume, region)


def _ellipse_pixels(volume: Volume, region: EllipseRegion) -> tuple[int, NDArray[np.intp], NDArray[np.intp]]:
    k, ij = on_one_slice(volume, [region.center, region.axis_end_1, region.axis_end_2], "ellipse")
    ci, cj = ij[0]
    u = np.subtract(region.axis_end_1, region.center)
    v = np.subtract(region.axis_end_2, region.center)
    a, b = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    u2 = in_plane_mm(volume, u / a)[0]
    v2 = in_plane_mm(volume, v / b)[0]
    sx, sy = volume.pixel_spacing
    reach = max(a, b)
    ny, nx = volume.shape[1:]
    i0, i1 = max(0, math.floor(ci - reach / sx)), min(nx - 1, math.ceil(ci + reach / sx))
    j0, j1 = max(0, math.floor(cj - reach / sy)), min(ny - 1, math.ceil(cj + reach / sy))
    if i0 > i1 or j0 > j1:
        return k, np.empty(0, np.intp), np.empty(0, np.intp)
    dx = (np.arange(i0, i1 + 1, dtype=np.float64) - ci) * sx
    dy = (np.arange(j0, j1 + 1, dtype=np.float64) - cj) * sy
    du = (dy[:, None] * u2[1] + dx[None, :] * u2[0]) / a
    dv = (dy[:, None] * v2[1] + dx[None, :] * v2[0]) / b
    # Boundary inclusive: a centre exactly on the ellipse (q == 1) is inside.
    rows, cols = np.nonzero(du * du + dv * dv <= 1.0 + 1e-9)
    return k, (rows + j0).astype(np.intp), (cols + i0).astype(np.intp)


def polygon_mask(vertices_ij: NDArray[np.float64], shape: tuple[int, int]) -> tuple[NDArray[np.bool_], int, int]:
    """(mask, j0, i0): pixel centres (integer column i, row j) inside or on a closed polygon (nonzero winding).

    The mask covers the polygon's bounding box clipped to `shape` (ny, nx); (j0, i0) is its top-left pixel.
    Vectorised scan conversion: each edge's crossing with every pixel row adds its direction (+1 up, -1 down,
    half-open in y so a vertex is never counted twice) at the first pixel at or right of it; a cumulative sum
    along the row gives every centre's winding number. Centres on an edge are then added explicitly.
    """
    ny, nx = shape
    x, y = vertices_ij[:, 0], vertices_ij[:, 1]
    i0 = max(0, math.ceil(float(x.min()) - _EPS))
    i1 = min(nx - 1, math.floor(float(x.max()) + _EPS))
    j0 = max(0, math.ceil(float(y.min()) - _EPS))
    j1 = min(ny - 1, math.floor(float(y.max()) + _EPS))
    if i0 > i1 or j0 > j1:
        return np.zeros((0, 0), bool), j0, i0
    h, w = j1 - j0 + 1, i1 - i0 + 1
    xa, ya = x, y
    xb, yb = np.roll(x, -1), np.roll(y, -1)
    sloped = np.abs(yb - ya) > _EPS  # a nearly horizontal edge (rounding of LPS -> index) is horizontal
    e = np.nonzero(sloped)[0]
    ea, eb = ya[e], yb[e]
    slope = (xb[e] - xa[e]) / (eb - ea)
    ymin, ymax = np.minimum(ea, eb), np.maximum(ea, eb)
    # Crossings, half-open in y (ymin <= row < ymax), only on the rows each edge spans.
    lo = np.maximum(np.ceil(ymin), j0).astype(np.int64)
    hi = np.minimum(np.ceil(ymax) - 1, j1).astype(np.int64)
    edge, rows = _expand(lo, hi)
    xc = xa[e][edge] + (rows - ya[e][edge]) * slope[edge]
    direction = np.where(ea[edge] < eb[edge], 1, -1)
    start = np.clip(np.ceil(xc - i0), 0, w).astype(np.int64)
    delta = np.zeros((h, w + 1), dtype=np.int32)
    np.add.at(delta, (rows - j0, start), direction)
    mask = np.cumsum(delta[:, :w], axis=1) != 0
    # Centres on a sloped edge: rows it spans (ends included) where its x is an integer.
    lo = np.maximum(np.ceil(ymin - _EPS), j0).astype(np.int64)
    hi = np.minimum(np.floor(ymax + _EPS), j1).astype(np.int64)
    edge, rows = _expand(lo, hi)
    xc = xa[e][edge] + (rows - ya[e][edge]) * slope[edge]
    near = np.abs(xc - np.round(xc)) <= _EPS
    cols = np.round(xc[near]).astype(np.int64) - i0
    keep = (cols >= 0) & (cols < w)
    mask[rows[near][keep] - j0, cols[keep]] = True
    # Centres on a horizontal edge lying on a pixel row.
    for flat in np.nonzero(~sloped)[0]:
        row = float(ya[flat])
        if abs(row - round(row)) > _EPS or not j0 <= round(row) <= j1:
            continue
        first = max(i0, math.ceil(min(xa[flat], xb[flat]) - _EPS))
        last = min(i1, math.floor(max(xa[flat], xb[flat]) + _EPS))
        if first <= last:
            mask[round(row) - j0, first - i0 : last - i0 + 1] = True
    return mask, j0, i0


def _expand(lo: NDArray[np.int64], hi: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """(item, value) pairs for every integer value in lo[item]..hi[item] (empty where hi < lo)."""
    counts = np.maximum(hi - lo + 1, 0)
    item = np.repeat(np.arange(len(lo)), counts)
    first = np.cumsum(counts) - counts
    values = lo[item] + (np.arange(int(counts.sum())) - first[item])
    return item, values


def _polygon_pixels(volume: Volume, region: PolygonRegion) -> tuple[int, NDArray[np.intp], NDArray[np.intp]]:
    k, ij = on_one_slice(volume, list(region.points), region.KIND)
    mask, j0, i0 = polygon_mask(ij, volume.shape[1:])
    rows, cols = np.nonzero(mask)
    return k, (rows + j0).astype(np.intp), (cols + i0).astype(np.intp)


# ------------------------------------------------------------------------------------------------ statistics
@dataclass(frozen=True)
class RegionStatistics:
    """Statistics of the pixels of one region (see the module's inclusion rule)."""

    KIND: ClassVar[str] = "region_statistics"
    region: Region
    mean: float
    sd: float
    median: float
    min: float
    max: float
    pixels: int
    area_mm2: float
    unit: str
    is_hu: bool

    def __post_init__(self) -> None:
        if self.pixels < 1:
            raise MeasurementError("a region must contain at least one pixel centre")
        if self.unit not in ("HU", "signal"):
            raise MeasurementError(f"unit must be 'HU' or 'signal', got {self.unit!r}")
        if self.is_hu != (self.unit == "HU"):
            raise MeasurementError("is_hu must be true exactly when the unit is HU")

    @property
    def ref(self) -> SliceRef:
        return self.region.ref

    @property
    def outline_area_mm2(self) -> float:
        return self.region.outline_area_mm2

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.KIND,
            "region": self.region.to_dict(),
            "mean": self.mean,
            "sd": self.sd,
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "pixels": self.pixels,
            "area_mm2": self.area_mm2,
            "outline_area_mm2": self.outline_area_mm2,
            "unit": self.unit,
            "is_hu": self.is_hu,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegionStatistics:
        if data.get("kind") != cls.KIND:
            raise MeasurementError(f"expected '{cls.KIND}', got kind {data.get('kind')!r}")
        return cls(
            region=region_from_dict(data["region"]),
            mean=float(data["mean"]),
            sd=float(data["sd"]),
            median=float(data["median"]),
            min=float(data["min"]),
            max=float(data["max"]),
            pixels=int(data["pixels"]),
            area_mm2=float(data["area_mm2"]),
            unit=str(data["unit"]),
            is_hu=bool(data["is_hu"]),
        )


def region_statistics(volume: Volume, region: Region) -> RegionStatistics:
    """Statistics of the volume's pixels inside the region, on the slice it was drawn on.

    The region's slice reference is (re)set from the volume, so the result always points at the image measured.
    """
    k, rows, cols = region_pixels(volume, region)
    if rows.size == 0:
        raise MeasurementError(
            f"the {region.KIND} region contains no pixel centre (it is smaller than a pixel): draw it larger"
        )
    stored = volume.array[k, rows, cols]
    values = np.asarray(stored, dtype=np.float64)
    unit, is_hu = unit_of(volume)
    sx, sy = volume.pixel_spacing
    placed = _with_ref(region, slice_ref(volume, k))
    return RegionStatistics(
        region=placed,
        mean=float(values.mean()),
        sd=float(values.std()),
        median=float(np.median(stored)),  # on the stored type: same value, a third of the time
        min=float(values.min()),
        max=float(values.max()),
        pixels=int(values.size),
        area_mm2=float(values.size * sx * sy),
        unit=unit,
        is_hu=is_hu,
    )


def _with_ref(region: Region, ref: SliceRef) -> Region:
    """The region pointing at the slice it was measured on (its points were validated when it was made)."""
    if region.ref == ref:
        return region
    placed = copy.copy(region)
    object.__setattr__(placed, "ref", ref)
    return placed
