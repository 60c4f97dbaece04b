"""True lesion measurements from a label mask: the numbers the demo trial's ground truth is made of.

Why here and not in `measurement/`: the ground truth of the demo trial is written by `imaging/` (which may not
import `measurement/`), and it must be computed independently of the code it will later check. Everything goes
through `Volume.index_to_lps`, so the numbers are true millimetres whatever the pixel spacing or orientation.

Conventions (also in the README):
- longest axial diameter: the maximum Feret diameter of the mask on each acquired slice, between PIXEL CENTRES
  (convex hull of the pixel centres, exact maximum over hull vertex pairs), the largest over all slices;
- short axis: on that slice, the longest extent of the mask perpendicular to the long axis, taken within strips
  one pixel wide across the long axis (the longest perpendicular chord a reader's calliper can span);
- volume: voxel count x voxel volume; centroid: mean LPS position of the voxel centres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AxialDiameters:
    """Longest axial diameter and its perpendicular short axis on one slice, with their end points in LPS."""

    slice_index: int
    longest_mm: float
    longest_line: tuple[tuple[float, float, float], tuple[float, float, float]]
    short_mm: float
    short_line: tuple[tuple[float, float, float], tuple[float, float, float]]


def _as_tuple(p: FloatArray) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2]))


def _feret(lps: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """Exact maximum distance between any two of the points (LPS, all on one plane)."""
    if len(lps) == 1:
        return 0.0, lps[0], lps[0]
    # Hull in in-plane coordinates (the first two principal in-plane axes are enough: the points are coplanar).
    centred = lps - lps.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    plane = centred @ vt[:2].T
    hull_idx = _hull_index(plane)
    cand = lps[hull_idx]
    diff = cand[:, None, :] - cand[None, :, :]
    dist = np.sqrt((diff**2).sum(axis=-1))
    a, b = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return float(dist[a, b]), cand[a], cand[b]


def _hull_index(plane: FloatArray) -> NDArray[np.intp]:
    if len(plane) < 4:
        return np.arange(len(plane))
    from scipy.spatial import ConvexHull, QhullError

    try:
        return np.asarray(ConvexHull(plane).vertices, dtype=np.intp)
    except QhullError:
        return np.arange(len(plane))


def slice_diameters(mask_slice: NDArray[np.bool_], k: int, volume: Volume) -> AxialDiameters:
    """Longest diameter and perpendicular short axis of the mask on slice k (see the module conventions)."""
    jj, ii = np.nonzero(mask_slice)
    if len(ii) == 0:
        raise ValueError(f"slice {k} of the mask is empty")
    idx = np.column_stack([ii, jj, np.full(len(ii), k)]).astype(np.float64)
    lps = volume.index_to_lps(idx)
    longest, p1, p2 = _feret(lps)
    if longest == 0.0:
        return AxialDiameters(k, 0.0, (_as_tuple(p1), _as_tuple(p2)), 0.0, (_as_tuple(p1), _as_tuple(p2)))
    u = (p2 - p1) / longest
    v = np.cross(np.asarray(volume.normal), u)
    s = (lps - p1) @ u
    t = (lps - p1) @ v
    strip = min(volume.pixel_spacing)
    bins = np.floor(s / strip + 0.5).astype(np.int64)
    best = (0.0, p1, p1)
    for b in np.unique(bins):
        sel = np.nonzero(bins == b)[0]
        lo = sel[int(np.argmin(t[sel]))]
        hi = sel[int(np.argmax(t[sel]))]
        # Project both ends onto one line perpendicular to the long axis, through the strip's centre.
        extent = float(t[hi] - t[lo])
        if extent > best[0]:
            centre_s = float(b) * strip
            a_pt = p1 + centre_s * u + t[lo] * v
            b_pt = p1 + centre_s * u + t[hi] * v
            best = (extent, a_pt, b_pt)
    return AxialDiameters(k, longest, (_as_tuple(p1), _as_tuple(p2)), best[0], (_as_tuple(best[1]), _as_tuple(best[2])))


def longest_axial_diameters(mask: NDArray[np.bool_], volume: Volume) -> AxialDiameters:
    """The slice with the largest Feret diameter of the mask and its diameters (ties: the lowest slice index)."""
    if mask.shape != volume.shape:
        raise ValueError(f"mask shape {mask.shape} differs from the volume's {volume.shape}")
    best: AxialDiameters | None = None
    for k in np.nonzero(mask.reshape(mask.shape[0], -1).any(axis=1))[0]:
        d = slice_diameters(mask[int(k)], int(k), volume)
        if best is None or d.longest_mm > best.longest_mm:
            best = d
    if best is None:
        raise ValueError("the mask is empty")
    return best


def volume_ml(mask: NDArray[np.bool_], volume: Volume) -> float:
    """Voxel count times voxel volume, in millilitres."""
    return float(np.count_nonzero(mask)) * volume.voxel_volume_mm3 / 1000.0


def centroid_lps(mask: NDArray[np.bool_], volume: Volume) -> tuple[float, float, float]:
    """Mean LPS position of the mask's voxel centres."""
    kk, jj, ii = np.nonzero(mask)
    if len(ii) == 0:
        raise ValueError("the mask is empty")
    # Mean of the true voxel positions (not of indices): exact on uneven or tilted stacks too.
    lps = volume.index_to_lps(np.column_stack([ii, jj, kk]).astype(np.float64))
    return _as_tuple(lps.mean(axis=0))
