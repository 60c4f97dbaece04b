"""A brush stroke on one acquired slice, applied to a lesion mask: the reader's correction of a segmentation.

A stroke is the path of the brush centre while the mouse button is held: the voxels of the slice whose centres
lie within `radius_mm` of that path (the dabs AND the segments between them, so a fast drag leaves no gaps) are
added to the mask or erased from it. Distances are true millimetres through `Volume.index_to_lps`, so the brush
is round on anisotropic, oblique and tilted grids.

Why not `lesion_mask.brush_edit` once per dab: it rebuilds the full-grid mask (tens of megabytes on a 512 x 512 x
150 CT) for every dab, and a stroke has dozens of them. Here the whole stroke is one edit computed within the
union of the mask's box and the stroke's box, so a stroke costs milliseconds and is one undoable step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.lesion_mask import LesionSegmentation

BrushMode = Literal["add", "erase"]


def stroke_footprint(
    volume: Volume, slice_index: int, centres: Sequence[Sequence[float]], radius_mm: float
) -> tuple[int, int, NDArray[np.bool_]]:
    """(j0, i0, footprint): the pixels of slice `slice_index` within radius_mm of the stroke's path.

    `centres` are LPS points (the brush centre along the stroke); each is projected onto the slice along the
    index axis k (the reader paints the image shown). footprint[j - j0, i - i0] is True for a painted pixel.
    """
    if not math.isfinite(radius_mm) or radius_mm <= 0:
        raise MeasurementError(f"the brush radius must be a positive number of mm, got {radius_mm}")
    nx, ny, nz = volume.size
    if not 0 <= slice_index < nz:
        raise MeasurementError(f"slice {slice_index} is outside the series (0..{nz - 1})")
    pts = np.asarray(centres, dtype=np.float64).reshape(-1, 3)
    if len(pts) == 0 or not np.isfinite(pts).all():
        raise MeasurementError("a brush stroke needs at least one finite LPS point")
    ijk = np.asarray(volume.lps_to_index(pts), dtype=np.float64).reshape(-1, 3)
    ijk[:, 2] = slice_index
    inside = (ijk[:, 0] >= -0.5) & (ijk[:, 0] <= nx - 0.5) & (ijk[:, 1] >= -0.5) & (ijk[:, 1] <= ny - 0.5)
    if not inside.any():
        raise MeasurementError("the brush stroke lies entirely outside the image: paint over the lesion")
    sx, sy = volume.pixel_spacing
    i0 = max(0, math.floor(ijk[:, 0].min() - radius_mm / sx))
    i1 = min(nx - 1, math.ceil(ijk[:, 0].max() + radius_mm / sx))
    j0 = max(0, math.floor(ijk[:, 1].min() - radius_mm / sy))
    j1 = min(ny - 1, math.ceil(ijk[:, 1].max() + radius_mm / sy))
    jj, ii = np.mgrid[j0 : j1 + 1, i0 : i1 + 1]
    grid = np.stack([ii, jj, np.full_like(ii, slice_index)], axis=-1).astype(np.float64)
    pixels = np.asarray(volume.index_to_lps(grid), dtype=np.float64)  # (h, w, 3)
    path = np.asarray(volume.index_to_lps(ijk), dtype=np.float64).reshape(-1, 3)
    limit = radius_mm * radius_mm * (1 + 1e-12)
    footprint = ((pixels - path[0]) ** 2).sum(axis=-1) <= limit
    for a, b in pairwise(path):
        ab = b - a
        length2 = float(ab @ ab)
        if length2 == 0.0:
            continue
        t = np.clip(((pixels - a) @ ab) / length2, 0.0, 1.0)
        nearest = a + t[..., None] * ab
        footprint |= ((pixels - nearest) ** 2).sum(axis=-1) <= limit
    return j0, i0, footprint


def apply_stroke(
    volume: Volume,
    segmentation: LesionSegmentation | None,
    slice_index: int,
    centres: Sequence[Sequence[float]],
    radius_mm: float,
    mode: BrushMode,
) -> LesionSegmentation:
    """A NEW segmentation with the stroke added or erased (None + add: a mask painted from scratch).

    Raises MeasurementError for a stroke on another series, an erase with nothing to erase, or an erase that
    leaves the lesion empty (the reader records it as disappeared or too small instead).
    """
    if mode not in ("add", "erase"):
        raise MeasurementError(f"brush mode must be 'add' or 'erase', got {mode!r}")
    if segmentation is not None and (
        segmentation.volume_shape != volume.shape
        or (segmentation.series_uid and segmentation.series_uid != volume.series_instance_uid)
    ):
        raise MeasurementError("the brush was applied to a different series than the lesion mask was made on")
    if segmentation is None and mode == "erase":
        raise MeasurementError("this lesion has no mask to erase from: segment it or paint it first")
    j0, i0, footprint = stroke_footprint(volume, slice_index, centres, radius_mm)
    h, w = footprint.shape
    stroke_lo = np.array([slice_index, j0, i0])
    stroke_hi = stroke_lo + np.array([1, h, w])
    if segmentation is None:
        lo, hi = stroke_lo, stroke_hi
    else:
        seg_lo = np.asarray(segmentation.offset)
        lo = np.minimum(seg_lo, stroke_lo)
        hi = np.maximum(seg_lo + np.asarray(segmentation.mask.shape), stroke_hi)
    local = np.zeros(tuple(int(v) for v in hi - lo), dtype=bool)
    if segmentation is not None:
        z, y, x = (np.asarray(segmentation.offset) - lo).tolist()
        dz, dy, dx = segmentation.mask.shape
        local[z : z + dz, y : y + dy, x : x + dx] = segmentation.mask
    z, y, x = (stroke_lo - lo).tolist()
    region = local[z, y : y + h, x : x + w]
    if mode == "add":
        region |= footprint
    else:
        region &= ~footprint
    if not local.any():
        if segmentation is None:
            raise MeasurementError("the brush stroke painted no voxel: paint over the image")
        raise MeasurementError(
            "the eraser removed the whole lesion: undo, or record the lesion as disappeared or too small to measure"
        )
    idx = np.argwhere(local)
    a, b = idx.min(axis=0), idx.max(axis=0) + 1
    method = "" if segmentation is None else segmentation.method
    edited = method if method.endswith("brush edits") else (f"{method} + brush edits" if method else "brush edits")
    return LesionSegmentation(
        series_uid=volume.series_instance_uid,
        volume_shape=volume.shape,
        offset=(int(lo[0] + a[0]), int(lo[1] + a[1]), int(lo[2] + a[2])),
        mask=local[a[0] : b[0], a[1] : b[1], a[2] : b[2]],
        seed=None if segmentation is None else segmentation.seed,
        method=edited,
    )
