"""Small in-memory Volumes for the UI tests: known geometry, so expected millimetres are computed by hand."""

from __future__ import annotations

import numpy as np

from sfrt_reader.imaging.volume import Volume


def axial_ct(
    nz: int = 20,
    ny: int = 64,
    nx: int = 48,
    spacing: tuple[float, float] = (0.8, 0.8),
    z0: float = -100.0,
    dz: float = 5.0,
    row: tuple[float, float, float] = (1.0, 0.0, 0.0),
    col: tuple[float, float, float] = (0.0, 1.0, 0.0),
    label: str = "",
    z_positions: list[float] | None = None,
) -> Volume:
    """An axial CT whose voxel value encodes its index: 10*k + (j % 7) + (i % 5) - 500 (int16 HU)."""
    if z_positions is not None:
        nz = len(z_positions)
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    array = (10 * k + (j % 7) + (i % 5) - 500).astype(np.int16)
    zs = z_positions if z_positions is not None else [z0 + dz * n for n in range(nz)]
    normal = np.cross(row, col)
    positions = np.array([[-20.0, -30.0, 0.0] + normal * z for z in zs])
    return Volume(
        array=array,
        pixel_spacing=spacing,
        row_direction=row,
        column_direction=col,
        positions=positions,
        modality="CT",
        unit="HU",
        series_description="CT chest abdomen",
        label=label,
        slice_thickness=dz,
    )


def disc_ct(n: int = 128, spacing: float = 0.7, radius_mm: float = 20.0) -> Volume:
    """A 10-slice axial CT: water background (0 HU) with a 100 HU disc of `radius_mm` at the centre of every slice."""
    yy, xx = np.mgrid[0:n, 0:n]
    c = (n - 1) / 2.0
    disc = ((xx - c) ** 2 + (yy - c) ** 2) * spacing**2 <= radius_mm**2
    plane = np.where(disc, 100, 0).astype(np.int16)
    array = np.repeat(plane[None], 10, axis=0)
    positions = np.array([[0.0, 0.0, 2.5 * k] for k in range(10)])
    return Volume(
        array=array,
        pixel_spacing=(spacing, spacing),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        positions=positions,
        modality="CT",
        unit="HU",
        series_description="disc phantom",
    )
