"""The last step of a registration: a symmetric search of the shift along the table axis on the native images.

Why a step of its own. A limb is long and changes slowly along its length, so mutual information is some twenty
times flatter along the table axis (z) than across it, and on that flat axis a small bias of the metric moves
its optimum by millimetres. Two such biases were measured on the demo trial (CT 5 mm slices, MR 4 mm):

- resampling both scans onto an isotropic working grid, then interpolating again, bakes a slice-phase dependent
  blur into the images: on that grid the optimum sat up to 3 mm off the truth, and the sampled optimiser stopped
  up to 8 mm off on the flat axis;
- even on the native grids, the MOVING image is interpolated between its slices while the fixed image is read on
  its own slices. Between slices, linear interpolation of a limb whose outline widens with curvature gives a
  slightly wider outline than the true one, so the metric prefers to read the moving image a little further
  along the limb: 1 to 3.7 mm, always in the same direction relative to the moving image, whichever scan plays
  that role.

The second bias follows the ROLE, not the scan, so it cancels when both roles are played at once: the shift d is
chosen to maximise MI(baseline, follow-up read through T_d) + MI(follow-up, baseline read through T_d^-1), where
T_d is the registration result followed by a shift d along the baseline's slice normal. The first bias goes away
by evaluating on the native grids (only the in-plane pixels are binned when they are much finer than the
slices). The search is exhaustive on a 2 mm lattice over +-20 mm (the profile is too flat and too rough for a
gradient method, and the gradient stages can stop that far off along the flat axis), then on 0.5 mm and 0.25 mm
lattices around the best point. The other five parameters are the gradient stages' business
(`registration._settle` runs the finest level again with this shift held).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

AXIS_MARGIN_MM = 5.0  # sampled points stay this far inside the other scan's field of view beyond the search range
MIN_REFINE_SAMPLES = 2000


@dataclass
class NativeSide:
    """One scan for the axial search: clipped intensities, air outside the body, and where to sample it."""

    image: sitk.Image
    region: sitk.Image  # the body and a margin around it (uint8), on `image`'s grid
    clip: tuple[float, float]  # intensity range (air value, brightest kept)


def native_side(
    native: sitk.Image, body: sitk.Image, region: sitk.Image, clip: tuple[float, float], pixel_mm: float
) -> NativeSide:
    """The native image with its in-plane pixels binned up to about `pixel_mm` (never along the slices), clipped
    to `clip` as on the working grid, and air (the lower clip value) outside the body.

    `body` and `region` are the working-grid masks; they are carried onto this grid by nearest neighbour, so both
    grids agree on what is body."""
    spacing = native.GetSpacing()
    factors = [max(1, int(pixel_mm / spacing[0] + 1e-6)), max(1, int(pixel_mm / spacing[1] + 1e-6)), 1]
    image = sitk.BinShrink(native, factors) if any(f > 1 for f in factors) else native
    identity = sitk.Transform()
    on_grid_body = sitk.Resample(body, image, identity, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    on_grid_region = sitk.Resample(region, image, identity, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    lo, hi = clip
    clipped = sitk.Clamp(image, sitk.sitkFloat32, lo, max(hi, lo + 1.0))
    return NativeSide(sitk.Mask(clipped, on_grid_body, outsideValue=lo), on_grid_region, (lo, max(hi, lo + 1.0)))


def _inside_other(side: NativeSide, other: NativeSide, transform: sitk.Transform, margin_mm: float) -> sitk.Image:
    """`side`'s sampling region restricted to points that `transform` takes at least `margin_mm` inside `other`'s
    field of view: the same points are then compared at every shift of the search (no overlap bias)."""
    spacing = other.image.GetSpacing()
    size = other.image.GetSize()
    margin = [max(1, round(margin_mm / s)) for s in spacing]
    inner = np.zeros(size[::-1], dtype=np.uint8)
    inner[margin[2] : size[2] - margin[2], margin[1] : size[1] - margin[1], margin[0] : size[0] - margin[0]] = 1
    fov = sitk.GetImageFromArray(inner)
    fov.CopyInformation(other.image)
    inside = sitk.Resample(fov, side.region, transform, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    return sitk.And(side.region, inside)


def _shifted(transform: sitk.Transform, axis: np.ndarray, shift_mm: float) -> sitk.Transform:
    """`transform` followed by a shift of `shift_mm` along `axis` (in the moving scan's frame)."""
    concrete: sitk.Euler3DTransform | sitk.AffineTransform
    if transform.GetName() == "Euler3DTransform":
        concrete = sitk.Euler3DTransform(transform)
    else:
        concrete = sitk.AffineTransform(transform)
    translation = np.asarray(concrete.GetTranslation(), dtype=np.float64) + shift_mm * axis
    concrete.SetTranslation(tuple(float(v) for v in translation))
    return concrete


def _grid_points(image: sitk.Image, ijk: np.ndarray) -> np.ndarray:
    """LPS (n, 3) of voxel indices (n, 3; x, y, z order) of `image`."""
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(3, 3)
    spacing = np.asarray(image.GetSpacing(), dtype=np.float64)
    return np.asarray(image.GetOrigin(), dtype=np.float64) + (ijk * spacing) @ direction.T


def _to_index(image: sitk.Image) -> tuple[np.ndarray, np.ndarray]:
    """(A, o): continuous (x, y, z) index of an LPS point p is A @ (p - o)."""
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(3, 3)
    spacing = np.asarray(image.GetSpacing(), dtype=np.float64)
    return direction.T / spacing[:, None], np.asarray(image.GetOrigin(), dtype=np.float64)


@dataclass
class _Reading:
    """One direction of the symmetric metric: sampled voxels of one scan, read in the other through T_d.

    The reading positions are linear in the shift d (index0 + d * step), so a value of the metric costs one
    trilinear interpolation of the sampled points and one joint histogram."""

    values: np.ndarray  # the sampled voxels' own values (on their grid: not interpolated)
    other: np.ndarray  # the other scan's array, [z, y, x]
    index0: np.ndarray  # (3, n) continuous [z, y, x] index in `other` at d = 0
    step: np.ndarray  # (3, 1) change of that index per mm of shift
    ranges: tuple[tuple[float, float], tuple[float, float]]  # intensity range of (this scan, the other)


def _bin_positions(values: np.ndarray, lo: float, hi: float, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower bin and weight of the upper bin for linear (partial volume) histogram binning."""
    pos = np.clip((values - lo) / max(hi - lo, 1e-12) * (bins - 1), 0.0, bins - 1)
    low = np.minimum(np.floor(pos), bins - 2)  # the top value goes wholly to the top bin (weight 1)
    return low.astype(np.intp), pos - low


def mutual_information(a: np.ndarray, b: np.ndarray, ranges: tuple[tuple[float, float], ...], bins: int) -> float:
    """Mutual information (nats) of paired samples, from a joint histogram with linear binning.

    Linear binning spreads each sample over the two nearest bins of each image, so the value changes smoothly
    with the samples' intensities (hard binning makes a flat profile jagged)."""
    ia, wa = _bin_positions(a, *ranges[0], bins)
    ib, wb = _bin_positions(b, *ranges[1], bins)
    joint = np.zeros(bins * bins, dtype=np.float64)
    for da, fa in ((0, 1.0 - wa), (1, wa)):
        for db, fb in ((0, 1.0 - wb), (1, wb)):
            joint += np.bincount((ia + da) * bins + ib + db, weights=fa * fb, minlength=bins * bins)
    p = joint.reshape(bins, bins) / max(float(joint.sum()), 1e-300)
    pa, pb = p.sum(axis=1), p.sum(axis=0)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])))


class AxialSearch:
    """The symmetric metric of the shift along one axis, and its exhaustive search.

    Own code rather than SimpleITK's MetricEvaluate: that evaluates every voxel of the fixed image whatever the
    sampling settings (0.4 s a value on a 128 x 128 x 40 CT, seconds on a 512 matrix), and the search needs some
    sixty values. Here the sampled points are chosen once and only the reading positions move with the shift."""

    def __init__(
        self,
        fixed: NativeSide,
        moving: NativeSide,
        transform: sitk.Transform,
        matrix: np.ndarray,
        axis: np.ndarray,
        search_mm: float,
        samples: int,
        bins: int,
        seed: int,
    ) -> None:
        self.transform = transform
        self.axis = np.asarray(axis, dtype=np.float64) / float(np.linalg.norm(axis))
        self.bins = bins
        margin = search_mm + AXIS_MARGIN_MM
        rng = np.random.default_rng(seed)
        m, b = matrix[:3, :3], matrix[:3, 3]
        m_inv = np.linalg.inv(m)
        forward_mask = _inside_other(fixed, moving, transform, margin)
        backward_mask = _inside_other(moving, fixed, transform.GetInverse(), margin)
        self.readings: list[_Reading] = []
        self.usable = True
        # Forward: baseline voxels p read in the follow-up at M p + b + d n.
        # Backward: follow-up voxels q read in the baseline at M^-1 (q - b - d n).
        for this, other, mask, forward, step_lps in (
            (fixed, moving, forward_mask, True, self.axis),
            (moving, fixed, backward_mask, False, -(m_inv @ self.axis)),
        ):
            flat = np.flatnonzero(sitk.GetArrayViewFromImage(mask))
            if len(flat) < MIN_REFINE_SAMPLES:
                self.usable = False
                return
            if len(flat) > samples:
                flat = np.sort(rng.choice(flat, size=samples, replace=False))
            arr = sitk.GetArrayViewFromImage(this.image)
            zyx = np.stack(np.unravel_index(flat, arr.shape))
            values = np.asarray(arr, dtype=np.float64)[tuple(zyx)]
            points = _grid_points(this.image, zyx[::-1].T.astype(np.float64))
            a, o = _to_index(other.image)
            mapped = points @ m.T + b if forward else (points - b) @ m_inv.T
            index0 = ((mapped - o) @ a.T).T[::-1]  # (3, n) in [z, y, x] order
            step = (a @ step_lps)[::-1].reshape(3, 1)
            other_arr = np.asarray(sitk.GetArrayViewFromImage(other.image), dtype=np.float32)
            self.readings.append(_Reading(values, other_arr, index0, step, (this.clip, other.clip)))

    def value(self, shift_mm: float) -> float:
        """MI(baseline, follow-up through T_d) + MI(follow-up, baseline through T_d^-1), higher is better."""
        from scipy.ndimage import map_coordinates

        total = 0.0
        for r in self.readings:
            coords = r.index0 + shift_mm * r.step
            read = map_coordinates(r.other, coords, order=1, mode="nearest")
            total += mutual_information(r.values, read.astype(np.float64), r.ranges, self.bins)
        return total

    def search(
        self, search_mm: float, steps_mm: Sequence[float], cancel: Callable[[], bool]
    ) -> tuple[float, dict[float, float]]:
        """The best shift: every `steps_mm[0]` over +-`search_mm`, then every next step within one previous step
        of the best so far. Returns the shift and every evaluated value (shift -> symmetric MI)."""
        values: dict[float, float] = {}

        def visit(shifts: np.ndarray) -> None:
            for s in shifts:
                key = round(float(s), 6)
                if key not in values:
                    if cancel():
                        raise InterruptedError
                    values[key] = self.value(key)

        count = round(search_mm / steps_mm[0])
        visit(np.arange(-count, count + 1) * steps_mm[0])
        for previous, step in itertools.pairwise(steps_mm):
            best = max(values, key=lambda k: values[k])
            count = math.ceil(previous / step - 1e-9) - 1
            visit(best + np.arange(-count, count + 1) * step)
        best = max(values, key=lambda k: values[k])
        return best, values

    def apply(self, shift_mm: float) -> sitk.Transform:
        return _shifted(self.transform, self.axis, shift_mm)
