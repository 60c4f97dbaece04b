"""3-D shape stage of the one-click segmentation: a smooth radial surface fitted robustly to the mask.

WHY: the density rules of the segmentation place the margin where the image says lesion vs tissue, and that is
ambiguous where a neighbouring muscle belly is nearly as bright as the tumour's enhancing rim (the belly is taken
in) or where necrosis reaches the margin (the rim around it is broken and the necrosis is left out). Intensity
alone cannot separate these; shape in 3-D can. A soft-tissue sarcoma is a lobulated but roughly star-shaped mass
seen from its centre: its surface, as a radius function r(direction), is smooth (a few low-order lobes), while a
belly stuck on it is a local outward jump of r over a patch of directions and missed necrosis at an end is a local
inward dent.

The stage:
1. Frame: the mask's centroid and principal axes; directions and radii are measured in the lesion's own
   ellipsoidal frame (coordinates divided by the semi-axes of the ellipsoid with the mask's second moments), so an
   elongated tumour is a near-sphere there and low degrees describe it.
2. Radius function: rays from the centre in evenly spread directions; r is where the (linearly interpolated)
   mask is first left.
3. Robust fit: real spherical harmonics up to degree FIT_DEGREE by iteratively reweighted least squares with
   Tukey's biweight, so the directions of a belly (too far out) or a dent (too far in) get no weight and the
   surface follows the rest of the tumour. A smoothness penalty (the squared eigenvalue l(l+1) of the surface
   Laplacian, RIDGE per unit weight) keeps about 95 / 70 / 35 / 17 % of a degree 1 / 2 / 3 / 4 component: a
   lobulated ellipsoid, not a surface flexible enough to follow a belly. On the 256 demo trial a ten times weaker
   penalty let the surface follow the belly (volume +5.0 / +5.3 % instead of +4.5 / +4.4 %), a ten times
   stronger one made it an ellipsoid that cut true lobes (Dice 0.955 instead of 0.964 at 12 months).
4. Decision, with the image. Drop: each connected part of the mask lying beyond the fitted surface whose
   median density is below half-way between the lesion's rim (upper quartile of the mask just inside the
   surface) and the tissue outside (upper quartile just outside: muscle rather than fat): a belly that the
   rim's threshold let in is darker than the rim, a lobe of the tumour is not. Add: tissue more than 2 mm inside
   the fitted surface, touching the mask, whose density is the lesion's own (between the mask's 1st and 99th
   percentile: not fat, not bone, not the partial-volume halo around bone): necrosis reaching the margin.
   The layer within 2 mm of the surface is left to the density rules (the fit itself is uncertain by 1-2 mm).
   Up to bone: where the lesion lies against bone (anything far brighter than the lesion), the voxels between
   the mask and the cortex (within 3 mm of it, within the surface, touching the mask) that the half-way rule
   gives to the lesion on both sides (at least half-way from the tissue outside to the rim, less than half-way
   from the rim to the bone): the density rules stop short of the cortex, whose partial volume the 2 mm
   smoothing of the rim's growth spreads over its neighbours.
   Give back: what the per-slice spur cut of the clean-up took off (passed in as `proposed_cut`, left out of the
   fit) where it lies within the surface (to the 0.5 mm of the drops) with the lesion's own density. One slice
   cannot tell a real bulge of the tumour (often the outer layer left standing where the margin rule lost the
   tissue under it, beside bone) from a belly stuck on it; in 3-D the bulge lies on the surface the other slices
   describe, and the belly beyond it. The fit is made without the cut voxels, so a belly never pulls the surface
   out towards itself; a bulge needs no help from the fit, as the neighbouring slices already hold the shape.

The stage stands aside when the mask is small (a few voxels make the whole outline), when its centre is outside
it (no radius function), or when it would change more than a quarter of the mask (then the fit, not the
margin, is in doubt).

Pure numpy and scipy on the segmentation's working grid; no geometry beyond the grid's spacing (the
working grid is axis-aligned in index space, as everything in segmentation.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Mask = NDArray[np.bool_]
F64 = NDArray[np.float64]
F32 = NDArray[np.float32]

FIT_DEGREE = 4
DIRECTIONS = 1200
RAY_STEP = 0.02  # in units of the normalised radius (the ellipsoid's surface is at 1)
RAY_REACH = 2.5
TUKEY_C = 4.685
IRLS_ITERATIONS = 15
RIDGE = 1e-3
# The small products below are written with einsum, not @: on a shared machine a multithreaded BLAS spins its
# threads on every one of these tiny products (0.7 s CPU for the fit instead of 10 ms).


@dataclass(frozen=True)
class RadialSurface:
    """A smooth radius function about a centre, in the lesion's ellipsoidal frame.

    centre: (z, y, x) in mm of the working grid; axes: columns are the principal directions (z, y, x mm);
    semi: the semi-axes (mm) that normalise the frame; coefficients: real spherical harmonics up to `degree`;
    scale: the robust spread of the fit's residuals (normalised radius units).
    """

    centre: F64
    axes: F64
    semi: F64
    degree: int
    coefficients: F64
    scale: float

    def radius(self, directions: F64) -> F64:
        """The fitted normalised radius along unit directions (N x 3, in the normalised frame)."""
        return np.asarray(np.einsum("ij,j->i", _basis(directions, self.degree), self.coefficients), dtype=np.float64)

    def normalised(self, points_mm: F64) -> F64:
        """Points (N x 3, z y x mm) in the normalised frame."""
        return np.asarray(np.einsum("ij,jk->ik", points_mm - self.centre, self.axes) / self.semi, dtype=np.float64)


def fibonacci_directions(n: int) -> F64:
    """n nearly evenly spread unit vectors (the golden-angle spiral)."""
    i = np.arange(n, dtype=np.float64) + 0.5
    polar = np.arccos(1.0 - 2.0 * i / n)
    azimuth = math.pi * (1.0 + math.sqrt(5.0)) * i
    return np.stack([np.cos(polar), np.sin(polar) * np.sin(azimuth), np.sin(polar) * np.cos(azimuth)], axis=1)


def _basis(directions: F64, degree: int) -> F64:
    """Real spherical harmonics up to `degree` at unit directions (N x 3, first column the frame's first axis)."""
    from scipy.special import sph_harm_y

    d = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    polar = np.arccos(np.clip(d[:, 0], -1.0, 1.0))
    azimuth = np.arctan2(d[:, 1], d[:, 2])
    columns = []
    for n in range(degree + 1):
        for m in range(-n, n + 1):
            y = sph_harm_y(n, abs(m), polar, azimuth)
            if m < 0:
                columns.append(math.sqrt(2.0) * (-1) ** m * y.imag)
            elif m > 0:
                columns.append(math.sqrt(2.0) * (-1) ** m * y.real)
            else:
                columns.append(y.real)
    return np.asarray(np.stack(columns, axis=1), dtype=np.float64)


def _frame(mask: Mask, spacing_zyx: F64) -> tuple[F64, F64, F64]:
    """Centroid (mm), principal axes (columns) and semi-axes (mm) of the mask's equivalent ellipsoid."""
    points = np.argwhere(mask).astype(np.float64) * spacing_zyx
    centre = points.mean(axis=0)
    cov = np.cov((points - centre).T) + np.diag(spacing_zyx**2 / 12.0)  # each voxel is a box, not a point
    values, vectors = np.linalg.eigh(cov)
    semi = np.sqrt(5.0 * np.maximum(values, 1e-6))  # a solid ellipsoid's variance along an axis is a^2 / 5
    return centre, vectors, semi


def _ray_radii(mask: Mask, spacing_zyx: F64, centre: F64, axes: F64, semi: F64, directions: F64) -> F64:
    """Normalised radius at which each ray from the centre first leaves the mask (linear interpolation)."""
    from scipy.ndimage import map_coordinates

    steps = np.arange(0.0, RAY_REACH + RAY_STEP / 2, RAY_STEP)
    offsets_mm = np.einsum("ij,kj->ik", directions * semi, axes)  # N x 3, z y x mm for a unit normalised radius
    pts = centre[None, None, :] + steps[None, :, None] * offsets_mm[:, None, :]
    idx = (pts / spacing_zyx).reshape(-1, 3).T
    values = map_coordinates(mask.astype(np.float32), idx, order=1, mode="constant", cval=0.0)
    values = values.reshape(len(directions), len(steps))
    outside = values < 0.5
    outside[:, -1] = True
    first = np.argmax(outside, axis=1)
    # sub-step crossing between the last inside sample and the first outside one
    prev = np.maximum(first - 1, 0)
    rows = np.arange(len(directions))
    v0, v1 = values[rows, prev], values[rows, first]
    frac = np.where(v0 > v1, (v0 - 0.5) / np.maximum(v0 - v1, 1e-6), 0.0)
    return np.asarray(steps[prev] + np.clip(frac, 0.0, 1.0) * RAY_STEP, dtype=np.float64)


def fit_radial_surface(mask: Mask, spacing_zyx: tuple[float, float, float], degree: int = FIT_DEGREE) -> RadialSurface:
    """Robust spherical-harmonic fit of the mask's radius function (Tukey-weighted IRLS)."""
    sp = np.asarray(spacing_zyx, dtype=np.float64)
    centre, axes, semi = _frame(mask, sp)
    directions = fibonacci_directions(DIRECTIONS)
    radii = _ray_radii(mask, sp, centre, axes, semi, directions)
    basis = _basis(directions, degree)
    orders = np.concatenate([np.full(2 * n + 1, n) for n in range(degree + 1)]).astype(np.float64)
    penalty = RIDGE * np.diag((orders * (orders + 1)) ** 2)
    weights = np.ones(len(radii))
    coefficients = np.zeros(basis.shape[1])
    scale = 0.0
    for _ in range(IRLS_ITERATIONS):
        if weights.sum() < basis.shape[1]:
            break  # fewer directions left than coefficients: keep the last fit rather than an unstable one
        wb = basis * weights[:, None]
        normal = np.einsum("ij,ik->jk", basis, wb) + penalty * weights.sum()
        coefficients = np.linalg.solve(normal, np.einsum("ij,i->j", wb, radii))
        residual = radii - np.einsum("ij,j->i", basis, coefficients)
        scale = max(1.4826 * float(np.median(np.abs(residual - np.median(residual)))), 1e-3)
        u = residual / (TUKEY_C * scale)
        weights = np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0)
    return RadialSurface(centre, axes, semi, degree, coefficients, scale)


TABLE_STEPS = (90, 90)  # polar x azimuth samples of the fitted radius table: every 2 x 4 degrees


def _beyond(surface: RadialSurface, points_mm: F64) -> F64:
    """Distance (mm, along the ray from the centre) of each point beyond the fitted surface; negative inside.

    The fitted radius is interpolated (bilinear) in a table over the polar and azimuth angles the harmonics use:
    a degree-4 surface is smooth on that scale, and evaluating the harmonics at each of several hundred thousand
    voxels would cost far more."""
    from scipy.ndimage import map_coordinates

    n_polar, n_azimuth = TABLE_STEPS
    polar_c = (np.arange(n_polar) + 0.5) * math.pi / n_polar
    azimuth_c = (np.arange(n_azimuth) + 0.5) * 2 * math.pi / n_azimuth - math.pi
    pp, aa = np.meshgrid(polar_c, azimuth_c, indexing="ij")
    grid_dirs = np.stack([np.cos(pp), np.sin(pp) * np.sin(aa), np.sin(pp) * np.cos(aa)], axis=-1).reshape(-1, 3)
    table = surface.radius(grid_dirs).reshape(n_polar, n_azimuth)
    table = np.concatenate([table[:, -1:], table, table[:, :1]], axis=1)  # the azimuth wraps round

    q = surface.normalised(points_mm)
    rho = np.sqrt(np.einsum("ij,ij->i", q, q))
    safe = np.maximum(rho, 1e-9)
    polar = np.arccos(np.clip(q[:, 0] / safe, -1.0, 1.0))
    azimuth = np.arctan2(q[:, 1], q[:, 2])
    rows = polar * (n_polar / math.pi) - 0.5
    cols = (azimuth + math.pi) * (n_azimuth / (2 * math.pi)) - 0.5 + 1.0
    fitted = map_coordinates(table, np.stack([rows, cols]), order=1, mode="nearest")
    offset = points_mm - surface.centre
    dist_mm = np.sqrt(np.einsum("ij,ij->i", offset, offset))
    return np.asarray((rho - fitted) / safe * dist_mm, dtype=np.float64)


MIN_SLICES = 3
MIN_RADIUS_MM = 10.0
DROP_BEYOND_MM = 0.5
ADD_DEPTH_MM = 2.0
BAND_INSIDE_MM = (1.0, 5.0)
BAND_OUTSIDE_MM = (2.0, 8.0)
HALO_MM = 2.0
MAX_CHANGE = 0.25


def refine_by_shape(
    image: F32, mask: Mask, spacing_xyz: tuple[float, float, float], proposed_cut: Mask | None = None
) -> Mask:
    """The mask corrected towards its own smooth radial surface, where the image agrees (see the module's docstring).

    image: the (lightly smoothed) image on the mask's grid (z, y, x); spacing_xyz: the grid's spacing in mm;
    proposed_cut: voxels a per-slice rule took off the mask (the spur cut), not part of `mask`: those within the
    surface fitted to `mask` and of the lesion's density are given back, the others stay off. The input itself is
    returned when it is too small for a shape to mean anything (under MIN_SLICES slices or an equivalent radius
    under MIN_RADIUS_MM), when its centre is not inside it (the radius function would not be defined), when
    nothing changes, or when the correction would change more than MAX_CHANGE of it: the stage corrects a margin,
    it does not re-segment.
    """
    from scipy.ndimage import label, median

    sp = np.asarray((spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]), dtype=np.float64)
    count = int(mask.sum())
    slices = np.flatnonzero(mask.any(axis=(1, 2)))
    if slices.size < MIN_SLICES or (3.0 * count * float(np.prod(sp)) / (4.0 * math.pi)) ** (1 / 3) < MIN_RADIUS_MM:
        return mask
    surface = fit_radial_surface(mask, (sp[0], sp[1], sp[2]))
    centre_idx = np.round(surface.centre / sp).astype(int)
    if not bool(mask[tuple(centre_idx)]):
        return mask
    cut = np.zeros_like(mask) if proposed_cut is None else proposed_cut & ~mask
    # Work in the bounding box of the mask and the proposed cut, grown by the outside band.
    idx = np.argwhere(mask | cut)
    reach = np.ceil(BAND_OUTSIDE_MM[1] / sp).astype(int) + 1
    lo = np.maximum(idx.min(axis=0) - reach, 0)
    hi = np.minimum(idx.max(axis=0) + reach + 1, mask.shape)
    box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    m = mask[box]
    values = image[box]
    c = cut[box]
    grid = np.indices(m.shape, dtype=np.float64).reshape(3, -1).T
    beyond = _beyond(surface, (grid + lo) * sp).reshape(m.shape)

    # Levels: the lesion's bright tissue just inside its surface (the rim, not the necrosis: upper quartile) and
    # the brighter common tissue just outside (muscle rather than fat: upper quartile).
    inner = m & (beyond > -BAND_INSIDE_MM[1]) & (beyond <= -BAND_INSIDE_MM[0])
    outer = ~m & (beyond > BAND_OUTSIDE_MM[0]) & (beyond <= BAND_OUTSIDE_MM[1])
    if not inner.any() or not outer.any():
        return mask
    rim = float(np.percentile(values[inner], 75))
    claim = (rim + float(np.percentile(values[outer], 75))) / 2.0

    # Give back: what the per-slice spur cut took off but lies within the surface fitted without it (to
    # DROP_BEYOND_MM, as for drops below) with the lesion's own density (as for additions below), in parts that
    # touch the mask: a bulge of the tumour that one slice could not tell from a belly stuck on it. A belly lies
    # beyond the surface (the fit never saw it) and stays off, whatever its density.
    low, high = np.percentile(values[m], [1.0, 99.0])
    halo = _within(~m & (values > high), sp, HALO_MM)
    back = _touching(c & (beyond <= DROP_BEYOND_MM) & (values >= low) & (values <= high) & ~halo, m)
    m_back = m | back

    # Drop: each connected part of the mask lying beyond the surface (by more than DROP_BEYOND_MM, the voxel
    # jitter of the outline) whose median density is below half-way between the rim and the tissue outside:
    # the density does not claim it for the rim, and the shape says it is not the tumour's.
    pieces, n = label(m_back & (beyond > DROP_BEYOND_MM))
    drop = np.zeros_like(m)
    if n:
        medians = np.atleast_1d(np.asarray(median(values, pieces, index=np.arange(1, n + 1)), dtype=np.float64))
        drop = np.isin(pieces, np.flatnonzero(medians < claim) + 1)

    # Add: tissue with the lesion's own density (between its 1st and 99th percentile: not fat, not bone, and not
    # within HALO_MM of something brighter, the partial-volume halo of bone) lying more than ADD_DEPTH_MM inside
    # the surface, in parts that touch the mask. The layer within ADD_DEPTH_MM of the surface is within the fit's
    # own uncertainty (its residuals are 1-2 mm): there the density rules' margin stands.
    add = _touching(~m_back & (values >= low) & (values <= high) & ~halo & (beyond <= -ADD_DEPTH_MM), m_back)
    add |= _up_to_bone(values, m_back | add, beyond, float(low), float(high), rim, claim, sp)

    changed = int(back.sum() + drop.sum() + add.sum())
    if changed == 0 or changed > MAX_CHANGE * count:
        return mask
    out = mask.copy()
    out[box] = (m_back & ~drop) | add
    return out


BONE_GAP_MM = 3.0


def _up_to_bone(
    values: F32, mask: Mask, beyond: F64, low: float, high: float, rim: float, claim: float, sp: F64
) -> Mask:
    """Where the lesion lies against bone, the voxels between the mask and the bone that are the lesion's.

    WHY: beside bone cortex the density rules stop short. The rim is grown on the 2 mm smoothed image, which
    spreads the cortex over its neighbours, and is kept out of the partial-volume halo around it; the margin rule
    then moves the margin at most 2 mm. What is left between the mask and the cortex (the voxel that shares the
    cortex's partial volume and the one inside it: BONE_GAP_MM on the ~1.5 mm working grid) is the lesion's when
    it lies within the fitted surface (to DROP_BEYOND_MM) and touches the mask, and when the half-way rule of the
    margin gives it to the lesion on both sides: at least half-way from the tissue outside to the rim (`claim`,
    as for drops: a layer of muscle between tumour and bone is not taken) and less than half-way from the rim to
    the bone (a voxel less than half bone). Bone here is whatever is brighter than the lesion by more than the
    lesion's own range (its 99th minus its 1st percentile) within the outside band's reach of the fitted
    surface; its level is their upper quartile (the cortex itself, not its partial-volume voxels). Without such
    a structure nothing is added.
    """
    bright = values > high + (high - low)
    near = bright & (beyond <= BAND_OUTSIDE_MM[1])
    if not near.any():
        return np.zeros_like(mask)
    half_way = (rim + float(np.percentile(values[near], 75))) / 2.0
    bone = values >= half_way
    gap = ~mask & (values >= claim) & (values < half_way) & (beyond <= DROP_BEYOND_MM)
    return _touching(gap & _within(bone, sp, BONE_GAP_MM), mask)


def _touching(candidates: Mask, mask: Mask) -> Mask:
    """The connected parts of candidates that touch the mask (face neighbours)."""
    from scipy.ndimage import binary_dilation, label

    parts, n = label(candidates)
    if not n:
        return np.zeros_like(candidates)
    touching = np.unique(parts[binary_dilation(mask) & (parts > 0)])
    return np.isin(parts, touching[touching > 0])


def _within(mask: Mask, sp: F64, mm: float) -> Mask:
    """Voxels whose centre lies within mm of a voxel of the mask (exact Euclidean distance, anisotropic grid)."""
    from scipy.ndimage import distance_transform_edt

    if not mask.any():
        return mask.copy()
    return np.asarray(distance_transform_edt(~mask, sampling=sp) <= mm + 1e-6, dtype=bool)
