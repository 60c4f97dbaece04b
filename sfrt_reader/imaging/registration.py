"""Registration of each follow-up to the baseline: rigid, then optionally affine, by mutual information.

Method (SimpleITK's ImageRegistrationMethod; the numbers are `RegistrationOptions` defaults):
1. Both volumes become SimpleITK images in true patient LPS (`sitk_convert.volume_to_sitk`; tilted or unevenly
   spaced stacks are resampled onto a regular grid first) and are then reduced to an isotropic working grid
   (2 mm): a 512 x 512 x 150 CT shrinks to about a twentieth of its voxels, which is what makes the run fast.
2. A body mask (`body_mask`) excludes the scanner table (it does not move with the patient) and the air; only
   baseline voxels inside the body are sampled. Intensities are clipped to the body's 0.5-99.5 percentiles so a
   few bright voxels (contrast, metal) do not squeeze the histogram.
3. Start: the better, by the metric at the coarsest level, of "no motion" (the scanner coordinates of both visits
   agree) and "body centres aligned" (the table was moved); the rotation centre is the baseline body's centroid.
4. Rigid (Euler3D: three angles, three shifts) by Mattes mutual information, which compares CT with CT and CT with
   MR alike, on three levels (blocks of 4, 2, 1 working voxels averaged, smoothing 4, 2, 0 mm), conjugate
   gradient with line search, a fixed number of randomly sampled voxels drawn with a fixed seed (same inputs,
   same result); each level stops once the pose has settled (`_Settled`: no point 100 mm from the rotation
   centre moved 0.01 mm over five iterations), but for the last one, whose converged result is stored.
5. Optional affine stage (12 parameters) started from the rigid result, on the two finer levels.
   Then the shift along the table axis is searched again, symmetrically and on the native grids
   (`registration_refine`: the metric is flattest along the limb and biased there), and the finest level is run
   with that shift held, so the rotation and the axial position settle at the right height (a rigid run leaves
   its finest level to this step rather than running it twice).
6. Quality (`assess_quality`): the verdict is `ok` only if the rotation and the shift are plausible for a patient
   on a couch, an affine stage did not scale or shear the patient beyond a limit, the body outlines agree after
   mapping (Dice of the body masks where both fields of view overlap) and mutual information is not negligible.
   Otherwise `poor` with the reason; callers then link by table position (see `registration_result`).

Everything here is free of Qt; `register_follow_ups` reports progress through a callback and stops when a cancel
callback says so, so the workstation can run it in a worker thread.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from sfrt_reader.imaging.body_mask import body_mask, box_dilation
from sfrt_reader.imaging.errors import RegistrationInputError
from sfrt_reader.imaging.registration_refine import AxialSearch, native_side
from sfrt_reader.imaging.registration_result import Registration, matrix_tuple
from sfrt_reader.imaging.sitk_convert import volume_to_sitk, working_image
from sfrt_reader.imaging.volume import Volume

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]
METRIC = "mattes_mutual_information"
SAMPLING_MARGIN_MM = 6.0  # the sampled region reaches this far beyond the skin, so the body's outline counts
OVERLAP_MARGIN_MM = 15.0  # sampled points stay this far inside the follow-up's field of view at the start
MIN_SAMPLING_VOXELS = 2000
MIN_CORNER_VOXELS = 4  # voxels along every axis at the coarsest level, or the pyramid has nothing to work on


@dataclass(frozen=True)
class RegistrationOptions:
    """Settings of a registration run; the defaults are what the accuracy and speed figures in the README use.

    affine: add the affine stage after the rigid one.
    working_spacing_mm: isotropic grid the images are reduced to before registering.
    shrink_factors / smoothing_sigmas_mm: the multi-resolution levels, coarse to fine.
    metric_samples: about how many baseline voxels (near and in the body) are sampled for the metric at each
        level, drawn at random with `seed`: a fixed count keeps the cost of an iteration independent of the scan.
    histogram_bins: Mattes mutual information joint histogram size.
    iterations: the most optimiser iterations per level.
    settled_mm / settled_iterations: a level stops once no point within `SETTLE_RADIUS_MM` of the rotation centre
        has moved more than `settled_mm` over the last `settled_iterations` iterations (see `_Settled`); 0 leaves
        the stop to the optimiser's own convergence test alone.
    seed: random sampling seed (fixed, so a run is reproducible).
    axial_search_mm: the final symmetric search of the shift along the baseline's slice normal (the table axis)
        covers +- this much around the gradient stages' result; 0 skips it (`registration_refine` says why it
        exists). axial_samples: points sampled in each scan for it. native_pixel_mm: in-plane pixels finer than
        this are binned for it (never the slices).
    max_rotation_deg, max_shift_mm, max_scale_change, min_body_dice, min_overlap_fraction, min_mutual_information:
        the quality limits (see `assess_quality`).
    """

    affine: bool = False
    working_spacing_mm: float = 2.0
    shrink_factors: tuple[int, ...] = (4, 2, 1)
    smoothing_sigmas_mm: tuple[float, ...] = (4.0, 2.0, 0.0)
    metric_samples: int = 10_000
    histogram_bins: int = 32
    iterations: int = 100
    settled_mm: float = 0.01
    settled_iterations: int = 5
    seed: int = 20_251
    axial_search_mm: float = 20.0
    axial_samples: int = 200_000
    native_pixel_mm: float = 3.0
    max_rotation_deg: float = 20.0
    max_shift_mm: float = 150.0
    max_scale_change: float = 0.15
    min_body_dice: float = 0.85
    min_overlap_fraction: float = 0.25
    min_mutual_information: float = 0.05

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (0.25 <= self.working_spacing_mm <= 10.0):
            problems.append(f"working_spacing_mm {self.working_spacing_mm} must lie between 0.25 and 10")
        levels = self.shrink_factors
        if not levels or any(int(f) != f or f < 1 for f in levels):
            problems.append(f"shrink_factors {levels} must be whole numbers of at least 1")
        elif list(levels) != sorted(levels, reverse=True):
            problems.append(f"shrink_factors {levels} must go from coarse to fine (non-increasing)")
        if len(self.smoothing_sigmas_mm) != len(levels):
            problems.append(
                f"{len(self.smoothing_sigmas_mm)} smoothing sigmas for {len(levels)} levels: give one per level"
            )
        if any(not math.isfinite(s) or s < 0 for s in self.smoothing_sigmas_mm):
            problems.append(f"smoothing_sigmas_mm {self.smoothing_sigmas_mm} must be finite and not negative")
        if not (1000 <= self.metric_samples <= 10_000_000):
            problems.append(f"metric_samples {self.metric_samples} must lie between 1000 and 10000000")
        if not (8 <= self.histogram_bins <= 256):
            problems.append(f"histogram_bins {self.histogram_bins} must lie between 8 and 256")
        if not (math.isfinite(self.axial_search_mm) and 0.0 <= self.axial_search_mm <= 50.0):
            problems.append(f"axial_search_mm {self.axial_search_mm} must lie between 0 and 50")
        if not (1000 <= self.axial_samples <= 10_000_000):
            problems.append(f"axial_samples {self.axial_samples} must lie between 1000 and 10000000")
        if not (math.isfinite(self.native_pixel_mm) and 0.1 <= self.native_pixel_mm <= 10.0):
            problems.append(f"native_pixel_mm {self.native_pixel_mm} must lie between 0.1 and 10")
        if self.iterations < 1:
            problems.append(f"iterations {self.iterations} must be at least 1")
        if not (math.isfinite(self.settled_mm) and 0.0 <= self.settled_mm <= 1.0):
            problems.append(f"settled_mm {self.settled_mm} must lie between 0 and 1")
        if not (2 <= self.settled_iterations <= 50):
            problems.append(f"settled_iterations {self.settled_iterations} must lie between 2 and 50")
        for name in ("max_rotation_deg", "max_shift_mm", "max_scale_change"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                problems.append(f"{name} {value} must be a positive number")
        for name in ("min_body_dice", "min_overlap_fraction"):
            value = getattr(self, name)
            if not (0.0 <= value <= 1.0):
                problems.append(f"{name} {value} must lie between 0 and 1")
        if not (math.isfinite(self.min_mutual_information) and self.min_mutual_information >= 0):
            problems.append(f"min_mutual_information {self.min_mutual_information} must be a number of at least 0")
        if problems:
            raise RegistrationInputError("invalid registration options: " + "; ".join(problems))

    @property
    def method(self) -> str:
        return "rigid+affine" if self.affine else "rigid"


@dataclass
class _Prepared:
    """One volume on the working grid: the clipped image, its body mask and the body's centroid (LPS)."""

    image: sitk.Image
    mask: sitk.Image
    sampling_mask: sitk.Image
    sampling_voxels: int
    body_voxels: int
    centroid: tuple[float, float, float]
    native: sitk.Image  # the scan on its own grid (for the final search along the table axis)
    region: sitk.Image  # the body and its margin before any field-of-view restriction
    clip: tuple[float, float]


class _Cancelled(Exception):
    pass


def _check_volume(volume: Volume, role: str, options: RegistrationOptions) -> None:
    if not isinstance(volume, Volume):
        raise RegistrationInputError(f"the {role} must be a loaded image volume, not {type(volume).__name__}")
    need = options.working_spacing_mm * max(options.shrink_factors) * MIN_CORNER_VOXELS
    nx, ny, nz = volume.size
    extents = (nx * volume.spacing[0], ny * volume.spacing[1], nz * volume.slice_spacing_mm)
    for axis, extent in zip(("across the rows", "down the columns", "along the slices"), extents, strict=True):
        if extent < need:
            raise RegistrationInputError(
                f"the {role} covers only {extent:.0f} mm {axis}; registration needs at least {need:.0f} mm in "
                "every direction: load the whole series, not a few slices"
            )
    if np.issubdtype(volume.array.dtype, np.floating) and not np.all(np.isfinite(volume.array)):
        raise RegistrationInputError(f"the {role} holds voxels that are not numbers (NaN or infinite)")


def _prepare(volume: Volume, options: RegistrationOptions) -> _Prepared:
    native = volume_to_sitk(volume)
    image = working_image(native, options.working_spacing_mm)
    mask = body_mask(image, volume.unit)
    arr = sitk.GetArrayViewFromImage(image)
    inside = np.asarray(sitk.GetArrayViewFromImage(mask), dtype=bool)
    count = int(np.count_nonzero(inside))
    if count == 0:
        return _Prepared(image, mask, mask, 0, 0, (0.0, 0.0, 0.0), native, mask, (0.0, 1.0))
    lo = float(np.percentile(arr, 0.5))
    hi = float(np.percentile(arr[inside], 99.5))
    hi = max(hi, lo + 1.0)
    clipped = sitk.Clamp(image, sitk.sitkFloat32, lo, hi)
    # Everything outside the body (the table, cushions, coils) becomes air: the table does not move with the patient.
    cleaned = sitk.Mask(clipped, mask, outsideValue=lo)
    radius = [max(1, round(SAMPLING_MARGIN_MM / s)) for s in image.GetSpacing()]
    # a box: much faster than a ball, margin all the same
    sampling = sitk.GetImageFromArray(box_dilation(sitk.GetArrayViewFromImage(mask), radius))
    sampling.CopyInformation(mask)
    stats = sitk.LabelShapeStatisticsImageFilter()
    stats.Execute(mask)
    c = stats.GetCentroid(1)
    sampled = int(np.count_nonzero(sitk.GetArrayViewFromImage(sampling)))
    centroid = (float(c[0]), float(c[1]), float(c[2]))
    return _Prepared(cleaned, mask, sampling, sampled, count, centroid, native, sampling, (lo, hi))


def _method(options: RegistrationOptions, mask: sitk.Image) -> sitk.ImageRegistrationMethod:
    """Mattes mutual information on about `options.metric_samples` random points of `mask`, one level (the
    pyramid is built by `_level_images`, on images already shrunk)."""
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=options.histogram_bins)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    # ITK draws the percentage from the whole grid, then keeps the points inside the mask.
    inside = max(1, int(np.count_nonzero(sitk.GetArrayViewFromImage(mask))))
    reg.SetMetricSamplingPercentage(min(1.0, options.metric_samples / inside), options.seed)
    reg.SetMetricFixedMask(mask)
    # The metric's gradient at the sampled points by central differences, not from gradient images of both whole
    # images made at the start of every level (a quarter of a level's time on the 2 mm grid, for 10 000 points).
    reg.SetMetricUseFixedImageGradientFilter(False)
    reg.SetMetricUseMovingImageGradientFilter(False)
    reg.SetInterpolator(sitk.sitkLinear)
    return reg


def _coarse(image: sitk.Image, factor: int, sigma_mm: float) -> sitk.Image:
    """The coarsest level for comparing starting positions: blocks of `factor` voxels averaged (cheap, and itself
    a smoothing), then the rest of the level's smoothing on the small image."""
    shrunk = sitk.BinShrink(image, [factor] * 3) if factor > 1 else image
    block_sigma = 0.5 * factor * min(image.GetSpacing()) if factor > 1 else 0.0  # what averaging already smooths
    rest = math.sqrt(max(0.0, sigma_mm**2 - block_sigma**2))
    return sitk.SmoothingRecursiveGaussian(shrunk, rest) if rest > 0 else shrunk


def _restrict_to_overlap(fixed: _Prepared, moving: _Prepared, transform: sitk.Transform) -> None:
    """Sample only baseline voxels that stay inside the follow-up's field of view, with a margin.

    Why: points that leave the follow-up's field of view are dropped from the metric, so without this the metric
    compares a different set of points at every position and favours positions that drop awkward ones (the
    classic overlap bias of mutual information); the table shifts between visits make this bite along z."""
    margin = [max(1, round(OVERLAP_MARGIN_MM / s)) for s in moving.image.GetSpacing()]
    size = moving.image.GetSize()
    inner = np.zeros(size[::-1], dtype=np.uint8)
    inner[margin[2] : size[2] - margin[2], margin[1] : size[1] - margin[1], margin[0] : size[0] - margin[0]] = 1
    fov = sitk.GetImageFromArray(inner)
    fov.CopyInformation(moving.image)
    inside = sitk.Resample(fov, fixed.sampling_mask, transform, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    restricted = sitk.And(fixed.sampling_mask, inside)
    count = int(np.count_nonzero(sitk.GetArrayViewFromImage(restricted)))
    if count >= MIN_SAMPLING_VOXELS:  # otherwise keep the whole region: the quality check will judge the overlap
        fixed.sampling_mask = restricted
        fixed.sampling_voxels = count


def _initial_transform(fixed: _Prepared, moving: _Prepared, options: RegistrationOptions) -> sitk.Euler3DTransform:
    """'No motion' or 'body centres aligned', whichever the metric prefers at the coarsest level."""
    centre = fixed.centroid
    shift = tuple(m - f for m, f in zip(moving.centroid, fixed.centroid, strict=True))
    candidates = [
        sitk.Euler3DTransform(centre, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0)),
        sitk.Euler3DTransform(centre, 0.0, 0.0, 0.0, shift),
    ]
    best: sitk.Euler3DTransform = candidates[0]
    best_value = math.inf
    factor, sigma = options.shrink_factors[0], options.smoothing_sigmas_mm[0]
    coarse_fixed, coarse_moving = (_coarse(p.image, factor, sigma) for p in (fixed, moving))
    coarse_mask = sitk.Resample(fixed.sampling_mask, coarse_fixed, sitk.Transform(), sitk.sitkNearestNeighbor)
    for tx in candidates:
        reg = _method(options, coarse_mask)
        reg.SetInitialTransform(tx, inPlace=False)
        try:
            value = reg.MetricEvaluate(coarse_fixed, coarse_moving)
        except RuntimeError:  # no sample maps into the follow-up: this start is useless
            continue
        if value < best_value:
            best, best_value = tx, value
    return best


SETTLE_RADIUS_MM = 100.0  # about a thigh's cross-section radius: where a rotation's displacement is judged


class _Settled:
    """Whether an optimiser's position has stopped moving: the largest displacement, between the position now and
    the one `window` iterations ago, of the corners of a cube of `SETTLE_RADIUS_MM` around the rotation centre.

    Why: the conjugate gradient with line search reaches its optimum in 8 to 15 iterations on each level, but its
    own convergence test (the slope of the metric over a window of iterations, below 1e-6) passed only some 20
    iterations later, each spending up to ten metric evaluations on steps of a thousandth of a millimetre: half of
    every level's time (profiled on a 512 x 512 x 150 CT pair). A displacement in millimetres is the quantity the
    accuracy target is stated in, whatever the transform's parameters are (angles, matrix entries)."""

    def __init__(self, transform: sitk.Transform, tolerance_mm: float, window: int) -> None:
        self.probe: sitk.Euler3DTransform | sitk.AffineTransform = (
            sitk.Euler3DTransform(transform)
            if transform.GetName() == "Euler3DTransform"
            else sitk.AffineTransform(transform)
        )
        centre = np.asarray(self.probe.GetCenter(), dtype=np.float64)
        self.corners = [
            tuple(float(v) for v in centre + SETTLE_RADIUS_MM * np.array(sign))
            for sign in itertools.product((-1.0, 1.0), repeat=3)
        ]
        self.tolerance_mm = tolerance_mm
        self.window = window
        self.history: list[np.ndarray] = []

    def update(self, parameters: Sequence[float]) -> bool:
        """Record the position after an iteration; True once it has settled."""
        self.probe.SetParameters(tuple(float(v) for v in parameters))
        self.history.append(np.array([self.probe.TransformPoint(c) for c in self.corners], dtype=np.float64))
        if self.tolerance_mm <= 0 or len(self.history) <= self.window:
            return False
        moved = float(np.max(np.linalg.norm(self.history[-1] - self.history[-1 - self.window], axis=1)))
        return moved < self.tolerance_mm


def _run_stage(
    fixed: _Prepared,
    moving: _Prepared,
    transform: sitk.Transform,
    options: RegistrationOptions,
    levels: Sequence[int],
    sigmas: Sequence[float],
    report: Callable[[float], None],
    cancel: CancelFn,
    hold_z: bool = False,
    settle: bool = True,
) -> tuple[float, int]:
    """Optimise `transform` in place, coarse level to fine (`hold_z`: the last parameter, the shift along LPS z,
    is held where it is); returns the final metric value and the iterations of
    the last level.

    Each level is a run of its own on images shrunk beforehand (`_coarse`: block averaging, then the rest of the
    level's smoothing on the small image). Why not SimpleITK's own pyramid: it smooths both full working images
    and takes their gradient at every level, which was two thirds of the time of a 512 x 512 x 150 pair."""
    value, iterations = math.nan, 0
    stopped = {"cancel": False}
    for index, (factor, sigma) in enumerate(zip(levels, sigmas, strict=True)):
        fixed_image = _coarse(fixed.image, factor, sigma)
        moving_image = _coarse(moving.image, factor, sigma)
        mask = fixed.sampling_mask
        if factor > 1:
            mask = sitk.Resample(mask, fixed_image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
        reg = _method(options, mask)
        # Line search: a step is taken only where the metric really improves along the gradient.
        reg.SetOptimizerAsConjugateGradientLineSearch(
            learningRate=1.0,
            numberOfIterations=options.iterations,
            convergenceMinimumValue=1e-6,
            convergenceWindowSize=10,
            lineSearchLowerLimit=0.0,
            lineSearchUpperLimit=2.0,
            lineSearchEpsilon=0.05,
            lineSearchMaximumIterations=10,
            estimateLearningRate=reg.Once,
            maximumStepSizeInPhysicalUnits=2.0,
        )
        reg.SetOptimizerScalesFromPhysicalShift()
        if hold_z:  # Euler3D and affine parameters both end with the translation along z
            count = transform.GetNumberOfParameters()
            reg.SetOptimizerWeights([1.0] * (count - 1) + [0.0])
        reg.SetInitialTransform(transform, inPlace=True)
        settled = _Settled(transform, options.settled_mm if settle else 0.0, options.settled_iterations)

        def on_iteration(
            reg: sitk.ImageRegistrationMethod = reg, index: int = index, settled: _Settled = settled
        ) -> None:
            if cancel():
                stopped["cancel"] = True
                reg.StopRegistration()
                return
            if settled.update(reg.GetOptimizerPosition()):
                reg.StopRegistration()
            within = min(1.0, reg.GetOptimizerIteration() / options.iterations)
            report((index + within) / len(levels))

        reg.AddCommand(sitk.sitkIterationEvent, on_iteration)
        reg.Execute(fixed_image, moving_image)
        if stopped["cancel"]:
            raise _Cancelled
        value, iterations = float(reg.GetMetricValue()), int(reg.GetOptimizerIteration())
    return value, iterations


AXIAL_STEPS_MM = (2.0, 0.5, 0.25)  # the search lattice, coarse to fine


def _refine_along_table_axis(
    fixed: _Prepared,
    moving: _Prepared,
    transform: sitk.Transform,
    options: RegistrationOptions,
    cancel: CancelFn,
    search_mm: float | None = None,
    steps_mm: Sequence[float] = AXIAL_STEPS_MM,
) -> tuple[sitk.Transform, float]:
    """`transform` shifted along the baseline's slice normal to the best symmetric native-grid mutual information
    within +-`search_mm` (default `options.axial_search_mm`; `registration_refine`), and that shift; unchanged
    when too few points overlap to judge."""
    search_mm = options.axial_search_mm if search_mm is None else search_mm
    sides = [native_side(p.native, p.mask, p.region, p.clip, options.native_pixel_mm) for p in (fixed, moving)]
    direction = np.asarray(fixed.native.GetDirection(), dtype=np.float64).reshape(3, 3)
    search = AxialSearch(
        sides[0],
        sides[1],
        transform,
        _homogeneous(transform),
        direction[:, 2],
        search_mm,
        options.axial_samples,
        options.histogram_bins,
        options.seed,
    )
    if not search.usable:
        return transform, 0.0
    try:
        shift, _ = search.search(search_mm, steps_mm, cancel)
    except InterruptedError:
        raise _Cancelled from None
    return search.apply(shift), shift


def _settle(
    fixed: _Prepared,
    moving: _Prepared,
    transform: sitk.Transform,
    options: RegistrationOptions,
    report: Callable[[float], None],
    cancel: CancelFn,
) -> tuple[sitk.Transform, float, float]:
    """The table-axis search, then the finest gradient level (again, after an affine stage; for the first time
    after a rigid one) with the shift along z held, so the rotation and the axial position settle at the right
    height. Returns the transform, the metric of the finest level and
    the shift the search applied.

    Why: when the gradient stages stop far off along the flat axis (up to 18 mm on the demo trial), their rotation
    and axial position are those that best fit the wrong height, up to 1 mm off in the axial plane. Searching the
    height once more afterwards was tried and not kept: the flat symmetric profile's optimum moved by up to 2 mm
    for an axial change of a quarter millimetre (demo-02), so it made the height worse, not better."""
    transform, shift = _refine_along_table_axis(fixed, moving, transform, options, cancel)
    report(0.4)
    finest = ([options.shrink_factors[-1]], [options.smoothing_sigmas_mm[-1]])
    # This last level runs to the optimiser's own convergence, not to `_Settled`: its result is what is stored, and
    # only a converged optimum is the same, to the stored nine decimals, whatever order ITK's threads summed the
    # metric in (an early stop keeps the last-digit differences such orders leave along the way; seen once in a
    # loaded test run).
    value, _ = _run_stage(
        fixed, moving, transform, options, *finest, lambda f: report(0.4 + 0.6 * f), cancel, hold_z=True, settle=False
    )
    return transform, value, shift


def to_sitk_transform(reg: Registration) -> sitk.Transform:
    """The SimpleITK transform a registration stores (fixed/baseline physical point -> moving/follow-up), e.g. to
    resample the follow-up onto the baseline grid for a side-by-side or fused view."""
    if reg.transform_type == "Euler3DTransform":
        tx: sitk.Transform = sitk.Euler3DTransform()
    else:
        tx = sitk.AffineTransform(3)
    tx.SetFixedParameters(reg.fixed_parameters)
    tx.SetParameters(reg.parameters)
    return tx


def _homogeneous(tx: sitk.Transform) -> np.ndarray:
    """4 x 4 matrix of a SimpleITK matrix-offset transform: T(p) = M (p - c) + c + t."""
    concrete = sitk.Euler3DTransform(tx) if tx.GetName() == "Euler3DTransform" else sitk.AffineTransform(tx)
    m = np.asarray(concrete.GetMatrix(), dtype=np.float64).reshape(3, 3)
    c = np.asarray(concrete.GetCenter(), dtype=np.float64)
    t = np.asarray(concrete.GetTranslation(), dtype=np.float64)
    out = np.eye(4)
    out[:3, :3] = m
    out[:3, 3] = c + t - m @ c
    return out


# ------------------------------------------------------------------------------------------------- quality


def body_overlap(fixed: _Prepared, moving: _Prepared, matrix: np.ndarray) -> tuple[float, float]:
    """(Dice of the body masks, fraction of the baseline body the follow-up covers) after mapping.

    The follow-up's body mask is carried onto the baseline grid through the transform; Dice is computed only where
    the follow-up's field of view reaches (an MR of one thigh is not penalised for missing the other)."""
    tx = sitk.AffineTransform(3)
    tx.SetMatrix(tuple(float(v) for v in matrix[:3, :3].flatten()))
    tx.SetTranslation(tuple(float(v) for v in matrix[:3, 3]))
    mapped = sitk.Resample(moving.mask, fixed.mask, tx, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    ones = sitk.Image(moving.mask.GetSize(), sitk.sitkUInt8) + 1
    ones.CopyInformation(moving.mask)
    fov = sitk.Resample(ones, fixed.mask, tx, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    a = np.asarray(sitk.GetArrayViewFromImage(fixed.mask), dtype=bool)
    b = np.asarray(sitk.GetArrayViewFromImage(mapped), dtype=bool)
    f = np.asarray(sitk.GetArrayViewFromImage(fov), dtype=bool)
    covered = int(np.count_nonzero(a & f))
    overlap_fraction = covered / max(1, int(np.count_nonzero(a)))
    denominator = covered + int(np.count_nonzero(b & f))
    dice = 2.0 * int(np.count_nonzero(a & b & f)) / denominator if denominator else 0.0
    return dice, overlap_fraction


def assess_quality(
    matrix: np.ndarray,
    centre: tuple[float, float, float],
    dice: float,
    overlap_fraction: float,
    metric_value: float,
    options: RegistrationOptions,
) -> tuple[str, str, dict[str, float]]:
    """Verdict (`ok`/`poor`), reason and the numbers it was made from.

    Checks, in the order a reader would want them explained: the follow-up covers enough of the baseline body;
    the rotation (angle of the rotation part) and the shift of the baseline body centre are plausible for a
    patient repositioned on a couch; an affine part neither scales nor shears beyond `max_scale_change`; the body
    outlines agree (Dice); the images share information (mutual information, -metric)."""
    m = matrix[:3, :3]
    u, s, vt = np.linalg.svd(m)
    rotation = u @ vt
    angle = math.degrees(math.acos(max(-1.0, min(1.0, (float(np.trace(rotation)) - 1.0) / 2.0))))
    c = np.asarray(centre, dtype=np.float64)
    shift = float(np.linalg.norm(m @ c + matrix[:3, 3] - c))
    scale_change = float(np.max(np.abs(s - 1.0)))
    mutual_information = -metric_value
    checks = {
        "rotation_deg": round(angle, 4),
        "shift_mm": round(shift, 4),
        "scale_change": round(scale_change, 6),
        "body_dice": round(dice, 4),
        "overlap_fraction": round(overlap_fraction, 4),
        "mutual_information": round(mutual_information, 5),
    }
    problems: list[str] = []
    if overlap_fraction < options.min_overlap_fraction:
        problems.append(
            f"the follow-up covers only {overlap_fraction:.0%} of the baseline body "
            f"(at least {options.min_overlap_fraction:.0%} needed)"
        )
    if angle > options.max_rotation_deg:
        problems.append(f"a rotation of {angle:.1f} degrees is implausible (limit {options.max_rotation_deg:g})")
    if shift > options.max_shift_mm:
        problems.append(f"a shift of {shift:.0f} mm is implausible (limit {options.max_shift_mm:g} mm)")
    if scale_change > options.max_scale_change:
        problems.append(
            f"the affine stage scales the body by {scale_change:.0%} (limit {options.max_scale_change:.0%})"
        )
    if overlap_fraction >= options.min_overlap_fraction and dice < options.min_body_dice:
        problems.append(f"the body outlines agree poorly (Dice {dice:.2f}, at least {options.min_body_dice:g})")
    if mutual_information < options.min_mutual_information:
        problems.append(
            f"the images share almost no information (mutual information {mutual_information:.3f}, "
            f"at least {options.min_mutual_information:g})"
        )
    if problems:
        return "poor", "; ".join(problems), checks
    return (
        "ok",
        f"body outlines agree (Dice {dice:.2f}), rotation {angle:.1f} degrees, shift {shift:.1f} mm",
        checks,
    )


# ------------------------------------------------------------------------------------------------- runs


def _poor(
    fixed: Volume,
    moving: Volume,
    reason: str,
    options: RegistrationOptions,
    started: float,
    centre: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> Registration:
    """A registration that must not be used: identity transform, verdict poor, the reason."""
    tx = sitk.Euler3DTransform(centre, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0))
    return Registration(
        fixed_series_uid=fixed.series_instance_uid,
        moving_series_uid=moving.series_instance_uid,
        matrix=matrix_tuple(np.eye(4)),
        transform_type="Euler3DTransform",
        parameters=tuple(tx.GetParameters()),
        fixed_parameters=tuple(tx.GetFixedParameters()),
        metric=METRIC,
        metric_value=None,
        verdict="poor",
        reason=reason,
        method=options.method,
        elapsed_s=round(time.perf_counter() - started, 3),
        checks={},
    )


def register(
    baseline: Volume,
    follow_up: Volume,
    options: RegistrationOptions | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Registration:
    """Register `follow_up` (moving) to `baseline` (fixed); the result maps baseline LPS to follow-up LPS.

    Raises RegistrationInputError for volumes registration cannot use (too small a field of view, non-numbers).
    A run that is cancelled, cannot find a body, or fails its quality checks returns verdict `poor` with the
    reason, never raises: the caller falls back to table-position linking.
    """
    options = options or RegistrationOptions()
    _check_volume(baseline, "baseline", options)
    _check_volume(follow_up, "follow-up", options)
    started = time.perf_counter()
    report = progress or (lambda _f, _m: None)
    should_stop = cancel or (lambda: False)
    if should_stop():
        return _poor(baseline, follow_up, "cancelled before it started", options, started)
    report(0.0, "preparing the images")
    fixed = _prepare(baseline, options)
    moving = _prepare(follow_up, options)
    for prepared, role in ((fixed, "baseline"), (moving, "follow-up")):
        if prepared.body_voxels == 0:
            return _poor(baseline, follow_up, f"no body was found in the {role} image", options, started)
    report(0.1, "finding the starting position")
    transform: sitk.Transform = _initial_transform(fixed, moving, options)
    _restrict_to_overlap(fixed, moving, transform)
    refine_share = 0.2 if options.axial_search_mm > 0 else 0.0
    rigid_share = (0.55 if options.affine else 0.8) - refine_share
    axial_shift = 0.0

    def rigid_report(f: float) -> None:
        report(0.1 + rigid_share * f, "rigid registration")

    # A rigid run followed by the table-axis search leaves its finest level to `_settle`, which runs it after the
    # search anyway (with the height held): running it before as well cost a fifth of a registration and moved
    # no demo follow-up's tumour centre closer than 0.1 mm to the truth (worst error 0.64 mm with it, 0.72 without).
    deferred = options.axial_search_mm > 0 and not options.affine and len(options.shrink_factors) > 1
    rigid_levels = len(options.shrink_factors) - (1 if deferred else 0)
    try:
        metric_value, _ = _run_stage(
            fixed,
            moving,
            transform,
            options,
            options.shrink_factors[:rigid_levels],
            options.smoothing_sigmas_mm[:rigid_levels],
            rigid_report,
            should_stop,
        )
        if options.affine:
            affine = sitk.AffineTransform(3)
            rigid = sitk.Euler3DTransform(transform)
            affine.SetCenter(rigid.GetCenter())
            affine.SetMatrix(rigid.GetMatrix())
            affine.SetTranslation(rigid.GetTranslation())
            transform = affine
            fine = max(1, len(options.shrink_factors) - 1)
            metric_value, _ = _run_stage(
                fixed,
                moving,
                transform,
                options,
                options.shrink_factors[-fine:],
                options.smoothing_sigmas_mm[-fine:],
                lambda f: report(0.65 - refine_share + 0.25 * f, "affine registration"),
                should_stop,
            )
        if options.axial_search_mm > 0:
            start = 0.9 - refine_share
            report(start, "refining along the table axis")
            transform, metric_value, axial_shift = _settle(
                fixed,
                moving,
                transform,
                options,
                lambda f: report(start + refine_share * f, "refining along the table axis"),
                should_stop,
            )
    except _Cancelled:
        return _poor(baseline, follow_up, "cancelled before it finished", options, started, fixed.centroid)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        if "samples" in first.lower() or "outside" in first.lower():
            why = "the two images do not overlap (no sampled point of the baseline falls inside the follow-up)"
        else:
            why = f"the optimiser failed ({first[:160]})"
        return _poor(baseline, follow_up, why, options, started, fixed.centroid)
    report(0.92, "checking the result")
    # ITK's threads sum the metric in a varying order, which moves the result in the 16th digit; rounding to 1e-9
    # (nanometres, nanoradians) makes the stored result the same for the same inputs.
    transform.SetParameters(tuple(round(float(v), 9) for v in transform.GetParameters()))
    matrix = _homogeneous(transform)
    dice, overlap_fraction = body_overlap(fixed, moving, matrix)
    verdict, reason, checks = assess_quality(matrix, fixed.centroid, dice, overlap_fraction, metric_value, options)
    checks["axial_shift_mm"] = round(axial_shift, 4)
    report(1.0, "done")
    return Registration(
        fixed_series_uid=baseline.series_instance_uid,
        moving_series_uid=follow_up.series_instance_uid,
        matrix=matrix_tuple(np.round(matrix, 9)),
        transform_type=transform.GetName(),
        parameters=tuple(float(v) for v in transform.GetParameters()),
        fixed_parameters=tuple(float(v) for v in transform.GetFixedParameters()),
        metric=METRIC,
        metric_value=round(float(metric_value), 9),
        verdict=verdict,  # type: ignore[arg-type]  # assess_quality returns "ok" or "poor"
        reason=reason,
        method=options.method,
        elapsed_s=round(time.perf_counter() - started, 3),
        checks=checks,
    )


def register_follow_ups(
    baseline: Volume,
    follow_ups: Sequence[Volume],
    options: RegistrationOptions | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> list[Registration]:
    """Register every follow-up to the baseline, in order; one `Registration` per follow-up.

    progress(fraction 0-1 of the whole job, message) is called often (every optimiser iteration); cancel() is
    polled as often, e.g. `threading.Event().is_set`. After a cancel the follow-ups not yet done are returned as
    `poor` ("cancelled"), so the caller always gets one result per follow-up and links them by table position.
    All inputs are checked before any work starts, so a bad series fails at once, not after minutes.
    """
    options = options or RegistrationOptions()
    _check_volume(baseline, "baseline", options)
    for i, fu in enumerate(follow_ups, start=1):
        _check_volume(fu, f"follow-up {i}", options)
    report = progress or (lambda _f, _m: None)
    should_stop = cancel or (lambda: False)
    total = len(follow_ups)
    results: list[Registration] = []
    for i, fu in enumerate(follow_ups):
        label = f"follow-up {i + 1} of {total}"

        def each(fraction: float, message: str, i: int = i, label: str = label) -> None:
            report((i + fraction) / total, f"{label}: {message}")

        results.append(register(baseline, fu, options, each, should_stop))
    report(1.0, f"{total} follow-up(s) registered")
    return results
