"""The 3-D shape stage of the one-click segmentation (segmentation_shape): robust radial fit, then drop and add.

Lesions are drawn here from their own formulas: an ellipsoid with an enhancing rim (90) around a necrotic core
(30) in muscle (50), on a 1.5 mm grid with thick slices. The expected results come from those formulas, not from
the code under test: the fitted surface must lie on the true ellipsoid, a muscle belly stuck on the mask must go
when its density is below half-way between rim and muscle and stay when it is as bright as the rim, a cap of
necrosis cut off the mask must come back when the image shows necrosis there and not when it shows fat.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.segmentation_shape import (
    MIN_RADIUS_MM,
    fibonacci_directions,
    fit_radial_surface,
    refine_by_shape,
)

RIM, CORE, MUSCLE, FAT = 90.0, 30.0, 50.0, -100.0
RIM_MM = 4.0


def _rotation(angle_deg: float) -> np.ndarray:
    """Rotation about the slice normal (z) then a tilt of a quarter of the angle about x: an oblique lesion."""
    a, b = math.radians(angle_deg), math.radians(angle_deg / 4)
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    return rz @ rx


class Phantom:
    """An ellipsoidal lesion (semi-axes in mm, rotated) on a grid of spacing (x, y, z) mm, centred in it."""

    def __init__(self, axes: tuple[float, float, float], angle: float, spacing: tuple[float, float, float]) -> None:
        self.spacing = spacing
        self.axes = np.asarray(axes, dtype=float)
        self.rot = _rotation(angle)
        extent = 2 * max(axes) + 40.0
        self.shape = tuple(math.ceil(extent / s) for s in (spacing[2], spacing[1], spacing[0]))
        kk, jj, ii = np.indices(self.shape, dtype=float)
        self.centre = np.array([(n - 1) / 2 for n in self.shape[::-1]]) * np.asarray(spacing)  # x, y, z mm
        self.xyz = np.stack([ii * spacing[0], jj * spacing[1], kk * spacing[2]], axis=-1) - self.centre
        local = self.xyz @ self.rot  # coordinates along the ellipsoid's own axes
        self.level = np.sqrt(((local / self.axes) ** 2).sum(axis=-1))  # 1 on the surface
        self.lesion = self.level <= 1.0
        self.local = local
        self.image = np.full(self.shape, MUSCLE, dtype=np.float32)
        self.image[self.lesion] = RIM
        self.image[self.inside(RIM_MM)] = CORE
        self.noise = np.random.default_rng(1).normal(0.0, 3.0, size=self.shape).astype(np.float32)
        self.image += self.noise

    def inside(self, depth_mm: float) -> np.ndarray:
        """The ellipsoid shrunk by depth_mm on every semi-axis."""
        return np.asarray(np.sqrt(((self.local / (self.axes - depth_mm)) ** 2).sum(axis=-1)) <= 1.0)

    def true_radius(self, world_dir: np.ndarray) -> np.ndarray:
        """Distance (mm) from the centre to the ellipsoid along unit directions (x, y, z), from its formula."""
        local = world_dir @ self.rot
        return np.asarray(1.0 / np.sqrt(((local / self.axes) ** 2).sum(axis=1)))

    def ball(self, centre_xyz: np.ndarray, radius: float) -> np.ndarray:
        return np.asarray(np.linalg.norm(self.xyz - centre_xyz, axis=-1) <= radius)

    def surface_point(self, local_dir: tuple[float, float, float]) -> np.ndarray:
        """The point of the surface along a direction given in the ellipsoid's own axes (x, y, z mm from centre)."""
        d = np.asarray(local_dir, dtype=float)
        d /= np.linalg.norm(d)
        t = 1.0 / math.sqrt(float(((d / self.axes) ** 2).sum()))
        return np.asarray(self.rot @ (t * d))


@settings(max_examples=10, deadline=None)
@given(
    a=st.floats(min_value=25.0, max_value=45.0),
    b_ratio=st.floats(min_value=0.5, max_value=1.0),
    c_ratio=st.floats(min_value=0.5, max_value=1.0),
    angle=st.floats(min_value=0.0, max_value=180.0),
    slice_mm=st.sampled_from([2.5, 5.0]),
)
def test_the_fitted_surface_lies_on_the_ellipsoid(
    a: float, b_ratio: float, c_ratio: float, angle: float, slice_mm: float
) -> None:
    """Along every direction the fitted radius is the ellipsoid's own within one voxel measured along the ray
    (the mask is the ellipsoid voxelised, so that is what it can know)."""
    spacing = (1.5, 1.5, slice_mm)
    ph = Phantom((a, a * b_ratio, max(a * c_ratio, 2 * slice_mm + 6)), angle, spacing)
    surface = fit_radial_surface(ph.lesion, (spacing[2], spacing[1], spacing[0]))
    world = fibonacci_directions(300)[:, ::-1].copy()  # any spread of unit vectors, here as x, y, z
    zyx = world[:, ::-1]
    q = (zyx @ surface.axes) / surface.semi  # the direction in the fit's normalised frame, per mm along the ray
    fitted_mm = surface.radius(q) / np.linalg.norm(q, axis=1)
    centre_zyx = ph.centre[::-1]
    shift = np.linalg.norm(surface.centre - centre_zyx)
    voxel_along_ray = np.linalg.norm(world * np.asarray(spacing), axis=1)
    assert shift < 0.5
    assert np.all(np.abs(fitted_mm - ph.true_radius(world)) <= voxel_along_ray + shift)
    assert surface.scale < 0.05  # residuals: the voxel jitter of the outline, a few % of the radius


@settings(max_examples=8, deadline=None)
@given(
    a=st.floats(min_value=25.0, max_value=45.0),
    b_ratio=st.floats(min_value=0.5, max_value=1.0),
    angle=st.floats(min_value=0.0, max_value=180.0),
    slice_mm=st.sampled_from([2.5, 5.0]),
)
def test_a_clean_lesion_comes_back_nearly_unchanged(a: float, b_ratio: float, angle: float, slice_mm: float) -> None:
    """Mask and image agree (the rim and core of an ellipsoid in muscle): at most 1 % of the voxels change."""
    ph = Phantom((a, a * b_ratio, max(0.6 * a, 2 * slice_mm + 6)), angle, (1.5, 1.5, slice_mm))
    out = refine_by_shape(ph.image, ph.lesion, ph.spacing)
    assert (out != ph.lesion).sum() <= 0.01 * ph.lesion.sum()


def _belly(ph: Phantom, radius: float) -> np.ndarray:
    """A ball centred on the lesion's surface, off its axes (a muscle belly lying against it), outside the lesion."""
    return ph.ball(ph.surface_point((0.6, 0.7, 0.4)), radius) & ~ph.lesion


def test_a_muscle_belly_darker_than_half_way_is_dropped() -> None:
    """Belly at 63 (muscle 50, rim 90: half-way is 70), stuck on the mask: what lies beyond the ellipsoid by more
    than a voxel goes, the lesion stays."""
    ph = Phantom((40.0, 25.0, 22.0), 20.0, (1.5, 1.5, 2.5))
    belly = _belly(ph, 11.0)
    image = ph.image.copy()
    image[belly] += 63.0 - MUSCLE
    out = refine_by_shape(image, ph.lesion | belly, ph.spacing)
    clearly_out = belly & (ph.level > 1.0 + 1.5 / 22.0)
    assert (out & clearly_out).sum() <= 0.1 * clearly_out.sum()
    assert (out & ph.lesion).sum() >= 0.99 * ph.lesion.sum()


def test_a_lobe_as_bright_as_the_rim_is_kept() -> None:
    """The same lobe with the rim's density is the tumour's own: the density claims it, nothing is dropped."""
    ph = Phantom((40.0, 25.0, 22.0), 20.0, (1.5, 1.5, 2.5))
    lobe = _belly(ph, 11.0)
    image = ph.image.copy()
    image[lobe] = RIM + (image[lobe] - MUSCLE)
    out = refine_by_shape(image, ph.lesion | lobe, ph.spacing)
    assert (out & lobe).sum() >= 0.95 * lobe.sum()
    assert (out & ph.lesion).sum() >= 0.99 * ph.lesion.sum()


def _dent(ph: Phantom) -> np.ndarray:
    """A ball of necrosis at the lesion's end, centred on its surface: the part of the lesion the density rules
    leave out when necrosis reaches the margin and the rim beyond it is broken."""
    return np.asarray(ph.lesion & ph.ball(ph.surface_point((1.0, 0.35, 0.2)), 11.0))


def test_necrosis_at_an_end_left_out_is_added_back() -> None:
    ph = Phantom((40.0, 25.0, 22.0), 60.0, (1.5, 1.5, 2.5))
    dent = _dent(ph)
    image = ph.image.copy()
    necrosis = dent & ph.inside(1.5)  # the necrosis replaces the rim but for its outer 1.5 mm
    image[necrosis] = CORE + ph.noise[necrosis]
    out = refine_by_shape(image, ph.lesion & ~dent, ph.spacing)
    deep = dent & (ph.level < 1.0 - 2.0 / 22.0)  # more than a voxel inside the true surface
    assert (out & deep).sum() >= 0.9 * deep.sum()
    assert (out & ~ph.lesion).sum() <= 0.01 * ph.lesion.sum()


def test_fat_inside_the_fitted_surface_is_not_added() -> None:
    """The same dent, but the image shows fat there (below every density of the lesion): nothing is added."""
    ph = Phantom((40.0, 25.0, 22.0), 60.0, (1.5, 1.5, 2.5))
    dent = _dent(ph)
    image = ph.image.copy()
    image[dent] = FAT
    out = refine_by_shape(image, ph.lesion & ~dent, ph.spacing)
    assert not (out & dent).any()


def test_a_small_lesion_is_left_to_the_density_rules() -> None:
    """Below MIN_RADIUS_MM a few voxels are the whole outline: there is no shape to fit, the mask is returned."""
    r = MIN_RADIUS_MM * 0.8
    ph = Phantom((r, r, r), 0.0, (1.5, 1.5, 2.5))
    assert refine_by_shape(ph.image, ph.lesion, ph.spacing) is ph.lesion


def test_one_click_leaves_out_a_muscle_belly_against_the_tumours_tip() -> None:
    """End to end on the thigh phantom: a muscle belly (12 mm ball, 45 % of the way from muscle to rim, below
    half-way) lies against the tip of the tumour's long axis, where the density rules take part of it in and the
    longest diameter grows. With the shape stage the diameter stays within the issue's 2 mm of the true shape's."""
    import dataclasses

    from sfrt_reader.measurement.lesion_mask import LesionSegmentation
    from sfrt_reader.measurement.lesion_metrics import measure_segmentation
    from sfrt_reader.measurement.segmentation import segment_lesion
    from tests.measurement.phantoms import TISSUE, sarcoma_phantom

    vol, truth, centre = sarcoma_phantom("CT", (38.0, 26.0, 45.0), 0.55)
    # The phantom's own layout (tests/measurement/phantoms.py): 0.9 mm pixels centred on column 110 / row 100,
    # 5 mm slices centred on 15.3; the tumour centred at (-22, -22) with its long in-plane axis at 20 degrees.
    kk, jj, ii = np.indices(vol.array.shape, dtype=float)
    x, y, z = (ii - 110) * 0.9, (jj - 100) * 0.9, (kk - 15.3) * 5.0
    tip = np.array([-22.0, -22.0]) + 38.0 * np.array([math.cos(math.radians(20)), math.sin(math.radians(20))])
    belly = (np.sqrt((x - tip[0]) ** 2 + (y - tip[1]) ** 2 + z**2) <= 12.0) & ~truth
    ct = TISSUE["CT"]
    array = vol.array.astype(np.float64)
    array[belly] += 0.45 * (ct["rim"] - ct["muscle"])
    vol = dataclasses.replace(vol, array=np.rint(array).astype(np.int16))

    got = measure_segmentation(vol, segment_lesion(vol, centre))
    true = measure_segmentation(vol, LesionSegmentation.from_full_mask(vol, truth))
    mask = got.segmentation.full_mask()
    assert abs(got.longest_axial_diameter_mm - true.longest_axial_diameter_mm) <= 2.0
    assert 2 * (mask & truth).sum() / (mask.sum() + truth.sum()) >= 0.95
    assert abs(got.volume_ml - true.volume_ml) <= 0.05 * true.volume_ml


def _elliptic_angle(ph: Phantom) -> np.ndarray:
    """The angle (degrees) of each voxel about the lesion's long axis in its own section plane, in the frame
    where the section is a circle: a patch of the outline between two such angles is a fixed share of it."""
    return np.asarray(np.degrees(np.arctan2(ph.local[..., 1] / ph.axes[1], ph.local[..., 0] / ph.axes[0])))


def _rim_belly(ph: Phantom, image: np.ndarray) -> np.ndarray:
    """An 8 mm ball as bright as the rim, centred 10 mm out from the lesion's side (a bright muscle belly stuck on
    it by a neck): its density claims it for the lesion, only the shape can leave it out. Painted into image."""
    belly = ph.ball(ph.surface_point((0.0, 1.0, 0.0)) + ph.rot @ np.array([0.0, 10.0, 0.0]), 8.0) & ~ph.lesion
    image[belly] = RIM + ph.noise[belly]
    return np.asarray(belly)


def test_what_the_spur_cut_took_within_the_surface_comes_back_and_a_belly_beyond_it_stays_out() -> None:
    """The per-slice spur cut proposes, the 3-D shape disposes: a patch of the lesion's outer 5 mm on its middle
    slices (a real bulge one slice cannot tell from a belly) and a belly as bright as the rim are both proposed
    as cut. The surface is fitted without them: the patch lies within it and comes back, the belly lies beyond
    it and stays out, bright as it is. Without the proposal, the patch's outer 2 mm (the layer the additions
    leave to the density rules) would stay out."""
    ph = Phantom((40.0, 25.0, 22.0), 20.0, (1.5, 1.5, 2.5))
    image = ph.image.copy()
    belly = _rim_belly(ph, image)
    middle = np.abs(ph.xyz[..., 2]) <= 5.0
    angle = _elliptic_angle(ph)
    bulge = middle & ph.lesion & ~ph.inside(5.0) & (angle > -80.0) & (angle < -40.0)
    outer = bulge & ~ph.inside(2.0)
    assert outer.sum() > 50 and belly.sum() > 300

    out = refine_by_shape(image, ph.lesion & ~bulge, ph.spacing, proposed_cut=bulge | belly)
    assert (out & bulge).sum() >= 0.85 * bulge.sum()
    assert (out & outer).sum() >= 0.75 * outer.sum()
    assert not (out & belly).any()
    assert not (out & ~ph.lesion).any()

    without = refine_by_shape(image, ph.lesion & ~bulge, ph.spacing)
    assert not (without & outer).any()


def test_one_slices_flap_of_tumour_survives_the_spur_cut_and_a_belly_does_not() -> None:
    """Through the clean-up and the shape stage as the segmentation runs them. On the lesion's middle slices the
    density rules lost a band of margin under the tumour's outer 6 mm (as beside bone, where the rim is cut
    away from the cortex's partial-volume halo), so the outer layer at the end of the loss stands out of the
    section as a flap: the spur cut takes it. In 3-D the flap lies on the tumour's smooth surface and comes
    back; the bright belly stuck on the other side, also taken by the spur cut, lies beyond it and stays out."""
    from sfrt_reader.measurement.segmentation import _clean, _shaped

    ph = Phantom((40.0, 25.0, 22.0), 20.0, (1.5, 1.5, 2.5))
    image = ph.image.copy()
    belly = _rim_belly(ph, image)
    middle = np.abs(ph.xyz[..., 2]) <= 5.0
    angle = _elliptic_angle(ph)
    shell = ph.lesion & ~ph.inside(6.0)
    under = ph.inside(6.0) & ~ph.inside(11.0)
    arc = middle & (angle > -120.0) & (angle < -40.0)
    flap = arc & shell & (angle >= -70.0)
    lost = arc & (under | (shell & ~flap))
    grown = (ph.lesion & ~lost) | belly
    seed = tuple(n // 2 for n in ph.shape[::-1])

    cleaned, cut = _clean(grown, seed, ph.spacing)
    assert (cut & flap).sum() >= 0.8 * flap.sum()  # the spur cut did take the flap
    assert (cut & belly).sum() >= 0.3 * belly.sum() and not (cleaned & belly).any()  # the rest: the opening's

    out = _shaped(image, cleaned, ph.spacing, seed, cut)
    assert (out & flap).sum() >= 0.8 * flap.sum()
    assert not (out & belly).any()
    assert not (out & ~ph.lesion).any()
    without = _shaped(image, cleaned, ph.spacing, seed, np.zeros_like(cut))
    assert (without & flap).sum() <= 0.6 * flap.sum()  # the additions alone leave most of it out


BONE = 1300.0


def _against_bone(ph: Phantom, muscle_mm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lesion beside an 8 mm plate of cortex along the slices' x axis: flattened against it (its lowest 4 mm
    in y are bone) when muscle_mm is 0, else with muscle_mm of muscle between them. The rim is the lesion's
    outer 4 mm, along the bone too; the image is blurred by 0.75 mm (partial volume at every edge) before the
    noise. Returns the true lesion, the bone and the image."""
    from scipy.ndimage import distance_transform_edt, gaussian_filter

    y = ph.xyz[..., 1]
    y_low = float(y[ph.lesion].min())
    plane = y_low + 4.0 if muscle_mm == 0 else y_low - muscle_mm
    bone = (y < plane) & (y > plane - 8.0)
    lesion = ph.lesion & ~bone
    sp_zyx = (ph.spacing[2], ph.spacing[1], ph.spacing[0])
    clean = np.full(ph.shape, MUSCLE, dtype=np.float32)
    clean[lesion] = RIM
    clean[distance_transform_edt(lesion, sampling=sp_zyx) > RIM_MM] = CORE
    clean[bone] = BONE
    image = gaussian_filter(clean, [0.75 / s for s in sp_zyx]) + ph.noise
    return lesion, bone, np.asarray(image, dtype=np.float32)


def test_a_lesion_against_bone_is_taken_up_to_the_cortex() -> None:
    """The density rules stop 3 mm short of the cortex (its partial volume, spread by their smoothing, keeps the
    rim's growth away): the stage takes the lesion up to the bone, the partial-volume voxels less than half bone
    included, and nothing of the bone."""
    from scipy.ndimage import distance_transform_edt

    ph = Phantom((40.0, 25.0, 22.0), 20.0, (1.5, 1.5, 2.5))
    lesion, bone, image = _against_bone(ph, 0.0)
    sp_zyx = np.asarray((ph.spacing[2], ph.spacing[1], ph.spacing[0]))
    gap = lesion & (distance_transform_edt(~bone, sampling=sp_zyx) <= 3.0 + 1e-6)
    assert gap.sum() > 300
    out = refine_by_shape(image, lesion & ~gap, ph.spacing)
    assert (out & gap).sum() >= 0.8 * gap.sum()
    assert not (out & ~lesion).any()


@pytest.mark.parametrize("muscle_mm", [1.5, 2.0, 4.0])
def test_muscle_between_lesion_and_bone_is_not_taken(muscle_mm: float) -> None:
    """A layer of muscle between lesion and cortex is darker than half-way between muscle and rim: the lesion's
    mask stays as it is."""
    ph = Phantom((40.0, 25.0, 22.0), 20.0, (1.5, 1.5, 2.5))
    lesion, _, image = _against_bone(ph, muscle_mm)
    out = refine_by_shape(image, lesion, ph.spacing)
    assert not (out & ~lesion).any()
