"""Brush strokes on a lesion mask: the reader's correction of a one-click segmentation, and the new numbers.

The workstation sends what the reader dragged on the image shown: the stroke's points (LPS mm, on one acquired
slice), the brush radius in mm and whether it adds or erases. `apply_brush_stroke` paints the stroke into the mask
and measures the lesion again, so the lesion table, the RECIST diameters and the Choi density follow the edit at
once. The stroke is the set of pixel centres of that slice lying within the radius of the polyline through the
points (a swept disc; a single point is a disc), in true mm through the Volume, so the brush is round on
anisotropic and oblique grids. Edits return new objects (undo = keep the previous one).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import as_point, on_one_slice
from sfrt_reader.measurement.lesion_mask import LesionSegmentation, edited_method
from sfrt_reader.measurement.lesion_metrics import SegmentationResult, measure_segmentation

BrushMode = Literal["add", "erase"]
MAX_RADIUS_MM = 100.0


def _distance_to_polyline(points: NDArray[np.float64], polyline: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance (mm) of each point (..., 3) to the polyline (n, 3); a polyline of one point is that point."""
    best = np.sqrt(((points - polyline[0]) ** 2).sum(axis=-1))
    for a, b in itertools.pairwise(polyline):
        ab = b - a
        denom = float(ab @ ab)
        if denom == 0.0:
            continue
        t = np.clip(((points - a) @ ab) / denom, 0.0, 1.0)
        closest = a + t[..., None] * ab
        best = np.minimum(best, np.sqrt(((points - closest) ** 2).sum(axis=-1)))
    return np.asarray(best, dtype=np.float64)


def stroke_mask(
    volume: Volume, points: Sequence[Sequence[float]], radius_mm: float
) -> tuple[int, tuple[slice, slice], NDArray[np.bool_]]:
    """(k, (rows, columns) slices, mask) of the pixels a stroke paints on its slice k.

    Refuses a stroke with no point, points outside the image or on different slices, and a radius that is not
    a positive number of mm (up to MAX_RADIUS_MM)."""
    if not math.isfinite(radius_mm) or radius_mm <= 0 or radius_mm > MAX_RADIUS_MM:
        raise MeasurementError(
            f"the brush radius must be a positive number of mm up to {MAX_RADIUS_MM:g}, got {radius_mm}"
        )
    pts = [as_point(p, "brush point") for p in points]
    if not pts:
        raise MeasurementError("the brush stroke has no point: press on the image where the lesion needs correcting")
    k, ij = on_one_slice(volume, pts, "brush stroke")
    # The stroke projected onto the slice plane (points a little off the plane count as drawn on it).
    on_plane = volume.index_to_lps(np.column_stack([ij, np.full(len(ij), k)]).astype(np.float64))
    sx, sy = volume.pixel_spacing
    ny, nx = volume.shape[1], volume.shape[2]
    i0 = max(0, math.floor(float(ij[:, 0].min()) - radius_mm / sx))
    i1 = min(nx - 1, math.ceil(float(ij[:, 0].max()) + radius_mm / sx))
    j0 = max(0, math.floor(float(ij[:, 1].min()) - radius_mm / sy))
    j1 = min(ny - 1, math.ceil(float(ij[:, 1].max()) + radius_mm / sy))
    jj, ii = np.mgrid[j0 : j1 + 1, i0 : i1 + 1]
    centres = volume.index_to_lps(np.stack([ii, jj, np.full_like(ii, k)], axis=-1).astype(np.float64))
    painted = _distance_to_polyline(centres, np.asarray(on_plane, dtype=np.float64)) <= radius_mm * (1 + 1e-12)
    return k, (slice(j0, j1 + 1), slice(i0, i1 + 1)), np.asarray(painted, dtype=bool)


def brush_stroke(
    volume: Volume,
    segmentation: LesionSegmentation,
    points: Sequence[Sequence[float]],
    radius_mm: float,
    mode: BrushMode,
) -> LesionSegmentation:
    """A new mask with the stroke added or erased (see the module's rule for which pixels the stroke paints)."""
    if mode not in ("add", "erase"):
        raise MeasurementError(f"brush mode must be 'add' or 'erase', got {mode!r}")
    if segmentation.volume_shape != volume.shape or (
        segmentation.series_uid and segmentation.series_uid != volume.series_instance_uid
    ):
        raise MeasurementError("the brush was applied to a different series than the lesion mask was made on")
    k, (rows, cols), painted = stroke_mask(volume, points, radius_mm)
    full = segmentation.full_mask()
    plane = full[k, rows, cols]
    full[k, rows, cols] = (plane | painted) if mode == "add" else (plane & ~painted)
    if not full.any():
        raise MeasurementError(
            "the eraser removed the whole lesion: undo, or record the lesion as disappeared or too small to measure"
        )
    return LesionSegmentation.from_full_mask(
        volume, full, seed=segmentation.seed, method=edited_method(segmentation.method)
    )


def painted_segmentation(
    volume: Volume,
    segmentation: LesionSegmentation | None,
    points: Sequence[Sequence[float]],
    radius_mm: float,
    mode: BrushMode,
) -> LesionSegmentation:
    """The same new mask as `brush_stroke` (same voxels, box, seed and method), computed inside the union of the
    lesion's box and the stroke's reach instead of on the whole series grid.

    Why a second path: `brush_stroke` unpacks the mask onto the full grid (40 M voxels on a 512 x 512 x 150 CT) and
    searches that grid for the new bounding box, about a second per stroke on a large sarcoma; the box holds all
    that can change. A lesion without a mask (segmentation None) gets the stroke as its mask ("brush"), so a
    reader can outline by hand a lesion the one-click segmentation does not find; erasing from none is refused.
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
    k, (rows, cols), painted = stroke_mask(volume, points, radius_mm)
    lo = [k, rows.start, cols.start]
    hi = [k + 1, rows.stop, cols.stop]
    if segmentation is not None:
        lo = [min(a, b.start) for a, b in zip(lo, segmentation.box, strict=True)]
        hi = [max(a, b.stop) for a, b in zip(hi, segmentation.box, strict=True)]
    region = np.zeros([b - a for a, b in zip(lo, hi, strict=True)], dtype=bool)
    if segmentation is not None:
        region[tuple(slice(b.start - a, b.stop - a) for a, b in zip(lo, segmentation.box, strict=True))] = (
            segmentation.mask
        )
    target = (k - lo[0], slice(rows.start - lo[1], rows.stop - lo[1]), slice(cols.start - lo[2], cols.stop - lo[2]))
    plane = region[target]
    region[target] = (plane | painted) if mode == "add" else (plane & ~painted)
    if not region.any():
        raise MeasurementError(
            "the eraser removed the whole lesion: undo, or record the lesion as disappeared or too small to measure"
        )
    crop = []
    for axis in range(3):
        present = np.flatnonzero(region.any(axis=tuple(a for a in range(3) if a != axis)))
        crop.append(slice(int(present[0]), int(present[-1]) + 1))
    return LesionSegmentation(
        series_uid=volume.series_instance_uid,
        volume_shape=volume.shape,
        offset=(lo[0] + crop[0].start, lo[1] + crop[1].start, lo[2] + crop[2].start),
        mask=region[tuple(crop)],
        seed=None if segmentation is None else segmentation.seed,
        method="brush" if segmentation is None else edited_method(segmentation.method),
    )


def apply_brush_stroke(
    volume: Volume,
    lesion: LesionSegmentation | SegmentationResult,
    points: Sequence[Sequence[float]],
    radius_mm: float,
    mode: BrushMode,
) -> SegmentationResult:
    """Paint one brush stroke into a lesion's mask and measure the lesion again.

    lesion: the current mask, or the current result (its mask is used); points: the stroke in LPS mm on one
    acquired slice; radius_mm: the brush radius; mode: "add" or "erase". Returns the new mask's volume, density,
    diameters and lines (the mask is `result.segmentation`). MeasurementError for a stroke off the image or across
    slices, a bad radius or mode, another series, or an eraser that removes the whole lesion.
    """
    segmentation = lesion.segmentation if isinstance(lesion, SegmentationResult) else lesion
    return measure_segmentation(volume, brush_stroke(volume, segmentation, points, radius_mm, mode))
