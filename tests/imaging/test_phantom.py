"""The phantom's truth against independent computations: analytic ellipsoids, brute-force diameters, noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.mask_metrics import centroid_lps, longest_axial_diameters, slice_diameters
from sfrt_reader.imaging.phantom import (
    CT_VALUES,
    Grid,
    PhantomSpec,
    Pose,
    TumourSpec,
    ellipsoid_spec,
    lattice_vertices,
    make_phantom,
    make_phantom_volume,
)
from sfrt_reader.imaging.volume import Volume

SMALL = Grid(size=(128, 128, 40), pixel_spacing=(3.0, 3.0), slice_spacing=5.0, centre_xy=(0.0, 6.0), first_z=-97.5)


def _voxel_centres(volume: Volume) -> np.ndarray:
    nz, ny, nx = volume.shape
    kk, jj, ii = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    return volume.index_to_lps(np.stack([ii, jj, kk], axis=-1).astype(np.float64))


def test_pure_ellipsoid_mask_is_exactly_the_voxel_centres_inside_it() -> None:
    a, b, c = 30.0, 20.0, 40.0
    result = make_phantom_volume(ellipsoid_spec((a, b, c)), seed=0)
    lps = _voxel_centres(result.volume)
    inside = (lps[..., 0] / a) ** 2 + (lps[..., 1] / b) ** 2 + (lps[..., 2] / c) ** 2 <= 1.0
    mask = result.lesion_mask == 1
    # Voxels exactly on the margin may fall either way in float32: allow only those.
    differ = mask != inside
    on_margin = np.abs((lps[..., 0] / a) ** 2 + (lps[..., 1] / b) ** 2 + (lps[..., 2] / c) ** 2 - 1.0) < 1e-4
    assert not np.any(differ & ~on_margin)
    truth = result.truth["T1"]
    analytic_ml = 4.0 / 3.0 * math.pi * a * b * c / 1000.0
    assert truth.volume_ml == pytest.approx(analytic_ml, rel=0.02)
    assert truth.mean == CT_VALUES["rim"]
    assert truth.mean_noise_free == pytest.approx(CT_VALUES["rim"])
    # Feret between pixel centres of a 1 mm grid: at most the true 60 mm, at least one pixel less.
    assert 2 * a - 1.0 <= truth.longest_axial_diameter_mm <= 2 * a + 1e-9
    assert 2 * b - 1.0 <= truth.short_axis_mm <= 2 * b + 1e-9
    assert truth.centroid_lps == pytest.approx((0.0, 0.0, 0.0), abs=1e-6)


@settings(max_examples=15, deadline=None)
@given(
    a=st.floats(12.0, 45.0),
    ratio=st.floats(0.4, 1.0),
    px=st.sampled_from([0.7, 0.9765625, 1.25]),
    py=st.sampled_from([0.7, 0.9765625, 1.25]),
)
def test_ellipsoid_diameters_within_one_pixel_of_analytic(a: float, ratio: float, px: float, py: float) -> None:
    b = a * ratio
    grid = Grid(size=(128, 128, 3), pixel_spacing=(px, py), slice_spacing=5.0, centre_xy=(0.3, -0.2), first_z=-5.0)
    result = make_phantom_volume(ellipsoid_spec((a, b, 20.0), grid=grid), seed=0)
    truth = result.truth["T1"]
    pixel = max(px, py)
    assert truth.axial_slice_index == 1  # the slice through the centre (z = 0) is the widest
    # Between pixel centres: each end lies within one pixel inside the true margin, never outside it.
    assert 2 * a - 2 * pixel <= truth.longest_axial_diameter_mm <= 2 * a + 1e-9
    # The short axis is perpendicular to the measured long axis, which pixel rounding may tilt off the x axis by
    # a fraction of a degree; its ends are inside the ellipse, so it is at most the ellipse's diameter along its
    # own direction u: 2 / sqrt(ux^2 / a^2 + uy^2 / b^2), which is 2b only when u is exactly the y axis.
    (x0, y0, _), (x1, y1, _) = truth.short_axis_line_lps
    ux, uy = (x1 - x0), (y1 - y0)
    norm = (ux * ux + uy * uy) ** 0.5
    ux, uy = ux / norm, uy / norm
    diameter_along_u = 2.0 / ((ux / a) ** 2 + (uy / b) ** 2) ** 0.5
    assert 2 * b - 2 * pixel <= truth.short_axis_mm <= diameter_along_u + 1e-9


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), min_size=1, max_size=60, unique=True))
def test_feret_equals_brute_force_pairwise_maximum(pixels: list[tuple[int, int]]) -> None:
    mask = np.zeros((1, 20, 20), dtype=bool)
    for j, i in pixels:
        mask[0, j, i] = True
    volume = Volume(
        array=np.zeros((1, 20, 20), dtype=np.int16),
        pixel_spacing=(0.8, 1.3),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        positions=np.array([[10.0, -5.0, 3.0]]),
    )
    pts = np.array([[i * 0.8, j * 1.3] for j, i in pixels])
    brute = max(math.dist(p, q) for p in pts for q in pts)
    d = slice_diameters(mask[0], 0, volume)
    assert d.longest_mm == pytest.approx(brute, abs=1e-9)
    assert math.dist(d.longest_line[0], d.longest_line[1]) == pytest.approx(brute, abs=1e-9)
    # The short axis never exceeds the longest diameter and is perpendicular to it.
    assert d.short_mm <= d.longest_mm + 1e-9
    if d.longest_mm > 0 and d.short_mm > 0:
        u = np.subtract(d.longest_line[1], d.longest_line[0])
        v = np.subtract(d.short_line[1], d.short_line[0])
        assert abs(float(u @ v)) < 1e-6 * np.linalg.norm(u) * np.linalg.norm(v) + 1e-9


def test_rectangle_diameters() -> None:
    mask = np.zeros((1, 30, 30), dtype=bool)
    mask[0, 5:15, 2:26] = True  # 24 columns x 10 rows of 1 mm pixels
    volume = Volume(
        array=np.zeros((1, 30, 30), dtype=np.int16),
        pixel_spacing=(1.0, 1.0),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        positions=np.array([[0.0, 0.0, 0.0]]),
    )
    d = longest_axial_diameters(mask, volume)
    assert d.longest_mm == pytest.approx(math.hypot(23.0, 9.0))
    # Perpendicular to the diagonal, the longest chord inside the rectangle.
    assert 0 < d.short_mm < d.longest_mm
    assert centroid_lps(mask, volume) == pytest.approx((13.5, 9.5, 0.0))


def test_ct_noise_has_the_requested_sd_and_is_slightly_correlated() -> None:
    spec = PhantomSpec(grid=SMALL, noise_sd=12.0, blur=False)
    image, _, volume = make_phantom(spec, seed=3)
    clean = volume.metadata["noise_free"]
    noise = image.astype(np.float64) - np.rint(clean)
    inside_air = clean > -2000  # everywhere (clipping only at -1024 in air)
    body = (clean > -200) & (clean < 200) & inside_air
    sd = float(noise[body].std())
    assert 11.0 < sd < 13.0
    # Neighbouring pixels share part of their noise (CT noise is not white).
    corr = float(np.corrcoef(noise[:, :, :-1][body[:, :, :-1]], noise[:, :, 1:][body[:, :, :-1]])[0, 1])
    assert 0.2 < corr < 0.9


def test_tumour_mean_hu_agrees_with_tissue_values() -> None:
    """A tumour without necrosis or texture: its mean over the mask is the rim value, up to the noise's error."""
    tumour = TumourSpec(necrosis_fraction=0.0, rim_texture=0.0)
    result = make_phantom_volume(PhantomSpec(grid=SMALL, tumour=tumour, blur=False, noise_sd=12.0), seed=1)
    truth = result.truth["T1"]
    se = 12.0 / math.sqrt(truth.voxels) * 3  # correlated noise: allow three times the white-noise error
    assert abs(truth.mean - CT_VALUES["rim"]) < 4 * se + 0.5
    assert truth.mean_noise_free == pytest.approx(CT_VALUES["rim"], abs=1e-3)


def test_necrosis_and_lattice_lower_the_density() -> None:
    base = make_phantom_volume(PhantomSpec(grid=SMALL, tumour=TumourSpec(necrosis_fraction=0.1)), seed=2)
    lattice = TumourSpec(necrosis_fraction=0.1, lattice_radius_mm=10.0)
    treated = make_phantom_volume(PhantomSpec(grid=SMALL, tumour=lattice), seed=2)
    vertices = lattice_vertices(lattice)
    assert len(vertices) >= 4
    assert treated.truth["T1"].mean_noise_free < base.truth["T1"].mean_noise_free - 5.0
    # At every vertex the noise-free image is necrotic.
    _, _, volume = make_phantom(PhantomSpec(grid=SMALL, tumour=lattice, blur=False, noise_sd=0.0), seed=2)
    clean = volume.metadata["noise_free"]
    for v in vertices:
        i, j, k = np.rint(volume.lps_to_index(np.array(v))).astype(int)
        assert clean[k, j, i] < CT_VALUES["necrosis"] + 10.0


def test_same_seed_same_image_other_seed_other_texture() -> None:
    spec = PhantomSpec(grid=SMALL, lymph_node=True)
    a1, m1, _ = make_phantom(spec, seed=5)
    a2, m2, _ = make_phantom(spec, seed=5)
    a3, _, _ = make_phantom(spec, seed=6)
    assert a1.dtype == np.int16
    assert np.array_equal(a1, a2) and np.array_equal(m1, m2)
    assert not np.array_equal(a1, a3)


def test_mr_variant_is_unsigned_signal() -> None:
    result = make_phantom_volume(PhantomSpec(modality="MR", grid=SMALL), seed=0)
    assert result.volume.array.dtype == np.uint16
    assert result.volume.unit == "signal" and result.volume.modality == "MR"
    # T1 fat-saturated post-contrast: enhancing rim brighter than muscle, muscle brighter than suppressed fat.
    assert result.truth["T1"].mean > 1.3 * 360.0


def test_pose_moves_the_anatomy_by_the_recorded_transform() -> None:
    """The same tumour in two placements: its mask centroid moves exactly as the recorded transforms say."""
    tumour = TumourSpec(necrosis_fraction=0.0)
    p1 = Pose((0.4, -0.3, 1.0), (2.0, -1.0, 0.0), (0.0, 5.0, 0.0))
    p2 = Pose((-1.5, 1.2, -3.5), (8.0, 2.5, -9.0), (0.0, 5.0, 0.0))
    # A field on the right thigh only: quick, and the tumour is wholly inside it.
    grid = Grid(
        size=(128, 128, 30), pixel_spacing=(1.5, 1.5), slice_spacing=5.0, centre_xy=(-100.0, 0.0), first_z=-72.5
    )
    r1 = make_phantom_volume(PhantomSpec(grid=grid, pose=p1, tumour=tumour, noise_sd=0.0), seed=4)
    r2 = make_phantom_volume(PhantomSpec(grid=grid, pose=p2, tumour=tumour, noise_sd=0.0), seed=4)
    baseline_to_2 = p2.matrix @ np.linalg.inv(p1.matrix)
    mapped = (baseline_to_2 @ np.array([*r1.truth["T1"].centroid_lps, 1.0]))[:3]
    # The centroid of a sampled shape moves with the shape up to the sampling error (a fraction of a voxel).
    assert np.linalg.norm(mapped - np.array(r2.truth["T1"].centroid_lps)) < 1.0
    assert r2.truth["T1"].centre_lps == pytest.approx(p2.to_lps(tumour.centre_mm))
    # And the tumour's true centre maps the same way.
    mapped_centre = (baseline_to_2 @ np.array([*r1.truth["T1"].centre_lps, 1.0]))[:3]
    assert mapped_centre == pytest.approx(r2.truth["T1"].centre_lps, abs=1e-9)


def test_optional_lesions_are_labelled() -> None:
    result = make_phantom_volume(PhantomSpec(grid=SMALL, lymph_node=True, new_lesion=True), seed=0)
    assert set(np.unique(result.lesion_mask)) == {0, 1, 2, 3}
    node = result.truth["NT1"]
    assert 13.0 - 2 * 3.0 <= node.short_axis_mm <= 13.0  # a 13 mm short-axis node, between 3 mm pixel centres
    assert result.truth["N1"].longest_axial_diameter_mm > 10.0
    with pytest.raises(ValueError, match="modality"):
        make_phantom(PhantomSpec(modality="US", grid=SMALL), seed=0)
