"""Display points of a drawing -> patient LPS -> the measurement layer's objects and the label shown next to them.

The viewer never computes a millimetre: a drawn point (u, v) on the current slice becomes a voxel index through
the plane layout, then LPS through `Volume.index_to_lps`, and `sfrt_reader.measurement` turns LPS points into
lengths and region statistics. Its errors (a line with coinciding ends, a short axis that does not cross the long
one) are `SfrtError`s whose messages the viewer shows as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sfrt_reader.imaging.reslice import ResampledPlane
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.state.planes import SliceGeometry

Layout = SliceGeometry | ResampledPlane

KINDS = ("length", "bidimensional", "ellipse", "freehand")


@dataclass(frozen=True)
class MeasuredValue:
    """The measurement layer's object for a drawing and the lines of text shown beside it."""

    result: Any  # sfrt_reader.measurement's Line, Bidimensional or RegionStatistics
    label: tuple[str, ...]
    summary: str  # one line, for tables


def display_to_lps(
    volume: Volume, geometry: Layout, slice_index: int, points: Sequence[tuple[float, float]]
) -> np.ndarray:
    """(n, 3) LPS of display points (u, v) on a slice, through the plane layout and `Volume.index_to_lps` (or, on a
    resampled plane, its own exact display -> LPS map)."""
    if isinstance(geometry, ResampledPlane):
        uv = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return geometry.display_to_lps(uv[:, 0], uv[:, 1], float(slice_index))
    ijk = np.array([geometry.display_to_index(u, v, slice_index) for u, v in points], dtype=np.float64)
    return np.asarray(volume.index_to_lps(ijk), dtype=np.float64)


def _region_label(stats: Any) -> tuple[str, ...]:
    unit = "HU" if stats.is_hu else "(signal)"
    area_cm2 = stats.area_mm2 / 100.0
    return (
        f"Mean {stats.mean:.1f} {unit}",
        f"SD {stats.sd:.1f}  Min {stats.min:.0f}  Max {stats.max:.0f}",
        f"Area {area_cm2:.2f} cm²  ({stats.pixels} px)",
    )


def _region_summary(stats: Any) -> str:
    unit = "HU" if stats.is_hu else "signal"
    return f"{stats.mean:.1f} ± {stats.sd:.1f} {unit}, {stats.area_mm2 / 100.0:.2f} cm²"


def measure(
    kind: str,
    volume: Volume,
    geometry: Layout,
    slice_index: int,
    points: Sequence[tuple[float, float]],
) -> MeasuredValue:
    """Measure a drawing given by its display points.

    length: 2 points (the end points). bidimensional: 4 points (long axis ends, short axis ends). ellipse: 3 points
    (centre, end of the horizontal semi-axis, end of the vertical semi-axis). freehand: the outline's vertices.
    """
    # Imported here: the viewer opens (and scrolls) before the first drawing needs the measurement layer.
    from sfrt_reader.measurement.lines import Bidimensional, measure_line
    from sfrt_reader.measurement.regions import EllipseRegion, FreehandRegion

    lps = display_to_lps(volume, geometry, slice_index, points)
    result: Any
    if kind == "length":
        line = measure_line(volume, lps[0], lps[1])
        text = f"{line.length_mm:.1f} mm"
        return MeasuredValue(line, (text,), text)
    if kind == "bidimensional":
        result = Bidimensional(measure_line(volume, lps[0], lps[1]), measure_line(volume, lps[2], lps[3]))
        text = f"{result.long_mm:.1f} × {result.short_mm:.1f} mm"
        return MeasuredValue(result, (text,), text)
    if kind == "ellipse":
        result = _region_stats(volume, geometry, EllipseRegion(lps[0], lps[1], lps[2]))
        return MeasuredValue(result, _region_label(result), _region_summary(result))
    if kind == "freehand":
        result = _region_stats(volume, geometry, FreehandRegion(tuple(tuple(p) for p in lps)))
        return MeasuredValue(result, _region_label(result), _region_summary(result))
    raise ValueError(f"unknown measurement kind {kind!r}: one of {', '.join(KINDS)}")


def _region_stats(volume: Volume, geometry: Layout, region: Any) -> Any:
    """On the acquired plane, the acquired slice's voxels; on a reformat or oblique plane, the pixels of the image
    shown there (`measurement.plane_regions`), the plane mapping LPS to display through Volume / ResampledPlane."""
    from sfrt_reader.measurement.plane_regions import region_statistics_in_plane
    from sfrt_reader.measurement.regions import region_statistics

    if isinstance(geometry, ResampledPlane):
        plane = geometry
        return region_statistics_in_plane(
            volume, region, plane.lps_to_display, lambda s: plane.extract(None, s), (plane.spacing_u, plane.spacing_v)
        )
    if geometry.slice_axis == 2:
        return region_statistics(volume, region)
    layout = geometry

    def to_display(lps: np.ndarray) -> np.ndarray:
        return np.array([layout.index_to_display(p) for p in volume.lps_to_index(lps)], dtype=np.float64)

    return region_statistics_in_plane(
        volume, region, to_display, lambda s: layout.extract(volume.array, s), (layout.spacing_u, layout.spacing_v)
    )
