"""The one place where voxel indices become patient millimetres and back.

A `Volume` is a stack of parallel image planes. Index order follows the DICOM/ITK convention used everywhere
downstream: a continuous index is (i, j, k) = (column x, row y, slice z), while `array` is indexed [z, y, x].

Why the per-slice positions: gantry-tilted CT and series with uneven gaps are not a regular grid. Instead of
resampling (which changes HU and invents slices) we keep every slice's true ImagePositionPatient and interpolate
between neighbours. `index_to_lps` therefore returns the true position of any voxel, so a distance between two
points is true millimetres whatever the tilt or the gaps. `spacing[2]` is the distance between slice planes along
the slice normal (row x column), which is what a reader means by slice spacing; on a tilted series it is smaller
than the step between slice origins (`stack_step_mm`, what SimpleITK reports as z spacing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


@dataclass(eq=False)
class Volume:
    """A 3-D image in patient space.

    array: [z, y, x]; CT as int16 Hounsfield units, MR as stored values with rescale applied.
    row_direction / column_direction: unit vectors (LPS) of increasing column index i and row index j
        (DICOM ImageOrientationPatient, first and second triplets).
    pixel_spacing: (x, y) in mm: the distance between columns and between rows.
    positions: (nz, 3) LPS position of voxel (0, 0) of every slice, in ascending order along the slice normal.
    """

    array: np.ndarray
    pixel_spacing: tuple[float, float]
    row_direction: tuple[float, float, float]
    column_direction: tuple[float, float, float]
    positions: FloatArray
    modality: str = "CT"
    unit: str = "HU"
    series_instance_uid: str = ""
    study_instance_uid: str = ""
    frame_of_reference_uid: str = ""
    sop_instance_uids: tuple[str, ...] = ()
    frame_numbers: tuple[int | None, ...] = ()
    contrast: bool | None = None
    acquisition_datetime: datetime | None = None
    slice_thickness: float | None = None
    series_description: str = ""
    label: str = ""
    window: tuple[float, float] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise ValueError(f"a Volume needs a 3-D array, got shape {self.array.shape}")
        self.positions = np.asarray(self.positions, dtype=np.float64).reshape(-1, 3)
        if self.positions.shape[0] != self.array.shape[0]:
            raise ValueError(
                f"{self.positions.shape[0]} slice positions for {self.array.shape[0]} slices: they must match"
            )
        row = np.asarray(self.row_direction, dtype=np.float64)
        col = np.asarray(self.column_direction, dtype=np.float64)
        row = row / np.linalg.norm(row)
        col = col / np.linalg.norm(col)
        self.row_direction = (float(row[0]), float(row[1]), float(row[2]))
        self.column_direction = (float(col[0]), float(col[1]), float(col[2]))
        normal = np.cross(row, col)
        self._normal = normal / np.linalg.norm(normal)
        self._row = row
        self._col = col
        self._normal_offsets = (self.positions - self.positions[0]) @ self._normal
        if len(self._normal_offsets) > 1 and np.any(np.diff(self._normal_offsets) <= 0):
            raise ValueError("slice positions must strictly increase along the slice normal")
        if not self.sop_instance_uids:
            self.sop_instance_uids = ("",) * self.array.shape[0]
        if not self.frame_numbers:
            self.frame_numbers = (None,) * self.array.shape[0]

    # ----------------------------------------------------------------------------------------- geometry facts
    @property
    def shape(self) -> tuple[int, int, int]:
        """(nz, ny, nx), the array's shape."""
        nz, ny, nx = self.array.shape
        return int(nz), int(ny), int(nx)

    @property
    def size(self) -> tuple[int, int, int]:
        """(nx, ny, nz), in the ITK order of `spacing`."""
        nz, ny, nx = self.shape
        return nx, ny, nz

    @property
    def normal(self) -> tuple[float, float, float]:
        """Unit slice normal (row x column) in LPS."""
        return (float(self._normal[0]), float(self._normal[1]), float(self._normal[2]))

    @property
    def slice_offsets_mm(self) -> FloatArray:
        """Distance of every slice plane from the first along the normal, in mm."""
        return np.asarray(self._normal_offsets, dtype=np.float64).copy()

    @property
    def slice_spacing_mm(self) -> float:
        """Mean distance between slice planes along the normal (the thickness a reader means)."""
        if len(self._normal_offsets) < 2:
            return float(self.slice_thickness or 1.0)
        return float(self._normal_offsets[-1] / (len(self._normal_offsets) - 1))

    @property
    def stack_step_mm(self) -> float:
        """Mean distance between consecutive slice origins: differs from slice_spacing_mm under gantry tilt."""
        if len(self.positions) < 2:
            return self.slice_spacing_mm
        steps = np.linalg.norm(np.diff(self.positions, axis=0), axis=1)
        return float(steps.mean())

    @property
    def spacing(self) -> tuple[float, float, float]:
        """(x, y, z) mm, z being the mean distance between slice planes along the normal."""
        return (float(self.pixel_spacing[0]), float(self.pixel_spacing[1]), self.slice_spacing_mm)

    @property
    def origin(self) -> tuple[float, float, float]:
        """LPS position of voxel index (0, 0, 0)."""
        p = self.positions[0]
        return (float(p[0]), float(p[1]), float(p[2]))

    @property
    def stack_direction(self) -> FloatArray:
        """Unit vector from the first slice origin to the last (equals the normal unless the gantry was tilted)."""
        if len(self.positions) < 2:
            return self._normal.copy()
        d = self.positions[-1] - self.positions[0]
        return np.asarray(d / np.linalg.norm(d), dtype=np.float64)

    @property
    def direction(self) -> FloatArray:
        """3x3 matrix whose columns are the directions of increasing i, j, k (k along the stack, as ITK)."""
        return np.column_stack([self._row, self._col, self.stack_direction])

    @property
    def tilt_degrees(self) -> float:
        """Angle between the slice stack and the slice normal (gantry tilt), in degrees."""
        cos = float(np.clip(abs(self.stack_direction @ self._normal), -1.0, 1.0))
        return float(np.degrees(np.arccos(cos)))

    @property
    def is_uniform(self) -> bool:
        """True when slice planes are evenly spaced (within 1% of the spacing or 0.01 mm)."""
        if len(self._normal_offsets) < 3:
            return True
        gaps = np.diff(self._normal_offsets)
        return bool(np.ptp(gaps) <= max(0.01, 0.01 * float(gaps.mean())))

    @property
    def affine(self) -> FloatArray:
        """4x4 index (i, j, k, 1) -> LPS affine; exact only for a uniform stack (see `index_to_lps`)."""
        m = np.eye(4)
        step = self.stack_step_mm
        m[:3, 0] = self._row * self.pixel_spacing[0]
        m[:3, 1] = self._col * self.pixel_spacing[1]
        m[:3, 2] = self.stack_direction * step
        m[:3, 3] = self.positions[0]
        return m

    # ------------------------------------------------------------------------------------------- mapping
    def slice_origin(self, k: ArrayLike) -> FloatArray:
        """LPS of pixel (0, 0) on the (possibly fractional) slice index k, interpolating between slices."""
        k_arr = np.asarray(k, dtype=np.float64)
        nz = len(self.positions)
        if nz == 1:
            out = self.positions[0] + np.multiply.outer(k_arr, self._normal * self.slice_spacing_mm)
            return np.asarray(out, dtype=np.float64)
        idx = np.arange(nz, dtype=np.float64)
        cols = [np.interp(k_arr, idx, self.positions[:, c], left=np.nan, right=np.nan) for c in range(3)]
        inside = np.stack(cols, axis=-1)
        # Extrapolate linearly beyond the ends (points slightly outside the stack still map).
        first_step = self.positions[1] - self.positions[0]
        last_step = self.positions[-1] - self.positions[-2]
        below = self.positions[0] + np.multiply.outer(k_arr, first_step)
        above = self.positions[-1] + np.multiply.outer(k_arr - (nz - 1), last_step)
        out = np.where((k_arr < 0)[..., None], below, inside)
        out = np.where((k_arr > nz - 1)[..., None], above, out)
        return np.asarray(out, dtype=np.float64)

    def index_to_lps(self, ijk: ArrayLike) -> FloatArray:
        """Continuous index (i, j, k) = (x, y, z), shape (..., 3), to LPS mm, shape (..., 3)."""
        p = np.asarray(ijk, dtype=np.float64)
        if p.shape[-1] != 3:
            raise ValueError(f"index points need 3 coordinates (i, j, k), got shape {p.shape}")
        base = self.slice_origin(p[..., 2])
        sx, sy = self.pixel_spacing
        out = base + np.multiply.outer(p[..., 0] * sx, self._row) + np.multiply.outer(p[..., 1] * sy, self._col)
        return np.asarray(out, dtype=np.float64)

    def _slice_index_of_offsets(self, offsets: FloatArray) -> FloatArray:
        """Continuous slice index k of distances along the slice normal from the first slice: interpolated between
        the true slice positions (uneven gaps stay exact), extrapolated with the first/last gap outside the stack."""
        nz = len(self.positions)
        if nz == 1:
            return np.asarray(offsets / self.slice_spacing_mm, dtype=np.float64)
        idx = np.arange(nz, dtype=np.float64)
        k = np.interp(offsets, self._normal_offsets, idx)
        first = self._normal_offsets[1] - self._normal_offsets[0]
        last = self._normal_offsets[-1] - self._normal_offsets[-2]
        k = np.where(offsets < 0, offsets / first, k)
        k = np.where(offsets > self._normal_offsets[-1], (nz - 1) + (offsets - self._normal_offsets[-1]) / last, k)
        return np.asarray(k, dtype=np.float64)

    def lps_to_index(self, lps: ArrayLike) -> FloatArray:
        """LPS mm, shape (..., 3), to continuous index (i, j, k), shape (..., 3); inverse of index_to_lps."""
        p = np.asarray(lps, dtype=np.float64)
        if p.shape[-1] != 3:
            raise ValueError(f"LPS points need 3 coordinates, got shape {p.shape}")
        offsets = (p - self.positions[0]) @ self._normal
        k = self._slice_index_of_offsets(offsets)
        base = self.slice_origin(k)
        d = p - base
        sx, sy = self.pixel_spacing
        i = d @ self._row / sx
        j = d @ self._col / sy
        return np.asarray(np.stack([i, j, k], axis=-1), dtype=np.float64)

    def grid_lps_to_index(self, origin: ArrayLike, axes: Sequence[tuple[ArrayLike, int]]) -> FloatArray:
        """`lps_to_index` of a regular grid of LPS points, origin + a * step_a + b * step_b (+ c * step_c), with
        a < n_a etc.; shape (.., n_c, n_b, n_a, 3) (the first axis varies fastest, as [z, y, x] arrays do).

        The same numbers as `lps_to_index` of those points (the same interpolation between true slice
        positions), computed per index axis on scalar grids: every term that is linear in the grid position is
        a broadcast sum, and only the slice index and the slice origin's two in-plane components need an
        interpolation. Reformats and crops of whole planes use it (several times faster than the point form).
        """
        o = np.asarray(origin, dtype=np.float64).reshape(3)
        steps = [np.asarray(step, dtype=np.float64).reshape(3) for step, _ in axes]
        counts = [int(n) for _, n in axes]
        if not 1 <= len(steps) <= 3 or any(n < 1 for n in counts):
            raise ValueError("a grid needs 1 to 3 axes of at least one point each")
        shape = tuple(reversed(counts))

        def affine(direction: FloatArray, base: float) -> FloatArray:
            """base + sum over axes of position * (step . direction), broadcast to the grid's shape."""
            out = np.full(shape, base, dtype=np.float64)
            for n, (step, count) in enumerate(zip(steps, counts, strict=True)):
                along = [1] * len(counts)
                along[len(counts) - 1 - n] = count
                out = out + (np.arange(count, dtype=np.float64) * float(step @ direction)).reshape(along)
            return out

        offsets = affine(self._normal, float((o - self.positions[0]) @ self._normal))
        k = self._slice_index_of_offsets(offsets)
        nz = len(self.positions)
        sx, sy = self.pixel_spacing
        out = np.empty((*shape, 3), dtype=np.float64)
        for axis, direction, spacing in ((0, self._row, sx), (1, self._col, sy)):
            slice_origin = self.positions @ direction  # the slice origins' component along this axis
            if nz == 1:
                at_k = np.full(shape, float(slice_origin[0]))
            else:
                at_k = np.interp(k, np.arange(nz, dtype=np.float64), slice_origin)
                at_k = np.where(k < 0, slice_origin[0] + k * (slice_origin[1] - slice_origin[0]), at_k)
                at_k = np.where(
                    k > nz - 1, slice_origin[-1] + (k - (nz - 1)) * (slice_origin[-1] - slice_origin[-2]), at_k
                )
            out[..., axis] = (affine(direction, float(o @ direction)) - at_k) / spacing
        out[..., 2] = k
        return out

    def contains_index(self, ijk: ArrayLike, margin: float = 0.5) -> bool:
        """True when every continuous index lies inside the voxel grid (voxel edges at +/- 0.5)."""
        p = np.asarray(ijk, dtype=np.float64).reshape(-1, 3)
        upper = np.asarray(self.size, dtype=np.float64) - 1 + margin
        return bool(np.all(p >= -margin) and np.all(p <= upper))

    def nearest_slice(self, lps: Sequence[float]) -> int:
        """Index of the acquired slice whose plane is nearest the point."""
        k = float(self.lps_to_index(np.asarray(lps, dtype=np.float64))[2])
        return int(np.clip(round(k), 0, self.shape[0] - 1))

    def slice_position_mm(self, k: int) -> float:
        """Table-position-like coordinate of slice k: its LPS coordinate along the normal's dominant axis.

        Used for the 'slice position in mm' annotation and table-position linking between timepoints.
        """
        axis = int(np.argmax(np.abs(self._normal)))
        return float(self.positions[k][axis])

    @property
    def voxel_volume_mm3(self) -> float:
        return float(self.pixel_spacing[0] * self.pixel_spacing[1] * self.slice_spacing_mm)

    def __repr__(self) -> str:  # never print metadata: it may carry identifiers
        return (
            f"Volume(modality={self.modality!r}, shape={self.shape}, spacing="
            f"({self.spacing[0]:.3f}, {self.spacing[1]:.3f}, {self.spacing[2]:.3f}), label={self.label!r})"
        )
