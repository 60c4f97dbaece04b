"""Region statistics on a reformatted or oblique plane, where a region spans several acquired slices.

`regions.region_statistics` works on one acquired slice. A region drawn on a coronal, sagittal or oblique
image cuts across slices, so its pixels are those of the image the reader saw: the plane's pixel grid, with the
same inclusion rule (a pixel belongs to the region when its centre lies inside the outline or on it, nonzero
winding) and the same statistics. The values are that image's: exact voxels for a reformat of a regular stack,
trilinear interpolation between the eight neighbouring voxels on a resampled plane (so an HU mean near an edge is
smoothed by at most one voxel). The area is the pixel count times the plane's pixel area. The caller gives the
plane as a mapping from LPS to display (u, v, slice), computed through `Volume` or `ResampledPlane`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import check_inside, slice_ref
from sfrt_reader.measurement.regions import (
    EllipseRegion,
    Region,
    RegionStatistics,
    _with_ref,
    polygon_mask,
    unit_of,
)

LpsToDisplay = Callable[[NDArray[np.float64]], NDArray[np.float64]]
_SLICE_TOLERANCE = 0.5 + 1e-6


def _on_one_plane(points: NDArray[np.float64], to_display: LpsToDisplay, what: str) -> tuple[int, NDArray[np.float64]]:
    """(slice, uv) of LPS points drawn on one slice of the plane; refuses points spread over several."""
    uvs = np.asarray(to_display(points), dtype=np.float64).reshape(-1, 3)
    s = round(float(uvs[:, 2].mean()))
    off = float(np.abs(uvs[:, 2] - s).max())
    if off > _SLICE_TOLERANCE:
        raise MeasurementError(
            f"the points of the {what} are not on one image of this plane ({off:.2f} slices apart): "
            "draw it on one image"
        )
    return s, np.asarray(uvs[:, :2], dtype=np.float64)


def _ellipse_mask(
    uv: NDArray[np.float64], spacing: tuple[float, float], shape: tuple[int, int]
) -> tuple[NDArray[np.bool_], int, int]:
    """Pixel centres inside or on the ellipse given by its centre and two semi-axis ends (display pixels)."""
    su, sv = spacing
    centre = uv[0]
    e1 = (uv[1] - centre) * (su, sv)
    e2 = (uv[2] - centre) * (su, sv)
    a, b = float(np.linalg.norm(e1)), float(np.linalg.norm(e2))
    reach = max(a, b)
    ny, nx = shape
    i0, i1 = max(0, math.floor(centre[0] - reach / su)), min(nx - 1, math.ceil(centre[0] + reach / su))
    j0, j1 = max(0, math.floor(centre[1] - reach / sv)), min(ny - 1, math.ceil(centre[1] + reach / sv))
    if i0 > i1 or j0 > j1:
        return np.zeros((0, 0), bool), j0, i0
    dx = (np.arange(i0, i1 + 1, dtype=np.float64) - centre[0]) * su
    dy = (np.arange(j0, j1 + 1, dtype=np.float64) - centre[1]) * sv
    q1 = (dx[None, :] * e1[0] + dy[:, None] * e1[1]) / (a * a)
    q2 = (dx[None, :] * e2[0] + dy[:, None] * e2[1]) / (b * b)
    return q1 * q1 + q2 * q2 <= 1.0 + 1e-9, j0, i0


def region_statistics_in_plane(
    volume: Volume,
    region: Region,
    to_display: LpsToDisplay,
    image_of_slice: Callable[[int], np.ndarray],
    spacing: tuple[float, float],
) -> RegionStatistics:
    """Statistics of the plane image's pixels inside a region drawn on that plane (see the module docstring).

    to_display: (n, 3) LPS -> (n, 3) continuous (u, v, slice) of the plane; image_of_slice: the [v, u] image of a
    slice; spacing: (mm between columns, mm between rows) of that image. The result refers to the series only
    (the region is on no single acquired image).
    """
    points = (
        region.points
        if not isinstance(region, EllipseRegion)
        else (region.center, region.axis_end_1, region.axis_end_2)
    )
    lps = np.asarray(points, dtype=np.float64)
    check_inside(volume, [tuple(p) for p in lps], region.KIND)
    s, uv = _on_one_plane(lps, to_display, region.KIND)
    image = image_of_slice(s)
    shape = (int(image.shape[0]), int(image.shape[1]))
    if isinstance(region, EllipseRegion):
        mask, j0, i0 = _ellipse_mask(uv, spacing, shape)
    else:
        mask, j0, i0 = polygon_mask(uv, shape)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise MeasurementError(
            f"the {region.KIND} region contains no pixel centre (it is smaller than a pixel): draw it larger"
        )
    stored = image[rows + j0, cols + i0]
    values = np.asarray(stored, dtype=np.float64)
    unit, is_hu = unit_of(volume)
    return RegionStatistics(
        region=_with_ref(region, slice_ref(volume, None)),
        mean=float(values.mean()),
        sd=float(values.std()),
        median=float(np.median(stored)),
        min=float(values.min()),
        max=float(values.max()),
        pixels=int(values.size),
        area_mm2=float(values.size * spacing[0] * spacing[1]),
        unit=unit,
        is_hu=is_hu,
    )
