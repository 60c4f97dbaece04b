"""Planes resampled through a volume in true millimetres: reformats of irregular stacks and oblique planes.

Why our own resampling rather than SimpleITK or vtkImageReslice: both assume a regular grid (one origin, one
spacing, one direction matrix). A gantry-tilted CT or a stack with uneven gaps is not one, and forcing it into
one shears or stretches the reformat. Here every display pixel is placed in patient LPS millimetres on an
orthonormal plane and mapped to a continuous voxel index by `Volume.lps_to_index`, which knows every slice's
true position; the value is then trilinear interpolation (`scipy.ndimage.map_coordinates`, order 1) between the
eight neighbouring voxels. So a reformat is geometrically true whatever the stack, and a point drawn on it maps
back to LPS exactly (`display_to_lps` is an affine map, no index rounding).

The volume's own array is read where it lies: no copy of the series is made or kept for reslicing (a
512 x 512 x 150 CT is 75 MB; a SimpleITK image of it, as this module once kept per open series for its
ResampleImageFilter, cost that much again and about 150 ms before the first oblique slice). SimpleITK 2.5's
Python interface offers no image that views a numpy array without copying it (`GetImageFromArray` always copies),
so the interpolation reads the array in place: scipy's `map_coordinates` (order 1: no prefilter, no copy) at
the plane's own pixels, or, for the planes that contain the slice normal (all oblique planes here), a separable
form of the same trilinear interpolation that is faster still (`sample_columns_by_rows`). Where the stack is one
regular grid (`affine_index_map`: slice origins on a straight, evenly stepped
line) a plane's voxel indices are an affine function of its pixel position, computed without the per-pixel
interpolation between true slice positions that `Volume.grid_lps_to_index` does for irregular stacks.

Pixels are spaced as finely as the series samples each direction (`sampling_step`): a coronal of 5 mm slices has
0.8 mm columns and 5 mm rows, shown with that true aspect. A `ResampledPlane` is a stack of parallel planes:
display pixel (u, v) on slice s sits at origin + u * spacing_u * right + v * spacing_v * down
+ s * spacing_s * normal, with right, down and normal orthonormal (normal = right x down). It offers the same
layout facts as the permutation layout of `sfrt_reader.ui.state.planes.SliceGeometry` (width, height,
slice_count, spacing_u, spacing_v, right, down, display_to_index, index_to_display, extract), so a viewport shows
either without knowing which.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sfrt_reader.imaging.volume import Volume

FloatArray = NDArray[np.float64]

# Axis-aligned reformats, oriented the radiological way: (display right, display down) in LPS.
ORTHOGONAL_RIGHT_DOWN: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "axial": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "coronal": ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
    "sagittal": ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),
}
_CACHE_SLICES = 2
# A point this close (in voxels) to the outer voxel edge counts as inside: a plane built on the volume's corners
# puts its border pixels exactly there, and floating-point noise must not decide between a value and the fill.
EDGE_TOLERANCE = 1e-6


def _unit(vector: ArrayLike, what: str) -> FloatArray:
    v = np.asarray(vector, dtype=np.float64).reshape(3)
    norm = float(np.linalg.norm(v))
    if not math.isfinite(norm) or norm < 1e-9:
        raise ValueError(f"{what} must be a non-zero direction, got {v.tolist()}")
    return np.asarray(v / norm, dtype=np.float64)


def needs_resampling(volume: Volume) -> bool:
    """True when permuting the array axes would not give a true reformat: uneven gaps or a tilted stack."""
    return (not volume.is_uniform) or volume.tilt_degrees > 0.01


# A stack whose slice origins stray less than this (in voxels) from a straight, evenly stepped line is mapped to
# voxel indices by one affine map: the interpolated values then differ by far less than a rounding step.
AFFINE_TOLERANCE_VOXELS = 1e-4


def affine_index_map(volume: Volume) -> tuple[FloatArray, FloatArray] | None:
    """(A, b) with continuous index (i, j, k) = A @ lps + b for every point, when the stack is one regular grid
    (evenly spaced slices stepping straight or along a fixed tilt); None for uneven gaps or a single slice.

    Why: on such a stack `Volume.lps_to_index` is affine, so a plane's indices are an affine function of its pixel
    position and cost one multiply-add per pixel and axis, against the per-pixel interpolation between true slice
    positions of `Volume.grid_lps_to_index`. The test is on the slice origins themselves, not on `is_uniform`
    (which allows gaps uneven by 1%): where the affine map would put a slice off by more than
    `AFFINE_TOLERANCE_VOXELS`, the stack keeps the path through the true positions."""
    positions = np.asarray(volume.positions, dtype=np.float64)
    nz = len(positions)
    if nz < 2:
        return None
    steps = np.arange(nz, dtype=np.float64)[:, None] / (nz - 1)
    straight = positions[0] + steps * (positions[-1] - positions[0])
    sx, sy = volume.pixel_spacing
    finest = min(float(sx), float(sy), float(volume.slice_spacing_mm))
    if float(np.abs(positions - straight).max()) > AFFINE_TOLERANCE_VOXELS * finest:
        return None
    points = positions[0] + np.vstack([np.zeros(3), np.eye(3)]) * 10.0  # four points span the affine map
    ijk = volume.lps_to_index(points)
    a = (ijk[1:] - ijk[0]).T / 10.0  # column n: the index change per mm along LPS axis n
    b = ijk[0] - a @ points[0]
    return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)


def plane_indices(
    volume: Volume,
    origin: FloatArray,
    right: FloatArray,
    down: FloatArray,
    spacing: tuple[float, float],
    size: tuple[int, int],
) -> FloatArray:
    """Continuous voxel index (i, j, k) of every pixel of one plane, shape (height, width, 3): pixel (u, v) sits at
    origin + u * spacing[0] * right + v * spacing[1] * down. Affine on a regular stack (`affine_index_map`), else
    through `Volume.grid_lps_to_index` (true slice positions)."""
    width, height = int(size[0]), int(size[1])
    mapping = affine_index_map(volume)
    if mapping is None:
        return volume.grid_lps_to_index(origin, [(right * spacing[0], width), (down * spacing[1], height)])
    a, b = mapping
    start = a @ origin + b
    step_u, step_v = a @ (right * spacing[0]), a @ (down * spacing[1])
    uu = np.arange(width, dtype=np.float64)[None, :, None]
    vv = np.arange(height, dtype=np.float64)[:, None, None]
    return np.asarray(start + uu * step_u + vv * step_v, dtype=np.float64)


def volume_corners_lps(volume: Volume) -> FloatArray:
    """(8, 3) LPS of the outer voxel edges of the first and last slices: every voxel lies within their hull."""
    nx, ny, nz = volume.size
    corners = [
        (i, j, k) for i in (-0.5, nx - 0.5) for j in (-0.5, ny - 0.5) for k in (0.0, float(nz - 1))
    ]  # slices are planes: their extent along the normal is covered by the first and last plane
    return volume.index_to_lps(np.asarray(corners, dtype=np.float64))


class ResampledPlane:
    """A stack of parallel, evenly spaced planes through a volume (see the module docstring).

    `plane` is the anatomical name shown in the corner ("coronal", "oblique"...), given by the caller as a value of
    its own plane type; `centre_slice` is the slice through the point the plane was built around.
    """

    slice_axis = -1  # not an index axis: the planes cut across the voxel grid

    def __init__(
        self,
        volume: Volume,
        plane: Any,
        origin: ArrayLike,
        right: ArrayLike,
        down: ArrayLike,
        spacing: tuple[float, float, float],
        size: tuple[int, int, int],
        centre_slice: int = 0,
    ) -> None:
        r = _unit(right, "right")
        d = _unit(down, "down")
        if abs(float(r @ d)) > 1e-6:
            raise ValueError("the right and down directions of a plane must be perpendicular")
        if any(not math.isfinite(s) or s <= 0 for s in spacing):
            raise ValueError(f"plane spacing must be positive millimetres, got {spacing}")
        if any(n < 1 for n in size):
            raise ValueError(f"plane size must be at least one pixel each way, got {size}")
        self.volume = volume
        self.plane = plane
        self.origin = np.asarray(origin, dtype=np.float64).reshape(3)
        self.right_vector = r
        self.down_vector = d
        self.normal_vector = np.cross(r, d)
        self.spacing_u, self.spacing_v, self.spacing_s = (float(s) for s in spacing)
        self.width, self.height, self.slice_count = (int(n) for n in size)
        self.centre_slice = int(np.clip(centre_slice, 0, self.slice_count - 1))
        self.axis: tuple[FloatArray, FloatArray] | None = None  # the long axis an oblique plane was built on
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._fill = self._fill_value()

    # --------------------------------------------------------------------------------------------- facts
    @property
    def right(self) -> tuple[float, float, float]:
        r = self.right_vector
        return (float(r[0]), float(r[1]), float(r[2]))

    @property
    def down(self) -> tuple[float, float, float]:
        d = self.down_vector
        return (float(d[0]), float(d[1]), float(d[2]))

    @property
    def normal(self) -> tuple[float, float, float]:
        n = self.normal_vector
        return (float(n[0]), float(n[1]), float(n[2]))

    def _fill_value(self) -> float:
        """Outside the scanned field: air on CT, 0 elsewhere (the lowest value of the series, whichever lower)."""
        low = float(self.volume.array.min()) if self.volume.array.size else 0.0
        return min(low, -1000.0) if self.volume.unit.upper() == "HU" else min(low, 0.0)

    # ------------------------------------------------------------------------------------------- mapping
    def display_to_lps(self, u: ArrayLike, v: ArrayLike, s: ArrayLike) -> FloatArray:
        """LPS mm of display pixel(s) (u, v) on slice(s) s (continuous; broadcast), shape (..., 3)."""
        u_a, v_a, s_a = np.broadcast_arrays(
            np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64), np.asarray(s, dtype=np.float64)
        )
        out = (
            self.origin
            + np.multiply.outer(u_a * self.spacing_u, self.right_vector)
            + np.multiply.outer(v_a * self.spacing_v, self.down_vector)
            + np.multiply.outer(s_a * self.spacing_s, self.normal_vector)
        )
        return np.asarray(out, dtype=np.float64)

    def lps_to_display(self, lps: ArrayLike) -> FloatArray:
        """(..., 3) LPS mm to continuous (u, v, s); exact inverse of display_to_lps (orthonormal axes)."""
        d = np.asarray(lps, dtype=np.float64) - self.origin
        u = d @ self.right_vector / self.spacing_u
        v = d @ self.down_vector / self.spacing_v
        s = d @ self.normal_vector / self.spacing_s
        return np.asarray(np.stack([u, v, s], axis=-1), dtype=np.float64)

    def display_to_index(self, u: float, v: float, slice_index: float) -> FloatArray:
        """Continuous voxel index (i, j, k) of a display point, through `Volume.lps_to_index`."""
        return np.asarray(self.volume.lps_to_index(self.display_to_lps(u, v, slice_index)), dtype=np.float64)

    def index_to_display(self, ijk: ArrayLike) -> tuple[float, float, float]:
        """(u, v, slice) of a continuous voxel index."""
        u, v, s = self.lps_to_display(self.volume.index_to_lps(np.asarray(ijk, dtype=np.float64)))
        return float(u), float(v), float(s)

    def slice_positions_mm(self) -> FloatArray:
        """Signed distance (mm) of every slice from the plane's centre slice, along the normal."""
        return (np.arange(self.slice_count, dtype=np.float64) - self.centre_slice) * self.spacing_s

    # ---------------------------------------------------------------------------------------- resampling
    def extract(self, array: np.ndarray | None = None, slice_index: int = 0) -> np.ndarray:
        """The resampled slice as a [v, u] array of the volume's dtype (trilinear; outside the scan: fill).

        `array` is accepted for the layout interface and must be the volume's own array (or None).
        """
        if array is not None and array is not self.volume.array:
            raise ValueError("a resampled plane samples its own volume's array")
        s = int(slice_index)
        if not 0 <= s < self.slice_count:
            raise ValueError(f"slice {s} is outside 0..{self.slice_count - 1}")
        cached = self._cache.get(s)
        if cached is not None:
            self._cache.move_to_end(s)
            return cached
        image = self.resample(s)
        self.remember(s, image)
        return image

    def resample(self, slice_index: int) -> np.ndarray:
        """Slice `slice_index` computed afresh, read-only, without reading or filling the cache.

        Why separate from `extract`: it reads only the volume and the plane's fixed geometry, so a worker thread
        may run it while the GUI thread shows other slices (the workstation scrolls an oblique plane that way);
        the GUI thread then hands the result to `remember`.

        The volume's own array is sampled where it lies (no copy of the series is made or kept). A plane whose
        columns keep their in-plane position and rows their slice (every oblique plane of a straight stack, the
        coronal and sagittal reformats of an axial one) is interpolated column by row (`sample_columns_by_rows`);
        any other by `sample_volume` at the voxel indices of `plane_indices` (affine on a regular stack, true
        slice positions otherwise), only at the pixels inside the scan."""
        s = int(slice_index)
        if not 0 <= s < self.slice_count:
            raise ValueError(f"slice {s} is outside 0..{self.slice_count - 1}")
        corner = self.origin + s * self.spacing_s * self.normal_vector
        mapping = affine_index_map(self.volume)
        if mapping is not None:
            a, b = mapping
            start = a @ corner + b
            step_u, step_v = a @ (self.right_vector * self.spacing_u), a @ (self.down_vector * self.spacing_v)
            if np.all(np.abs(step_v[:2]) * self.height <= 1e-9) and abs(step_u[2]) * self.width <= 1e-9:
                # columns keep their in-plane position, rows their slice: no grid of indices is needed
                columns = start[:2] + np.multiply.outer(np.arange(self.width, dtype=np.float64), step_u[:2])
                rows = start[2] + np.arange(self.height, dtype=np.float64) * step_v[2]
                image = sample_columns_by_rows(self.volume, columns, rows, self._fill)
                image.flags.writeable = False
                return image
        ijk = plane_indices(
            self.volume,
            corner,
            self.right_vector,
            self.down_vector,
            (self.spacing_u, self.spacing_v),
            (self.width, self.height),
        )
        separable = sample_separable(self.volume, ijk, self._fill)
        image = sample_volume(self.volume, ijk, self._fill) if separable is None else separable
        image.flags.writeable = False
        return image

    def resample_through_index(self, slice_index: int) -> np.ndarray:
        """Slice `slice_index` with every pixel's voxel index from `Volume.grid_lps_to_index` (true slice positions,
        whatever the stack) and scipy's map_coordinates at every pixel: what `resample` gives, computed without its
        shortcuts (the affine indices of a regular stack, the separable interpolation of planes along the normal)."""
        s = int(slice_index)
        corner = self.origin + s * self.spacing_s * self.normal_vector
        ijk = self.volume.grid_lps_to_index(
            corner, [(self.right_vector * self.spacing_u, self.width), (self.down_vector * self.spacing_v, self.height)]
        )
        image = sample_volume(self.volume, ijk, self._fill)
        image.flags.writeable = False
        return image

    def is_cached(self, slice_index: int) -> bool:
        """Whether `extract(None, slice_index)` returns at once (the slice was resampled recently)."""
        return int(slice_index) in self._cache

    def remember(self, slice_index: int, image: np.ndarray) -> None:
        """Keep a slice made by `resample` for `extract` (the last few are kept)."""
        if image.shape != (self.height, self.width):
            raise ValueError(f"a slice of this plane is {self.height} x {self.width}, got {image.shape}")
        self._cache[int(slice_index)] = image
        self._cache.move_to_end(int(slice_index))
        while len(self._cache) > _CACHE_SLICES:
            self._cache.popitem(last=False)

    def sample(self, u: ArrayLike, v: ArrayLike, s: ArrayLike) -> np.ndarray:
        """Trilinear values at display points (broadcast), in the volume's dtype (rounded for integer data)."""
        lps = self.display_to_lps(u, v, s)
        ijk = self.volume.lps_to_index(lps)
        return sample_volume(self.volume, ijk, self._fill)


def _to_volume_type(values: FloatArray, dtype: np.dtype[Any]) -> np.ndarray:
    """Interpolated values in the volume's own type: integer data rounded to the nearest and clipped to the type."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = np.clip(np.rint(values, out=values), info.min, info.max, out=values)
    return np.asarray(values.astype(dtype, copy=False))


def sample_separable(volume: Volume, ijk: FloatArray, fill: float) -> np.ndarray | None:
    """`sample_volume` (trilinear, clamped in the outer half voxel, `fill` beyond) of a plane's indices (height,
    width, 3) whose columns keep one in-plane position and whose rows keep one slice position: i and j depend on
    the column only, k on the row only (`sample_columns_by_rows`). None for any other plane."""
    if ijk.ndim != 3 or ijk.shape[0] < 1 or ijk.shape[1] < 1:
        return None
    column = ijk[0, :, :2]  # (width, 2): i, j of each column
    row = ijk[:, 0, 2]  # (height,): k of each row
    if not (np.all(np.abs(ijk[..., :2] - column) <= 1e-9) and np.all(np.abs(ijk[..., 2] - row[:, None]) <= 1e-9)):
        return None
    return sample_columns_by_rows(volume, column, row, fill)


def sample_columns_by_rows(volume: Volume, column_ij: FloatArray, row_k: FloatArray, fill: float) -> np.ndarray:
    """The plane whose column u sits at in-plane index `column_ij[u]` (i, j) and whose row v at slice index
    `row_k[v]`, trilinear as `sample_volume` (clamped in the outer half voxel, `fill` beyond), in the volume's type.

    Why: that is every oblique plane of a straight stack (they contain the slice normal, which runs down the
    screen) and every coronal or sagittal reformat of an axial one, evenly spaced or not. Trilinear interpolation
    there is the bilinear value of each column's point on every slice the plane crosses (four reads per column and
    slice, along the slices of the series' own array, nothing copied), then linear between the two slices of each
    row: the same numbers as `map_coordinates`, about twice as fast on an oblique plane of a 512 x 512 x 150 CT
    (bench/ui_oblique_bench.py), where map_coordinates pays its generic per-point spline set-up at every pixel."""
    data = volume.array
    nz, ny, nx = data.shape
    i, j = column_ij[:, 0], column_ij[:, 1]
    inside_u = (i >= -0.5 - EDGE_TOLERANCE) & (i <= nx - 0.5 + EDGE_TOLERANCE)
    inside_u &= (j >= -0.5 - EDGE_TOLERANCE) & (j <= ny - 0.5 + EDGE_TOLERANCE)
    inside_v = (row_k >= -0.5 - EDGE_TOLERANCE) & (row_k <= nz - 0.5 + EDGE_TOLERANCE)
    out = np.full((len(row_k), len(column_ij)), fill, dtype=np.float64)
    if inside_u.any() and inside_v.any():
        cols, rows = np.flatnonzero(inside_u), np.flatnonzero(inside_v)

        def lower(c: FloatArray, n: int) -> tuple[np.ndarray, FloatArray]:
            """Lower neighbour and the upper one's weight of clamped coordinates (one voxel: both the same)."""
            c = np.clip(c, 0.0, n - 1.0)
            low = np.minimum(c.astype(np.intp), max(n - 2, 0))
            return low, c - low

        i0, wi = lower(i[cols], nx)
        j0, wj = lower(j[cols], ny)
        k0, wk = lower(row_k[rows], nz)
        i1, j1 = np.minimum(i0 + 1, nx - 1), np.minimum(j0 + 1, ny - 1)
        first, last = int(k0.min()), min(int(k0.max()) + 1, nz - 1)
        slab = data[first : last + 1]  # a view: the slices the rows fall between
        a00 = slab[:, j0, i0].astype(np.float64)
        top = a00 + wi * (slab[:, j0, i1] - a00)
        a10 = slab[:, j1, i0].astype(np.float64)
        bottom = a10 + wi * (slab[:, j1, i1] - a10)
        per_slice = top + wj * (bottom - top)  # (slices, columns): the bilinear value of each column on each slice
        k1 = np.minimum(k0 + 1, nz - 1) - first
        below = per_slice[k0 - first]
        values = below + wk[:, None] * (per_slice[k1] - below)
        if len(rows) == out.shape[0] and len(cols) == out.shape[1]:
            out = values
        else:
            out[np.ix_(rows, cols)] = values
    return _to_volume_type(out, data.dtype)


def sample_volume(volume: Volume, ijk: ArrayLike, fill: float, order: int = 1) -> np.ndarray:
    """Values of the volume at continuous indices (..., 3) (i, j, k): trilinear (order 1) or nearest (order 0).

    Points outside the voxel grid (beyond the outer voxel edges) get `fill`; inside, within the outer half voxel,
    the border voxels' values hold (clamped). Integer data are rounded back to their type. The volume's array is
    read in place (`scipy.ndimage.map_coordinates` does no prefiltering at order 0 or 1, so it copies nothing) and
    only the points inside are interpolated: an oblique plane's corners often lie outside the scan."""
    from scipy.ndimage import map_coordinates

    p = np.asarray(ijk, dtype=np.float64)
    shape = p.shape[:-1]
    flat = p.reshape(-1, 3)
    nx, ny, nz = volume.size
    inside = np.ones(len(flat), dtype=bool)
    for axis, n in enumerate((nx, ny, nz)):
        c = flat[:, axis]
        inside &= (c >= -0.5 - EDGE_TOLERANCE) & (c <= n - 0.5 + EDGE_TOLERANCE)
    data = volume.array
    values = np.full(len(flat), fill, dtype=np.float64)
    if inside.any():
        coords = flat.T[::-1][:, inside]  # array order [k, j, i], the inside points only (one copy)
        values[inside] = map_coordinates(data, coords, order=order, mode="nearest", output=np.float64)
    return _to_volume_type(values.reshape(shape), data.dtype)


def sampling_step(volume: Volume, direction: ArrayLike) -> float:
    """The distance (mm) between samples along a direction that loses none of the series' resolution there: the
    pixel spacing along the rows or columns, the (smallest) gap between slices along the normal, and in between
    the finest of those rates projected on the direction. A coronal of 5 mm slices gets 5 mm rows, not 0.8 mm
    ones: the same picture (the data have no more detail) for a sixth of the work."""
    d = _unit(direction, "direction")
    sx, sy = volume.pixel_spacing
    gaps = np.diff(volume.slice_offsets_mm)
    gap = float(gaps.min()) if gaps.size else volume.slice_spacing_mm
    rates = (
        abs(float(d @ np.asarray(volume.row_direction))) / sx,
        abs(float(d @ np.asarray(volume.column_direction))) / sy,
        abs(float(d @ np.asarray(volume.normal))) / gap,
    )
    return max(float(min(sx, sy)), 1.0 / max(rates))


def plane_around(
    volume: Volume,
    plane: Any,
    centre: ArrayLike,
    right: ArrayLike,
    down: ArrayLike,
) -> ResampledPlane:
    """The stack of planes spanned by (right, down), covering the whole volume, with `centre` exactly on a pixel
    of its centre slice. Pixels are `sampling_step` apart along right and down, slices along the normal."""
    r = _unit(right, "right")
    d = _unit(down, "down")
    if abs(float(r @ d)) > 1e-6:
        raise ValueError("the right and down directions of a plane must be perpendicular")
    n = np.cross(r, d)
    steps = np.array([sampling_step(volume, r), sampling_step(volume, d), sampling_step(volume, n)])
    c = np.asarray(centre, dtype=np.float64).reshape(3)
    rel = volume_corners_lps(volume) - c
    along = np.stack([rel @ r, rel @ d, rel @ n])
    lo = np.floor(along.min(axis=1) / steps).astype(int)
    hi = np.ceil(along.max(axis=1) / steps).astype(int)
    # Make sure the centre itself is inside, even when the caller's point lies outside the scan.
    lo = np.minimum(lo, 0)
    hi = np.maximum(hi, 0)
    origin = c + lo[0] * steps[0] * r + lo[1] * steps[1] * d + lo[2] * steps[2] * n
    size = tuple(int(h - low + 1) for low, h in zip(lo, hi, strict=True))
    spacing = (float(steps[0]), float(steps[1]), float(steps[2]))
    return ResampledPlane(volume, plane, origin, r, d, spacing, (size[0], size[1], size[2]), int(-lo[2]))


def volume_centre_lps(volume: Volume) -> FloatArray:
    """LPS of the centre of the voxel grid."""
    return np.asarray(volume.index_to_lps(np.array([(n - 1) / 2.0 for n in volume.size])), dtype=np.float64)


def orthogonal_reformat(volume: Volume, plane: Any, name: str, centre: ArrayLike | None = None) -> ResampledPlane:
    """The true axial, coronal or sagittal planes (`name`) of any stack, aligned with the patient axes."""
    if name not in ORTHOGONAL_RIGHT_DOWN:
        raise ValueError(f"unknown orthogonal plane {name!r}: one of {', '.join(ORTHOGONAL_RIGHT_DOWN)}")
    right, down = ORTHOGONAL_RIGHT_DOWN[name]
    c = volume_centre_lps(volume) if centre is None else np.asarray(centre, dtype=np.float64)
    return plane_around(volume, plane, c, right, down)


def _radiological_right(vector: FloatArray) -> FloatArray:
    """Sign a display-right direction the radiological way: patient left (+x), or posterior (+y) when the
    direction is mostly antero-posterior, or inferior when mostly cranio-caudal, points to the viewer's right."""
    axis = int(np.argmax(np.abs(vector)))
    sign = -1.0 if axis == 2 else 1.0
    return vector if vector[axis] * sign >= 0 else -vector


def oblique_through_axis(
    volume: Volume,
    plane: Any,
    start: ArrayLike,
    end: ArrayLike,
    perpendicular: bool = False,
) -> ResampledPlane:
    """The plane containing a lesion's long axis (start -> end, LPS) and the slice normal, centred on the axis'
    midpoint; with `perpendicular`, the plane through the midpoint containing the slice normal and the
    direction perpendicular to both. The slice normal runs vertically on screen (head up for an axial series),
    so the long axis appears horizontal when it lies in the acquired plane.
    """
    a = np.asarray(end, dtype=np.float64) - np.asarray(start, dtype=np.float64)
    if float(np.linalg.norm(a)) < 1e-6:
        raise ValueError("the long axis has zero length: draw or choose a longest diameter first")
    normal = np.asarray(volume.normal, dtype=np.float64)
    in_plane = a - (a @ normal) * normal
    if float(np.linalg.norm(in_plane)) < 1e-6 * float(np.linalg.norm(a)):
        raise ValueError("the long axis runs along the slice normal: its oblique plane is not defined")
    axis_dir = in_plane / np.linalg.norm(in_plane)
    right = np.cross(normal, axis_dir) if perpendicular else axis_dir
    right = _radiological_right(right / np.linalg.norm(right))
    down = normal if normal[2] < -0.5 else -normal  # axial series: the feet down; otherwise along -normal
    centre = (np.asarray(start, dtype=np.float64) + np.asarray(end, dtype=np.float64)) / 2.0
    resampled = plane_around(volume, plane, centre, right, down)
    resampled.axis = (np.asarray(start, dtype=np.float64).copy(), np.asarray(end, dtype=np.float64).copy())
    return resampled
