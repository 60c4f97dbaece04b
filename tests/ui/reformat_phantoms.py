"""Phantoms with known analytic shapes on irregular stacks (thick, uneven, gantry-tilted slices).

Voxel positions are computed here by hand (slice position + i * column spacing * row direction + j * row spacing *
column direction), not through `Volume`, so the tests compare the viewer against independent geometry.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sfrt_reader.imaging.volume import Volume

INSIDE_HU = 200
OUTSIDE_HU = -50


def voxel_lps(
    shape: tuple[int, int, int],
    spacing: tuple[float, float],
    row: Sequence[float],
    col: Sequence[float],
    positions: np.ndarray,
) -> np.ndarray:
    """(nz, ny, nx, 3) LPS of every voxel centre, by the DICOM formula."""
    _nz, ny, nx = shape
    j, i = np.mgrid[0:ny, 0:nx]
    r = np.asarray(row, dtype=np.float64)
    c = np.asarray(col, dtype=np.float64)
    plane = i[..., None] * spacing[0] * r + j[..., None] * spacing[1] * c
    return np.asarray(positions, dtype=np.float64)[:, None, None, :] + plane[None]


def ellipsoid_ct(
    centre: Sequence[float],
    semi_axes: Sequence[float],
    axes: np.ndarray | None = None,
    n: int = 96,
    pixel: float = 1.0,
    z_positions: Sequence[float] | None = None,
    tilt_deg: float = 0.0,
) -> Volume:
    """An axial CT (n x n pixels of `pixel` mm) with a 200 HU ellipsoid in -50 HU background.

    axes: 3x3 whose ROWS are the unit directions of the semi-axes (identity: aligned with x, y, z).
    z_positions: table positions of the slices (uneven gaps allowed); tilt_deg: gantry tilt about the x axis
    (the column direction leans out of the axial plane; slice origins still step along z).
    """
    zs = np.asarray(z_positions if z_positions is not None else np.arange(-40.0, 40.1, 5.0), dtype=np.float64)
    t = np.radians(tilt_deg)
    row = (1.0, 0.0, 0.0)
    col = (0.0, float(np.cos(t)), float(-np.sin(t)))
    half = (n - 1) * pixel / 2.0
    positions = np.array([[-half, -half * np.cos(t), z + half * np.sin(t)] for z in zs])
    lps = voxel_lps((len(zs), n, n), (pixel, pixel), row, col, positions)
    rot = np.eye(3) if axes is None else np.asarray(axes, dtype=np.float64)
    local = (lps - np.asarray(centre, dtype=np.float64)) @ rot.T
    inside = ((local / np.asarray(semi_axes, dtype=np.float64)) ** 2).sum(axis=-1) <= 1.0
    array = np.where(inside, INSIDE_HU, OUTSIDE_HU).astype(np.int16)
    return Volume(
        array=array,
        pixel_spacing=(pixel, pixel),
        row_direction=row,
        column_direction=col,
        positions=positions,
        modality="CT",
        unit="HU",
        series_description="ellipsoid phantom",
        slice_thickness=float(np.diff(zs).mean()) if len(zs) > 1 else 1.0,
    )


def uneven_z(start: float = -42.0, middle: float = 0.0, stop: float = 42.0) -> list[float]:
    """Slice positions 2 mm apart below `middle` and 6 mm apart above it: a stack that is not a regular grid,
    whose mean spacing (what an index-permutation reformat would assume) is wrong for both halves."""
    below = list(np.arange(start, middle, 2.0))
    above = list(np.arange(middle, stop + 1e-9, 6.0))
    return [float(z) for z in below + above]


def tilted_axes(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Rows: the long axis at `azimuth` in the axial plane raised by `elevation` towards +z, then two
    perpendicular directions (the second horizontal)."""
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    long_axis = np.array([np.cos(a) * np.cos(e), np.sin(a) * np.cos(e), np.sin(e)])
    horizontal = np.array([-np.sin(a), np.cos(a), 0.0])
    third = np.cross(long_axis, horizontal)
    return np.stack([long_axis, horizontal, third])
