"""Lesion masks on screen, without Qt: the brush size, a mask's cut on the displayed slice, and its outline.

The outline is traced along pixel EDGES (where a mask pixel meets a non-mask pixel), not through pixel centres:
that is what a reader sees as the boundary of the painted pixels, it is exact at any zoom, and a one-pixel island
still shows as a small square. Runs of collinear edges are merged so a 200-pixel lesion draws a few hundred
segments, not thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.reslice import ResampledPlane
from sfrt_reader.ui.state.planes import SliceGeometry

BRUSH_MIN_MM = 0.5
BRUSH_MAX_MM = 50.0
BRUSH_STEP = 1.2  # one [ or ] press, one Ctrl+wheel notch: 20 % smaller / larger

Segment = tuple[float, float, float, float]  # u0, v0, u1, v1 in display pixel units (pixel centres at integers)


@dataclass
class BrushSettings:
    """The brush radius in mm, shared by every viewport of a window (a reader sets it once)."""

    radius_mm: float = 5.0

    def set_radius(self, radius_mm: float) -> float:
        self.radius_mm = float(min(BRUSH_MAX_MM, max(BRUSH_MIN_MM, radius_mm)))
        return self.radius_mm

    def grow(self, steps: float = 1.0) -> float:
        """Larger for positive steps, smaller for negative ones (geometric, so small brushes stay fine-grained)."""
        return self.set_radius(self.radius_mm * BRUSH_STEP**steps)


def mask_slice(
    full_mask: NDArray[np.bool_], geometry: SliceGeometry | ResampledPlane, slice_index: int
) -> NDArray[np.bool_]:
    """The mask's cut on the displayed slice as [v, u] (the same layout as the image shown).

    A permutation layout cuts the array itself; a resampled plane (oblique, or a reformat of a tilted or unevenly
    spaced stack) takes, for each display pixel, the voxel nearest to its LPS point (`Volume.lps_to_index`): a mask
    is a label, so it is never interpolated.
    """
    if not 0 <= slice_index < geometry.slice_count:
        return np.zeros((geometry.height, geometry.width), dtype=bool)
    if isinstance(geometry, SliceGeometry):
        return np.ascontiguousarray(geometry.extract(full_mask, slice_index))
    uu, vv = np.meshgrid(np.arange(geometry.width), np.arange(geometry.height))
    lps = geometry.display_to_lps(uu, vv, float(slice_index)).reshape(-1, 3)
    ijk = np.rint(np.asarray(geometry.volume.lps_to_index(lps), dtype=np.float64)).astype(np.int64)
    nz, ny, nx = full_mask.shape
    inside = (
        (ijk[:, 0] >= 0) & (ijk[:, 0] < nx) & (ijk[:, 1] >= 0) & (ijk[:, 1] < ny) & (ijk[:, 2] >= 0) & (ijk[:, 2] < nz)
    )
    out = np.zeros(len(ijk), dtype=bool)
    hit = ijk[inside]
    out[inside] = full_mask[hit[:, 2], hit[:, 1], hit[:, 0]]
    return out.reshape(geometry.height, geometry.width)


def _runs(edges: NDArray[np.bool_]) -> list[tuple[int, int, int]]:
    """(row, start, stop) of each horizontal run of True in a 2-D array."""
    padded = np.zeros((edges.shape[0], edges.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = edges
    diff = np.diff(padded, axis=1)
    rows_s, starts = np.nonzero(diff == 1)
    _rows_e, stops = np.nonzero(diff == -1)
    return [(int(r), int(a), int(b)) for r, a, b in zip(rows_s, starts, stops, strict=True)]


def outline_segments(mask: NDArray[np.bool_]) -> list[Segment]:
    """The boundary of a 2-D mask [v, u] as merged line segments along pixel edges (display pixel units)."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    padded = np.pad(m, 1)
    # horizontal edges: between rows r-1 and r (r = 0..h), spanning columns
    horizontal = padded[1:, 1:-1] != padded[:-1, 1:-1]  # (h + 1, w)
    vertical = padded[1:-1, 1:] != padded[1:-1, :-1]  # (h, w + 1)
    segments: list[Segment] = []
    for r, a, b in _runs(horizontal):
        segments.append((a - 0.5, r - 0.5, b - 0.5, r - 0.5))
    for c, a, b in _runs(np.ascontiguousarray(vertical.T)):
        segments.append((c - 0.5, a - 0.5, c - 0.5, b - 0.5))
    return segments


def outline_length(segments: list[Segment]) -> float:
    """Total length of the segments in pixel units (the perimeter of the painted pixels)."""
    return float(sum(abs(u1 - u0) + abs(v1 - v0) for u0, v0, u1, v1 in segments))
