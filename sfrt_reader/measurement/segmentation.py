"""One-click lesion segmentation from a seed point, with SimpleITK.

Sarcomas in this trial have an enhancing viable rim around a necrotic core, and the rim is often only a few tens
of HU brighter than the muscle it lies in. A single intensity interval cannot take both the core (darker than
muscle) and the rim (brighter) without taking the muscle between them, and an edge-driven contour started in the
core stops at the core/rim edge. So the method follows the anatomy:

1. Region of interest: a box 60 mm around the seed, extended by 50 mm (twice at most) on the sides the result
   touches, or the box the reader dragged. The work stays bounded whatever the series size.
2. Smoothing: recursive Gaussian (2 mm in-plane, 1 mm across slices) to tame CT noise while keeping the margin.
3. Seed compartment A: connected threshold from the seed with the seed's own statistics (median +/- 3 robust
   SD of a 4 mm ball), i.e. the necrotic core when the click is in the core, the rim when it is in the rim.
4. Enclosing rim B: when the shell just outside A is markedly brighter than A (an enhancing rim around necrosis),
   the rim is grown from that shell down to the half-way level between the rim and the tissue around it.
5. Tumour = A + B with every enclosed hole filled (3-D, then slice by slice): the necrotic core is part of the
   lesion whatever its density.
6. Margin refinement: within a few mm of the margin each voxel goes to the lesion or the background by the
   half-way rule with LOCAL levels (lesion inside vs tissue outside, estimated nearby), so the margin is unbiased
   against fat and against muscle alike (a global threshold would sit mm off on one of them). Where the margin is
   brighter than the tissue outside, the lesion's level is its brightest tissue within 4 mm (the enhancing rim,
   not the mean that a necrotic core drags down), and the rule runs on a lightly smoothed image (0.75 mm) so that
   a thin rim is not spread over its neighbours. The tissue outside is the shell 2-5 mm out, unless the shell
   right outside (1.5-3.5 mm) is markedly brighter: a tumour bulging the limb has a thin layer of muscle and
   fascia stretched over it, then fat, and the margin lies against the muscle, not half-way to the fat.
7. Clean-up: morphological opening (3 mm) to cut thin bridges into neighbours; per slice, spurs cut off (parts
   of the outline that a disc of 0.35 x the section's inscribed radius cannot reach and that stick out more than
   3 mm: a muscle belly stuck on the tumour, not a bend of its smooth outline); the connected component holding
   the seed, holes filled again; per slice, the smooth envelope (closing with a 4.5 mm disc): notches where the
   margin rule lost a thin rim are filled.
8. Margin settled: the margin rule once more, its levels measured from the cleaned outline (which lies within
   about a voxel of the edge) rather than from the grown mask's, on the voxel layer either side of the outline
   only (what the clean-up removed cannot grow back) and on an image smoothed to about 1 mm: the first pass keeps
   part of the grown mask's offset, and the clean-up adds to it or trims it one-sidedly. Of the voxels it adds,
   those no in-plane 3 x 3 cross in the mask covers (corner contacts, one-voxel fingers) are noise and dropped.
9. Shape in 3-D (segmentation_shape): a smooth radial surface is fitted robustly to the mask from its centre;
   parts beyond it that are darker than half-way between rim and tissue (a muscle belly that the rim's threshold
   let in) are dropped, and tissue of the lesion's own density well inside it (necrosis reaching the margin,
   where the rim is broken) is added. Per-slice rules cannot see a belly stuck on the tumour's last slices, nor
   a lobe wider than their disc. The spur cut of step 7 only proposes: what it took off is given back where it
   lies within the fitted surface with the lesion's density (a bulge of the tumour), and stays off beyond it.
   Where the lesion lies against bone, the voxels between it and the cortex that the half-way rule gives to the
   lesion are added: the rim's growth on the smoothed image stops short of the cortex.

Leak guard: if the lesion still touches the largest box (or fills most of it), the seed was not in a lesion (or
the lesion merges with the whole limb): a MeasurementError asks the reader to click inside the tumour or drag a
box around it. With a reader's box the box is the bound and no such guard is needed.

Works on CT (HU) and MR (signal): every level is estimated from the image around the seed, never a fixed HU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import as_point, check_inside, format_point
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.measurement.segmentation_shape import refine_by_shape

METHOD = (
    "seeded region growing (core + enhancing rim, hole filling, local half-way margin, smooth envelope, "
    "robust 3-D radial shape check)"
)
ROI_HALF_SIZE_MM = 60.0
ROI_EXTENSION_MM = 50.0
ROI_EXTENSIONS = 2
SMOOTHING_MM = (2.0, 2.0, 1.0)
SEED_BALL_MM = 4.0
K_SIGMA = 3.0

F32 = NDArray[np.float32]
Mask = NDArray[np.bool_]


def _sitk() -> Any:
    """SimpleITK, imported on first use (it is heavy) and typed as Any (it ships no type hints)."""
    import SimpleITK

    return SimpleITK


def _bool_array(values: Any) -> Mask:
    return np.asarray(values, dtype=bool)


@dataclass(frozen=True)
class _Roi:
    lo: tuple[int, int, int]  # z, y, x
    hi: tuple[int, int, int]  # exclusive
    touches_volume: tuple[bool, bool, bool, bool, bool, bool]  # z-, z+, y-, y+, x-, x+ are the volume's own edges

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        return tuple(slice(a, b) for a, b in zip(self.lo, self.hi, strict=True))  # type: ignore[return-value]


def segment_lesion(
    volume: Volume,
    seed: Sequence[float],
    box: tuple[Sequence[float], Sequence[float]] | None = None,
    stroke: Sequence[Sequence[float]] | None = None,
) -> LesionSegmentation:
    """The lesion under the seed (LPS mm) as a 3-D mask.

    box: two opposite corners (LPS) of a box the reader dragged around the lesion; when both lie on one slice the
        box reaches as far across slices as its larger in-plane side. stroke: points the reader dragged across the
        lesion; they must lie in the lesion and widen the seed's statistics (useful on a textured rim).
    """
    seed_pt = as_point(seed, "seed")
    seed_ijk = check_inside(volume, [seed_pt], "seed")[0]
    extra: list[NDArray[np.float64]] = []
    if stroke is not None:
        pts = [as_point(p, "stroke point") for p in stroke]
        if pts:
            extra = list(check_inside(volume, pts, "stroke point"))
    if box is not None:
        roi = _roi_from_box(volume, seed_ijk, box)
        grown = _segment_in_roi(volume, roi, seed_ijk, extra)
        if grown is None:
            raise MeasurementError(_not_in_lesion(seed_pt))
        return _result(volume, roi, grown.shaped(), seed_pt)
    roi = _roi_around(volume, seed_ijk, ROI_HALF_SIZE_MM)
    for _ in range(ROI_EXTENSIONS + 1):
        grown = _segment_in_roi(volume, roi, seed_ijk, extra)
        if grown is None:
            raise MeasurementError(_not_in_lesion(seed_pt))
        # The leak guards judge what the density rules grew: the shape stage would trim a leak into air or a
        # whole compartment to a plausible shape and hide it.
        mask = grown.mask()
        touched = _touched_faces(mask, roi)
        if not any(touched):
            if _fills_the_limb(volume, roi, mask, seed_ijk):
                break
            return _result(volume, roi, grown.shaped(), seed_pt)
        roi = _extend(volume, roi, touched, ROI_EXTENSION_MM)
    reach = ROI_HALF_SIZE_MM + ROI_EXTENSIONS * ROI_EXTENSION_MM
    raise MeasurementError(
        f"the segmentation from the seed at {format_point(seed_pt)} would leak more than {reach:.0f} mm into the "
        "surrounding tissue: place the seed inside the tumour, or drag a box around the tumour"
    )


LIMB_FRACTION = 0.65


def _fills_the_limb(volume: Volume, roi: _Roi, mask: Mask, seed_ijk: NDArray[np.float64]) -> bool:
    """True when the mask covers most of the limb's cross-section on the seed's slice (a muscle compartment or
    the subcutaneous fat, not a lesion), even though it stayed inside the box because the whole limb did."""
    from scipy.ndimage import label

    k = round(float(seed_ijk[2]))
    plane = np.asarray(volume.array[k], dtype=np.float32)
    if volume.modality.upper() == "CT":
        air = -500.0  # HU are absolute: anything above is tissue
    else:
        upper_half = plane[plane > np.median(plane)]
        air = 0.2 * float(np.median(upper_half)) if upper_half.size else 0.0
    labels, _ = label(plane > air)
    limb = labels == labels[round(float(seed_ijk[1])), round(float(seed_ijk[0]))]
    if not limb.any():
        return False
    on_slice = np.zeros_like(limb)
    on_slice[roi.slices[1], roi.slices[2]] = mask[k - roi.lo[0]]
    return bool((on_slice & limb).sum() > LIMB_FRACTION * limb.sum())


def _not_in_lesion(seed: tuple[float, float, float]) -> str:
    return (
        f"no lesion found at the seed {format_point(seed)}: place the seed inside the tumour, or drag a box around it"
    )


def _result(volume: Volume, roi: _Roi, mask: Mask, seed: tuple[float, float, float]) -> LesionSegmentation:
    full_offset = roi.lo
    idx = np.argwhere(mask)
    lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
    box = mask[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    return LesionSegmentation(
        series_uid=volume.series_instance_uid,
        volume_shape=volume.shape,
        offset=(int(full_offset[0] + lo[0]), int(full_offset[1] + lo[1]), int(full_offset[2] + lo[2])),
        mask=box,
        seed=seed,
        method=METHOD,
    )


# ---------------------------------------------------------------------------------------------- regions
def _roi_around(volume: Volume, ijk: NDArray[np.float64], half_mm: float) -> _Roi:
    sx, sy = volume.pixel_spacing
    sz = volume.slice_spacing_mm
    centre = (ijk[2], ijk[1], ijk[0])
    reach = (half_mm / sz, half_mm / sy, half_mm / sx)
    return _make_roi(volume, centre, reach)


def _make_roi(volume: Volume, centre: Sequence[float], reach: Sequence[float]) -> _Roi:
    shape = volume.shape
    lo = tuple(max(0, math.floor(c - r)) for c, r in zip(centre, reach, strict=True))
    hi = tuple(min(n, math.ceil(c + r) + 1) for c, r, n in zip(centre, reach, shape, strict=True))
    edges = (lo[0] == 0, hi[0] == shape[0], lo[1] == 0, hi[1] == shape[1], lo[2] == 0, hi[2] == shape[2])
    return _Roi(lo, hi, edges)  # type: ignore[arg-type]


def _roi_from_box(volume: Volume, seed_ijk: NDArray[np.float64], box: tuple[Sequence[float], Sequence[float]]) -> _Roi:
    corners = check_inside(volume, [as_point(box[0], "box corner"), as_point(box[1], "box corner")], "box corner")
    lo = np.minimum(corners[0], corners[1])
    hi = np.maximum(corners[0], corners[1])
    if not np.all((seed_ijk >= lo - 0.5) & (seed_ijk <= hi + 0.5)):
        raise MeasurementError("the seed lies outside the box: click inside the box you dragged")
    sx, sy = volume.pixel_spacing
    width_mm = max((hi[0] - lo[0]) * sx, (hi[1] - lo[1]) * sy)
    if width_mm < 3 * max(sx, sy):
        raise MeasurementError("the box is too small (under three pixels): drag it around the whole lesion")
    if round(hi[2]) - round(lo[2]) < 1:  # drawn on one slice: reach across slices as far as the box is wide
        half_k = width_mm / 2 / volume.slice_spacing_mm
        lo[2], hi[2] = seed_ijk[2] - half_k, seed_ijk[2] + half_k
    centre = ((lo[2] + hi[2]) / 2, (lo[1] + hi[1]) / 2, (lo[0] + hi[0]) / 2)
    reach = ((hi[2] - lo[2]) / 2, (hi[1] - lo[1]) / 2, (hi[0] - lo[0]) / 2)
    roi = _make_roi(volume, centre, reach)
    return _Roi(roi.lo, roi.hi, (True,) * 6)  # the reader's box is the bound: touching it is not a leak


def _touched_faces(mask: Mask, roi: _Roi) -> tuple[bool, ...]:
    """Which faces of the box (z-, z+, y-, y+, x-, x+) the mask touches, where the box is not the image's edge."""
    faces = (mask[0], mask[-1], mask[:, 0], mask[:, -1], mask[:, :, 0], mask[:, :, -1])
    return tuple(bool(face.any()) and not at_edge for face, at_edge in zip(faces, roi.touches_volume, strict=True))


def _extend(volume: Volume, roi: _Roi, touched: tuple[bool, ...], mm: float) -> _Roi:
    sx, sy = volume.pixel_spacing
    steps = (mm / volume.slice_spacing_mm, mm / sy, mm / sx)
    lo = list(roi.lo)
    hi = list(roi.hi)
    for axis in range(3):
        if touched[2 * axis]:
            lo[axis] = max(0, lo[axis] - math.ceil(steps[axis]))
        if touched[2 * axis + 1]:
            hi[axis] = min(volume.shape[axis], hi[axis] + math.ceil(steps[axis]))
    shape = volume.shape
    edges = (lo[0] == 0, hi[0] == shape[0], lo[1] == 0, hi[1] == shape[1], lo[2] == 0, hi[2] == shape[2])
    return _Roi((lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2]), edges)


# --------------------------------------------------------------------------------------------- the method
@dataclass(frozen=True)
class _Grown:
    """The density rules' mask on the working grid, with what the shape stage and the return to the ROI's full
    grid need."""

    coarse: Mask
    light: F32
    spacing: tuple[float, float, float]
    seed: tuple[int, int, int]
    factor: int
    shape: tuple[int, ...]
    spurs: Mask  # what the per-slice spur cut removed (and nothing after it put back): the shape stage decides

    def mask(self) -> Mask:
        """The density rules' mask on the ROI's grid, each working voxel repeated over the pixels it averaged:
        enough for the leak guards (does it reach the box, does it fill the limb), and far cheaper than the
        sub-pixel return of the final mask."""
        if self.factor == 1:
            return self.coarse
        f = self.factor
        full = np.repeat(np.repeat(self.coarse, f, axis=1), f, axis=2)
        return full[:, : self.shape[1], : self.shape[2]]

    def shaped(self) -> Mask:
        """The mask after the 3-D shape stage, on the ROI's grid."""
        return self._full(_shaped(self.light, self.coarse, self.spacing, self.seed, self.spurs))

    def _full(self, mask: Mask) -> Mask:
        return mask if self.factor == 1 else _upsample(mask, self.spacing, self.factor, self.shape)


def _segment_in_roi(
    volume: Volume, roi: _Roi, seed_ijk: NDArray[np.float64], extra: list[NDArray[np.float64]]
) -> _Grown | None:
    sitk = _sitk()

    sx, sy = volume.pixel_spacing
    sz = volume.slice_spacing_mm
    full = np.asarray(volume.array[roi.slices], dtype=np.float32)
    # Work on a grid of about 1.5 mm in-plane: finer pixels only add cost (and noise) to finding a 5-20 cm
    # lesion; the mask is brought back to the full grid with a sub-pixel boundary at the end.
    f = max(1, math.floor(COARSE_PIXEL_MM / min(sx, sy)))
    raw = _block_mean(full, f)
    spacing = (float(sx) * f, float(sy) * f, float(sz))
    image = sitk.GetImageFromArray(raw)
    image.SetSpacing(spacing)
    smooth_img = sitk.SmoothingRecursiveGaussian(image, list(SMOOTHING_MM))
    smooth = sitk.GetArrayViewFromImage(smooth_img)

    seeds = [seed_ijk, *extra]
    local = [((round(p[0]) - roi.lo[2]) // f, (round(p[1]) - roi.lo[1]) // f, round(p[2]) - roi.lo[0]) for p in seeds]
    local = [p for p in local if all(0 <= c < n for c, n in zip(p, image.GetSize(), strict=True))]
    if not local:
        return None
    ball = _ball_values(smooth, local, spacing, SEED_BALL_MM)
    mu = float(np.median(ball))
    sigma = _robust_sd(ball)
    noise = _robust_sd(raw - smooth)  # scanner noise level of this region, a floor for the seed's spread
    sigma = max(sigma, 0.25 * noise, 1e-3 * max(1.0, abs(mu)))
    a = _grow(smooth_img, local, mu - K_SIGMA * sigma, mu + K_SIGMA * sigma)
    if a.sum() == 0:
        return None

    tumour = _fill(a)
    rim = _enclosing_rim(smooth_img, smooth, a, spacing, mu, sigma)
    if rim is not None:
        tumour = _fill(a | rim)
    # The margin is placed on a lightly smoothed image: the 2 mm smoothing that steadies the growing also spreads
    # a thin enhancing rim over its neighbours, which would move the margin a pixel outwards all round.
    light = sitk.GetArrayFromImage(sitk.SmoothingRecursiveGaussian(image, [REFINE_SMOOTHING_MM] * 2 + [0.5]))
    cleaned = _clean(_refine_margin(light, tumour, spacing), local[0], spacing)
    if cleaned is None or not cleaned[0].any():
        return None
    outline, spurs = cleaned
    settled = _settle_margin(light, outline, spacing, local[0])
    # the settling decides one voxel layer either side of the outline: a spur voxel it took back is no longer cut
    return _Grown(settled, light, spacing, local[0], f, full.shape, spurs & ~settled)


COARSE_PIXEL_MM = 1.6


def _block_mean(array: F32, f: int) -> F32:
    """In-plane f x f block means (the ROI's last partial rows and columns are averaged over what is there)."""
    if f == 1:
        return array
    nz, ny, nx = array.shape
    hy, hx = -(-ny // f), -(-nx // f)
    padded = np.pad(array, ((0, 0), (0, hy * f - ny), (0, hx * f - nx)), mode="edge")
    return np.asarray(padded.reshape(nz, hy, f, hx, f).mean(axis=(2, 4)), dtype=np.float32)


def _upsample(mask: Mask, spacing: tuple[float, float, float], f: int, shape: tuple[int, ...]) -> Mask:
    """The coarse mask on the full grid: the boundary is placed half-way between the last coarse voxel in and
    the first out by linear interpolation of the signed distance, so it is smooth to a fine pixel."""
    from scipy.ndimage import zoom

    idx = np.argwhere(mask)
    lo = np.maximum(idx.min(axis=0) - 1, 0)
    hi = np.minimum(idx.max(axis=0) + 2, mask.shape)
    box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    d = _distance(mask, spacing)[box] - np.float32(min(spacing[0], spacing[1]) / 2.0)
    fine = zoom(d, (1, f, f), order=1, grid_mode=True, mode="nearest") < 0
    out = np.zeros(shape, dtype=bool)
    z0, y0, x0 = int(lo[0]), int(lo[1]) * f, int(lo[2]) * f
    ny = min(fine.shape[1], shape[1] - y0)
    nx = min(fine.shape[2], shape[2] - x0)
    out[z0 : z0 + fine.shape[0], y0 : y0 + ny, x0 : x0 + nx] = fine[:, :ny, :nx]
    return out


def _robust_sd(values: NDArray[np.float32]) -> float:
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def _ball_values(smooth: F32, seeds: list[tuple[int, int, int]], spacing: tuple[float, float, float], r: float) -> F32:
    out = []
    for x, y, z in seeds:
        rx, ry, rz = (max(0, math.floor(r / s)) for s in spacing)
        zs = slice(max(0, z - rz), z + rz + 1)
        ys = slice(max(0, y - ry), y + ry + 1)
        xs = slice(max(0, x - rx), x + rx + 1)
        block = smooth[zs, ys, xs]
        kk, jj, ii = np.mgrid[
            zs.start : zs.start + block.shape[0],
            ys.start : ys.start + block.shape[1],
            xs.start : xs.start + block.shape[2],
        ]
        d2 = ((ii - x) * spacing[0]) ** 2 + ((jj - y) * spacing[1]) ** 2 + ((kk - z) * spacing[2]) ** 2
        out.append(block[d2 <= r * r])
    return np.asarray(np.concatenate(out), dtype=np.float32)


def _grow(image: Any, seeds: list[tuple[int, int, int]], lower: float, upper: float) -> Mask:
    sitk = _sitk()

    region = sitk.ConnectedThreshold(image, seedList=seeds, lower=float(lower), upper=float(upper), replaceValue=1)
    return _bool_array(sitk.GetArrayFromImage(region))


_IN_PLANE_CROSS = np.zeros((3, 3, 3), dtype=bool)
_IN_PLANE_CROSS[1] = [[False, True, False], [True, True, True], [False, True, False]]


def _fill(mask: Mask) -> Mask:
    """Fill every hole enclosed in the slice plane (a 3-D enclosed hole is enclosed on each of its slices too).

    One labelling of the background with in-plane connectivity: background regions that do not reach the edge
    of their slice are holes. (scipy's binary_fill_holes does the same by iterated dilation, ten times slower.)
    """
    from scipy.ndimage import label

    labels, _ = label(~mask, structure=_IN_PLANE_CROSS)
    edge = np.unique(
        np.concatenate(
            [labels[:, 0, :].ravel(), labels[:, -1, :].ravel(), labels[:, :, 0].ravel(), labels[:, :, -1].ravel()]
        )
    )
    holes = (labels > 0) & ~np.isin(labels, edge)
    return _bool_array(mask | holes)


def _distance(mask: Mask, spacing: tuple[float, float, float]) -> NDArray[np.float32]:
    """Signed distance (mm) to the mask: 0 on its boundary voxels, negative inside, the distance to the nearest
    mask voxel outside (Maurer's exact Euclidean transform, with the voxel spacing)."""
    sitk = _sitk()

    img = sitk.GetImageFromArray(mask.astype(np.uint8))
    img.SetSpacing(spacing)
    dist = sitk.SignedMaurerDistanceMap(img, insideIsPositive=False, squaredDistance=False, useImageSpacing=True)
    return np.asarray(sitk.GetArrayFromImage(dist), dtype=np.float32)


def _dilate(mask: Mask, spacing: tuple[float, float, float], mm: float) -> Mask:
    """Voxels whose centre lies within mm of a mask voxel centre."""
    if not mask.any():
        return mask.copy()
    return _bool_array(_distance(mask, spacing) <= mm + 1e-3)


def _erode(mask: Mask, spacing: tuple[float, float, float], mm: float) -> Mask:
    """Mask voxels farther than mm from every voxel outside the mask."""
    if mask.all():
        return mask.copy()
    return mask & ~_dilate(~mask, spacing, mm)


def _shell(mask: Mask, spacing: tuple[float, float, float], inner_mm: float, outer_mm: float) -> Mask:
    """Voxels between inner_mm (excluded) and outer_mm (included) outside the mask."""
    d = _distance(mask, spacing)
    return _bool_array((d > inner_mm + 1e-3) & (d <= outer_mm + 1e-3))


REFINE_BAND_MM = 2.0
REFINE_INNER_MM = (2.0, 5.0)
REFINE_OUTER_MM = (2.0, 5.0)
REFINE_NEAR_MM = (1.5, 3.5)
REFINE_NEAR_STEP = 0.1
REFINE_SIGMA_MM = 6.0
REFINE_SMOOTHING_MM = 0.75
RIM_REACH_BEYOND_MM = 15.0
OPENING_MM = 3.0
HALO_MM = 2.0
RIM_PROFILE_STEP_MM = 2.0
RIM_PROFILE_REACH_MM = 40.0


def _enclosing_rim(
    image: Any, smooth: F32, core: Mask, spacing: tuple[float, float, float], mu_core: float, sigma: float
) -> Mask | None:
    """The enhancing rim around a darker compartment, or None when there is none.

    The median intensity of 2 mm shells at increasing distance from the compartment is its radial profile: a rim
    shows as a rise to a plateau brighter than the compartment and a fall to the tissue outside. The rim is then
    grown from the plateau's shells between the half-way level (rim vs outside) and as far above the rim, and
    kept within the profile's reach plus 15 mm so that it cannot run along the muscle.
    """
    sitk = _sitk()

    core_img = sitk.GetImageFromArray(core.astype(np.uint8))
    core_img.SetSpacing(spacing)
    dist = sitk.GetArrayFromImage(
        sitk.SignedMaurerDistanceMap(core_img, insideIsPositive=False, squaredDistance=False, useImageSpacing=True)
    )
    edges = np.arange(0.0, RIM_PROFILE_REACH_MM + RIM_PROFILE_STEP_MM, RIM_PROFILE_STEP_MM)
    medians: list[float] = []
    for lo in edges[:-1]:
        shell = (dist > lo) & (dist <= lo + RIM_PROFILE_STEP_MM)
        medians.append(float(np.median(smooth[shell])) if shell.any() else float("nan"))
    profile = np.asarray(medians)
    peak_at, peak, stop_at = -1, mu_core, len(profile)
    for n, value in enumerate(profile):
        if not np.isfinite(value):
            break
        if value > peak:
            peak_at, peak = n, value
        elif peak_at >= 0 and value < peak - 0.35 * (peak - mu_core):
            stop_at = n
            break
    if peak_at < 0 or peak - mu_core < 2 * K_SIGMA * sigma or stop_at >= len(profile):
        return None  # no brighter shell, or one that never falls back: not an enclosing rim
    # The tissue outside: what lies 0-10 mm beyond the fall, darker than the rim. Its upper quartile (the
    # brightest common neighbour, muscle rather than fat) sets the threshold, so the rim never runs into muscle;
    # the margin against darker tissue (fat) is then placed locally by the margin refinement.
    outside = (dist > edges[stop_at]) & (dist <= edges[stop_at] + 10.0)
    values = smooth[outside]
    values = values[values < peak - 2 * sigma]
    if values.size == 0:
        return None
    mu_out = float(np.percentile(values, 75))
    if peak - mu_out < 2 * sigma:
        return None
    lower = (peak + mu_out) / 2.0
    upper = peak + (peak - lower) + 3 * sigma
    reach = edges[stop_at] + RIM_REACH_BEYOND_MM
    plateau = (dist > edges[max(0, peak_at - 1)]) & (dist <= edges[min(len(edges) - 1, peak_at + 2)])
    # Much brighter structures (bone cortex, opacified vessels) are ringed by partial-volume voxels that pass
    # through the rim's range; the rim must not run along such a halo, so it is cut away (3 mm) before growing.
    bright = smooth > upper + (upper - lower)
    from scipy.ndimage import binary_dilation

    halo = binary_dilation(bright, structure=_IN_PLANE_CROSS, iterations=max(1, round(HALO_MM / spacing[0])))
    allowed = (dist <= reach) & ~core & ~halo
    seeds_zyx = np.argwhere(plateau & allowed & (smooth >= lower) & (smooth <= upper))
    if seeds_zyx.size == 0:
        return None
    step = max(1, len(seeds_zyx) // 5000)
    seeds = [(int(x), int(y), int(z)) for z, y, x in seeds_zyx[::step]]
    sitk = _sitk()
    masked = np.where(allowed, smooth, np.float32(lower - 1.0)).astype(np.float32)
    masked_img = sitk.GetImageFromArray(masked)
    masked_img.CopyInformation(image)
    rim = _grow(masked_img, seeds, lower, upper) & allowed
    # The transition from the core up to the rim's plateau belongs to the lesion: without it a thin or broken
    # rim leaves a gap between core and rim that no hole filling closes.
    bridge = (dist <= edges[peak_at + 1]) & (smooth >= mu_core) & (smooth <= upper) & ~halo
    return _bool_array(rim | bridge)


def _refine_margin(
    smooth: F32,
    mask: Mask,
    spacing: tuple[float, float, float],
    band_mm: float = REFINE_BAND_MM,
    sigma_mm: float = REFINE_SIGMA_MM,
) -> Mask:
    """Local half-way rule in a band (band_mm) around the margin: compare each voxel with the mean level of the
    lesion just inside and of the tissue just outside, both estimated within ~sigma_mm (normalised Gaussian
    averaging)."""
    from scipy.ndimage import gaussian_filter

    if not mask.any():
        return mask
    d_out = _distance(mask, spacing)  # > 0 outside: distance to the nearest mask voxel
    d_in = _distance(~mask, spacing)  # > 0 inside: distance to the nearest voxel outside
    eps = 1e-3
    band_out = (d_out > 0) & (d_out <= band_mm + eps)
    band_in = mask & (d_in <= band_mm + eps)
    inner = mask & (d_in > REFINE_INNER_MM[0] + eps) & (d_in <= REFINE_INNER_MM[1] + eps)
    outer = (d_out > REFINE_OUTER_MM[0] + eps) & (d_out <= REFINE_OUTER_MM[1] + eps)
    if not inner.any():
        inner = band_in
    sigma = [sigma_mm / s for s in (spacing[2], spacing[1], spacing[0])]
    sigma[0] = min(sigma[0], 1.5)
    level_in = _normalised_mean(smooth, inner, sigma, gaussian_filter)
    level_out = _normalised_mean(smooth, outer, sigma, gaussian_filter)
    near = (d_out > REFINE_NEAR_MM[0] + eps) & (d_out <= REFINE_NEAR_MM[1] + eps)
    level_near = _normalised_mean(smooth, near, sigma, gaussian_filter)
    # A thin layer of muscle or fascia between the lesion and fat (a tumour bulging the limb stretches them over
    # it) is what the margin faces: where the adjacent shell is markedly brighter than the farther one (by more
    # than REFINE_NEAR_STEP of the lesion-to-outside contrast), the adjacent shell is the tissue outside.
    step = REFINE_NEAR_STEP * np.abs(level_in - level_out)
    use_near = np.isfinite(level_near) & (level_near > level_out + step)
    level_out = np.where(use_near, level_near, level_out)
    band = band_in | band_out
    ok = band & np.isfinite(level_in) & np.isfinite(level_out) & (np.abs(level_in - level_out) > 1e-6)
    closer_in = np.abs(smooth - level_in) < np.abs(smooth - level_out)
    # Brighter than the tissue outside: the lesion's side of such a margin is its brightest tissue nearby (an
    # enhancing rim, often only a few mm thick), not the mean inside, which a necrotic core drags down and with it
    # the margin outwards. Half-way between that local peak and the outside; nothing brighter inside: outside.
    peak = _local_peak(smooth, mask & (d_in <= PEAK_DEPTH_MM + eps), spacing)
    brighter = ok & (smooth >= level_out) & np.isfinite(peak)
    rim_side = brighter & (peak > level_out)
    closer_in[rim_side] = smooth[rim_side] > (peak[rim_side] + level_out[rim_side]) / 2
    closer_in[brighter & ~rim_side] = False
    out = mask.copy()
    out[ok] = closer_in[ok]
    return _fill(out)


SETTLE_SIGMA_MM = 3.0
SETTLE_SMOOTHING_MM = 0.6


def _settle_margin(light: F32, mask: Mask, spacing: tuple[float, float, float], seed_xyz: tuple[int, int, int]) -> Mask:
    """The margin rule once more, measured from the cleaned outline, on the voxels either side of it.

    WHY: the first pass measures the local levels from the GROWN mask's margin, which may lie several mm off the
    edge (a belly taken in, a rim half grown), and decides only a 2 mm band: it keeps part of that offset, and the
    clean-up then trims it (opening, spur cut) or adds to it (smooth envelope) one-sidedly. On the 256 demo the
    first pass left demo-01 at 9 and 12 months 0.35 mm outside the true edge on average (+4.5 / +4.4 % volume)
    and the baseline inside (-5.0 %). Measured again from the cleaned outline, which lies within about a voxel
    of the edge, the shells just inside and just outside hold the lesion and its neighbour, so their levels are
    taken more locally (SETTLE_SIGMA_MM): a brighter muscle belly beside darker muscle keeps its own level. Only
    the voxel layer on either side of the outline is decided, so what the clean-up removed (bridges, spurs,
    bellies) cannot grow back. The decision is made on the light image smoothed by a further SETTLE_SMOOTHING_MM
    (about 1 mm in all): a symmetric blur does not move the half-way crossing of an edge, and it halves the
    noise that otherwise lets single voxels join the margin (each one lengthens a Feret diameter).
    """
    from scipy.ndimage import gaussian_filter

    sigma = (0.0, SETTLE_SMOOTHING_MM / spacing[1], SETTLE_SMOOTHING_MM / spacing[0])
    finer = np.asarray(gaussian_filter(light, sigma), dtype=np.float32)
    one_voxel = max(spacing[0], spacing[1])
    settled = _refine_margin(finer, mask, spacing, band_mm=one_voxel, sigma_mm=SETTLE_SIGMA_MM)
    settled = _drop_thin_additions(settled, mask)
    kept = _seed_component(settled, seed_xyz)
    return mask if kept is None or not kept.any() else _fill(kept)


def _drop_thin_additions(settled: Mask, before: Mask) -> Mask:
    """The voxels the settling added outside the outline, kept only where they belong to an in-plane 3 x 3 cross
    lying wholly in the settled mask (they survive an in-plane opening with that cross).

    WHY: the settling decides one voxel layer outside the outline voxel by voxel; where the lesion and its
    neighbour differ by little (a rim 10-15 HU above a muscle belly at the tumour's tips) noise lets voxels join
    that are not outline: a voxel touching the mask only through a corner, a finger one voxel wide (all but its
    first voxel), a line one voxel thick. At the ends of the long axis each such voxel lengthens the Feret
    diameter by a working voxel. The smallest structuring element is used on purpose: a layer or bulge two voxels
    wide stays (less its right-angle outer corners, which no cross covers), and so does a single voxel on a flat
    stretch of outline (the cross centred on the outline voxel under it covers it), so the outline is not shrunk
    by any set amount; what the mask held before the settling is never touched.
    """
    from scipy.ndimage import binary_dilation, binary_erosion

    opened = binary_dilation(binary_erosion(settled, structure=_IN_PLANE_CROSS), structure=_IN_PLANE_CROSS)
    return np.asarray((settled & before) | (settled & opened), dtype=bool)


PEAK_DEPTH_MM = 3.0
PEAK_REACH_MM = 4.0


def _local_peak(values: F32, where: Mask, spacing: tuple[float, float, float]) -> F32:
    """The brightest value of `where` within PEAK_REACH_MM in the slice plane of each voxel (NaN when none)."""
    from scipy.ndimage import maximum_filter

    ry = max(1, round(PEAK_REACH_MM / spacing[1]))
    rx = max(1, round(PEAK_REACH_MM / spacing[0]))
    yy, xx = np.mgrid[-ry : ry + 1, -rx : rx + 1]
    disc = ((yy * spacing[1]) ** 2 + (xx * spacing[0]) ** 2 <= PEAK_REACH_MM**2 + 1e-6)[None]
    low = np.float32(-3.0e38)
    peak = maximum_filter(np.where(where, values, low).astype(np.float32), footprint=disc, mode="constant", cval=low)
    return np.asarray(np.where(peak > low / 2, peak, np.nan), dtype=np.float32)


def _normalised_mean(values: F32, where: Mask, sigma: list[float], gaussian_filter: object) -> F32:
    w = where.astype(np.float32)
    num = gaussian_filter(np.where(where, values, 0).astype(np.float32), sigma, mode="nearest")  # type: ignore[operator]
    den = gaussian_filter(w, sigma, mode="nearest")  # type: ignore[operator]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 1e-3, num / den, np.nan)
    return np.asarray(out, dtype=np.float32)


def _clean(mask: Mask, seed_xyz: tuple[int, int, int], spacing: tuple[float, float, float]) -> tuple[Mask, Mask] | None:
    """Opening to cut thin bridges, spurs cut off, holes filled, the component holding the seed (or the
    largest), and its smooth envelope; with it, the voxels the spur cut removed that are not back in the mask.

    The spur cut only proposes: one slice cannot tell a muscle belly stuck on the tumour from a real bulge of
    the tumour, so its voxels go to the 3-D shape stage, which gives back those within the fitted surface."""
    # Opening as erosion then dilation, intersected with the input so it can only remove voxels (ITK's
    # BinaryMorphologicalOpening with a flat in-plane ball was seen to add voxels at the slab's faces).
    from scipy.ndimage import binary_dilation, binary_erosion

    steps = max(1, round(OPENING_MM / min(spacing[0], spacing[1])))
    eroded = binary_erosion(mask, structure=_IN_PLANE_CROSS, iterations=steps)
    opened = binary_dilation(eroded, structure=_IN_PLANE_CROSS, iterations=steps) & mask
    spurless = _open_spurs(opened, spacing)
    # Fill before choosing the component: a necrotic core the opening detached from a thin rim is still the
    # rim's enclosed hole, so it joins the lesion instead of becoming the lesion.
    kept = _seed_component(_fill(spurless), seed_xyz)
    whole = _seed_component(mask, seed_xyz)
    if whole is None:
        return None if kept is None else (kept, np.zeros_like(mask))
    # An opening that leaves less than half of the lesion did not cut a bridge: it erased a thin enhancing rim
    # (a mostly necrotic lesion). Keep the lesion as grown then.
    if kept is None or kept.sum() < 0.5 * whole.sum():
        return _smooth_envelope(_fill(whole), spacing), np.zeros_like(mask)
    cleaned = _smooth_envelope(_fill(kept), spacing)
    return cleaned, opened & ~spurless & ~cleaned


SPUR_FRACTION = 0.35
SPUR_MIN_MM = 3.0
ENVELOPE_MM = 4.5


def _open_spurs(mask: Mask, spacing: tuple[float, float, float]) -> Mask:
    """Per slice, cut off spurs: parts of the outline a disc sized to the section cannot reach.

    A tumour section is a compact, roughly convex outline whose tightest bend is still wide (an ellipse's
    tightest radius is b^2/a, half its short semi-axis at an aspect ratio of 2); a neighbouring muscle belly that
    the rim's threshold let in shows as a spur or a lobe stuck on it. An opening with a disc of SPUR_FRACTION of
    the section's inscribed radius (OPENING_MM at least) fits in every bend of the tumour but not in such a
    spur. What it cuts off is removed only when it reaches more than SPUR_MIN_MM beyond the opened outline: the
    shallow corners the disc trims off a lobulated outline stay.
    """
    from scipy.ndimage import distance_transform_edt, label, maximum

    out = mask.copy()
    sampling = (spacing[1], spacing[0])
    for k in range(mask.shape[0]):
        plane = mask[k]
        if not plane.any():
            continue
        inside = distance_transform_edt(np.pad(plane, 1), sampling=sampling)[1:-1, 1:-1]
        radius = max(OPENING_MM, SPUR_FRACTION * float(inside.max()))
        middle = inside > radius + 1e-3
        if not middle.any():
            continue
        opened = plane & (distance_transform_edt(~middle, sampling=sampling) <= radius + 1e-3)
        pieces, count = label(plane & ~opened)
        if not count:
            continue
        beyond = distance_transform_edt(~opened, sampling=sampling)
        depth = np.atleast_1d(np.asarray(maximum(beyond, pieces, index=np.arange(1, count + 1))))
        spurs = np.flatnonzero(depth > SPUR_MIN_MM) + 1
        out[k] = plane & ~np.isin(pieces, spurs)
    return out


def _smooth_envelope(mask: Mask, spacing: tuple[float, float, float]) -> Mask:
    """Per slice, a closing with a disc of ENVELOPE_MM, holes filled: the tumour's smooth envelope.

    A sarcoma is a smooth mass; notches a few mm wide in the outline come from the margin rule losing a thin or
    broken rim (beside bone, where necrosis reaches the margin), not from the tumour. The closing fills such
    notches and bridges small gaps of the rim, so what they enclose joins the lesion; outlines curving more
    gently than the disc are left as they are.
    """
    from scipy.ndimage import distance_transform_edt

    out = mask.copy()
    sampling = (spacing[1], spacing[0])
    r = ENVELOPE_MM + 1e-3
    pad = math.ceil(ENVELOPE_MM / min(sampling)) + 1
    for k in range(mask.shape[0]):
        plane = np.pad(mask[k], pad)
        if not plane.any():
            continue
        dilated = distance_transform_edt(~plane, sampling=sampling) <= r
        closed = (distance_transform_edt(dilated, sampling=sampling) > r) | plane
        out[k] = _fill(closed[None])[0][pad : pad + mask.shape[1], pad : pad + mask.shape[2]]
    return out


def _shaped(
    image: F32, mask: Mask, spacing: tuple[float, float, float], seed_xyz: tuple[int, int, int], spurs: Mask
) -> Mask:
    """The 3-D shape stage (segmentation_shape): the mask corrected towards its smooth radial surface where the
    image agrees, the spur cut's voxels given back where they lie within that surface; the component holding the
    seed, holes filled, as after the clean-up."""
    shaped = refine_by_shape(image, mask, spacing, proposed_cut=spurs)
    if shaped is mask:
        return mask
    kept = _seed_component(shaped, seed_xyz)
    return mask if kept is None else _fill(kept)


def _seed_component(mask: Mask, seed_xyz: tuple[int, int, int]) -> Mask | None:
    """The connected component holding the seed, or the largest when the seed is not in the mask."""
    sitk = _sitk()

    labels = sitk.GetArrayFromImage(sitk.ConnectedComponent(sitk.GetImageFromArray(mask.astype(np.uint8)), False))
    x, y, z = seed_xyz
    keep = int(labels[z, y, x])
    if keep == 0:
        counts = np.bincount(labels.ravel())
        counts[0] = 0
        if counts.max() == 0:
            return None
        keep = int(np.argmax(counts))
    return _bool_array(labels == keep)
