"""Volume -> SimpleITK image with the true patient geometry, and the reduced working grid registration runs on.

Why a module of its own: SimpleITK describes an image by origin, spacing and a direction matrix, which is exact
only for an evenly spaced stack whose slices lie straight above each other. A `Volume` may hold a gantry-tilted
stack (slice origins shifted in-plane from slice to slice) or uneven gaps. Such stacks are resampled here onto a
regular grid with the slice plane's own axes (row, column, normal), by trilinear interpolation through
`Volume.lps_to_index`: the only place that knows where every slice really is. Regular stacks are converted without
resampling, so nothing is interpolated that need not be.
"""

from __future__ import annotations

import math

import numpy as np
import SimpleITK as sitk

from sfrt_reader.imaging.volume import Volume

TILT_TOLERANCE_DEG = 0.01  # below this a stack is treated as straight (rounding in ImagePositionPatient)
_SLAB_POINTS = 4_000_000  # points interpolated per slab when resampling an irregular stack (bounds memory)


def needs_resampling(volume: Volume) -> bool:
    """True when the stack is tilted or unevenly spaced: SimpleITK cannot describe it without resampling."""
    return (not volume.is_uniform) or volume.tilt_degrees > TILT_TOLERANCE_DEG


def volume_to_sitk(volume: Volume) -> sitk.Image:
    """A float32 SimpleITK image of the volume in patient LPS, voxel values unchanged.

    Regular stack: the array as it is, with origin = first slice position, spacing (x, y, step between slice
    origins) and direction columns (row, column, stack direction). Tilted or unevenly spaced stack: resampled onto a
    regular grid along (row, column, normal) at the volume's own pixel spacing and mean slice spacing, covering the
    whole stack; voxels of the grid outside the stack get the volume's minimum value (air).
    """
    if needs_resampling(volume):
        return _resample_irregular(volume)
    image = sitk.GetImageFromArray(np.ascontiguousarray(volume.array, dtype=np.float32))
    image.SetOrigin(volume.origin)
    sx, sy = volume.pixel_spacing
    image.SetSpacing((float(sx), float(sy), float(volume.stack_step_mm)))
    image.SetDirection(tuple(float(v) for v in volume.direction.flatten()))
    return image


def _resample_irregular(volume: Volume) -> sitk.Image:
    from scipy.ndimage import map_coordinates

    row = np.asarray(volume.row_direction, dtype=np.float64)
    col = np.asarray(volume.column_direction, dtype=np.float64)
    normal = np.asarray(volume.normal, dtype=np.float64)
    axes = np.column_stack([row, col, normal])
    nx, ny, nz = volume.size
    corners = np.array([[i, j, k] for i in (0, nx - 1) for j in (0, ny - 1) for k in (0, nz - 1)], dtype=np.float64)
    lps = volume.index_to_lps(corners)
    local = (lps - volume.origin) @ axes  # coordinates along (row, column, normal) from the first slice origin
    lo, hi = local.min(axis=0), local.max(axis=0)
    spacing = np.array(volume.spacing, dtype=np.float64)
    size = [math.floor((hi[d] - lo[d]) / spacing[d] + 1e-6) + 1 for d in range(3)]
    origin = np.asarray(volume.origin) + axes @ lo
    out = np.empty((size[2], size[1], size[0]), dtype=np.float32)
    fill = float(volume.array.min())
    src = volume.array
    plane_points = size[0] * size[1]
    step = max(1, _SLAB_POINTS // plane_points)
    ii, jj = np.meshgrid(np.arange(size[0]), np.arange(size[1]), indexing="xy")
    for k0 in range(0, size[2], step):
        ks = np.arange(k0, min(size[2], k0 + step))
        grid = np.stack(
            [
                np.broadcast_to(ii, (len(ks), *ii.shape)),
                np.broadcast_to(jj, (len(ks), *jj.shape)),
                np.broadcast_to(ks[:, None, None], (len(ks), *ii.shape)),
            ],
            axis=-1,
        ).astype(np.float64)
        points = origin + (grid * spacing) @ axes.T
        ijk = volume.lps_to_index(points)
        coords = np.stack([ijk[..., 2], ijk[..., 1], ijk[..., 0]])  # array order [z, y, x]
        out[ks] = map_coordinates(src, coords, order=1, mode="constant", cval=fill, output=np.float32)
    image = sitk.GetImageFromArray(out)
    image.SetOrigin(tuple(float(v) for v in origin))
    image.SetSpacing(tuple(float(v) for v in spacing))
    image.SetDirection(tuple(float(v) for v in axes.flatten()))
    return image


def working_image(image: sitk.Image, spacing_mm: float) -> sitk.Image:
    """The image on an isotropic grid of `spacing_mm`, same orientation and physical extent.

    Why: registration levels shrink every axis by the same factor, so a 0.75 x 0.75 x 5 mm CT would become
    3 x 3 x 20 mm at the coarsest level; an isotropic working grid keeps every level balanced, and a 2 mm grid of a
    512 x 512 x 150 scan has a tenth of its voxels. Voxels are first averaged in integer blocks (BinShrink: cheap
    anti-aliasing), then linearly resampled onto the grid.
    """
    spacing = image.GetSpacing()
    factors = [max(1, int(spacing_mm / s + 1e-6)) for s in spacing]
    if any(f > 1 for f in factors):
        image = sitk.BinShrink(image, factors)
        spacing = image.GetSpacing()
    size = image.GetSize()
    # The new grid spans the first to the last voxel CENTRE: beyond them linear interpolation has no data, and
    # filling with air would draw a false air slab at both ends of the stack that registration would try to match.
    span = [(size[d] - 1) * spacing[d] for d in range(3)]
    new_size = [math.floor(span[d] / spacing_mm + 1e-6) + 1 for d in range(3)]
    new_origin = image.GetOrigin()
    stats = sitk.MinimumMaximumImageFilter()
    stats.Execute(image)
    return sitk.Resample(
        image,
        new_size,
        sitk.Transform(),
        sitk.sitkLinear,
        tuple(float(v) for v in new_origin),
        (spacing_mm, spacing_mm, spacing_mm),
        image.GetDirection(),
        stats.GetMinimum(),
        sitk.sitkFloat32,
    )
