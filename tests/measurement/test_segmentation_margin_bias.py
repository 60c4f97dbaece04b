"""Is the one-click segmentation's margin ON the lesion's edge, on average? (issue "Measurement core", accuracy)

A systematic offset of the margin by a fraction of a voxel is a few per cent of a sarcoma's volume, which is what
the demo trial's volume limit (5 %) is made of. The phantom is an ellipsoid of known density in muscle, imaged as
a blurred step with partial volume and CT-like noise (tests/measurement/phantoms.py); on such an image the
half-way level between lesion and muscle lies on the true surface, so a correct margin rule has a mean signed
distance of zero to it. The measure is checked first (the true mask and a noise-free half-way threshold sit on the
surface), then the segmentation against it, averaged over three noise draws.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sfrt_reader.measurement.segmentation import segment_lesion
from tests.measurement.phantoms import EllipsoidPhantom

MARGIN_TOLERANCE_MM = 0.2  # an eighth of the 1.5 mm pixel; 0.2 mm is about 2 % of this ellipsoid's volume
NOISE_SEEDS = (0, 1, 2)


def _brute_force_distance(phantom: EllipsoidPhantom, points_mm: np.ndarray) -> np.ndarray:
    """Unsigned distance (mm) from points (x, y, z mm about the centre, in the ellipsoid's own axes) to a dense
    sampling of its surface: independent of the phantom's first-order formula."""
    a, b, c = phantom.semi_axes_mm
    polar, azimuth = np.meshgrid(np.linspace(0, math.pi, 721), np.linspace(-math.pi, math.pi, 1441), indexing="ij")
    surface = np.stack(
        [a * np.sin(polar) * np.cos(azimuth), b * np.sin(polar) * np.sin(azimuth), c * np.cos(polar)], axis=-1
    ).reshape(-1, 3)
    return np.array([float(np.sqrt(((surface - p) ** 2).sum(axis=1)).min()) for p in points_mm])


def test_the_first_order_signed_distance_matches_a_brute_force_one_near_the_surface() -> None:
    phantom = EllipsoidPhantom(noise=1.0)
    rng = np.random.default_rng(7)
    a, b, c = phantom.semi_axes_mm
    # Points on the surface, then moved along its true normal (x, y, z in the
    # ellipsoid's own axes, mm about its centre).
    polar = rng.uniform(0.2, math.pi - 0.2, 40)
    azimuth = rng.uniform(-math.pi, math.pi, 40)
    on = np.stack([a * np.sin(polar) * np.cos(azimuth), b * np.sin(polar) * np.sin(azimuth), c * np.cos(polar)], 1)
    normal = on / np.array([a * a, b * b, c * c])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    # 0.3-1.5 mm either way: nearer than 0.3 mm the surface sampling's own error (~h^2 / 8d) would dominate.
    shift = rng.uniform(0.3, 1.5, 40) * rng.choice([-1.0, 1.0], 40)
    points = on + shift[:, None] * normal
    brute = _brute_force_distance(phantom, points)
    assert np.allclose(brute, np.abs(shift), atol=0.02)  # the brute force itself (surface sampled every ~0.15 mm)
    # The same points as voxel indices of the phantom (undo the in-plane tilt, then the spacing).
    t = phantom.tilt
    cz, cy, cx = phantom.centre_index
    x = points[:, 0] * math.cos(t) - points[:, 1] * math.sin(t)
    y = points[:, 0] * math.sin(t) + points[:, 1] * math.cos(t)
    first_order = phantom.signed_distance_mm(cz + points[:, 2] / 5.0, cy + y / 1.5, cx + x / 1.5)
    assert np.allclose(np.abs(first_order), brute, atol=0.05)
    assert np.all(np.sign(first_order) == np.sign(shift))


@pytest.mark.parametrize(
    ("pixel_mm", "slice_mm"),
    [pytest.param(1.5, 5.0, id="1.5mm"), pytest.param(0.75, 2.5, id="0.75mm", marks=pytest.mark.slow)],
)
def test_the_true_mask_and_a_noise_free_half_way_threshold_lie_on_the_surface(pixel_mm: float, slice_mm: float) -> None:
    phantom = EllipsoidPhantom(pixel_mm=pixel_mm, slice_mm=slice_mm, noise=1e-6)
    assert abs(phantom.margin_offset_mm(phantom.truth)) < 0.05
    half_way = np.asarray(phantom.volume.array) > (80.0 + 50.0) / 2.0
    assert abs(phantom.margin_offset_mm(half_way)) < 0.1


KNOWN_BIAS = (
    "the margin lies inside the true edge on average (measured: 1.5 mm pixels -0.68 mm homogeneous, -0.74 mm "
    "rim + core; 0.75 mm pixels -1.38 / -0.74 mm): the rim level is the brightest voxel within 4 mm, which noise "
    "lifts, and on some noise draws the seed's growing ends up to 3 mm inside, beyond the one-voxel settling"
)


@pytest.mark.xfail(strict=True, reason=KNOWN_BIAS)
@pytest.mark.parametrize(
    ("pixel_mm", "slice_mm"),
    [pytest.param(1.5, 5.0, id="1.5mm"), pytest.param(0.75, 2.5, id="0.75mm", marks=pytest.mark.slow)],
)
@pytest.mark.parametrize("core_hu", [None, 20.0], ids=["homogeneous", "rim-and-core"])
def test_the_margin_is_unbiased_on_a_blurred_noisy_step(
    pixel_mm: float, slice_mm: float, core_hu: float | None
) -> None:
    offsets = []
    for seed in NOISE_SEEDS:
        phantom = EllipsoidPhantom(pixel_mm=pixel_mm, slice_mm=slice_mm, core_hu=core_hu, seed=seed)
        mask = segment_lesion(phantom.volume, phantom.centre_lps).full_mask()
        offsets.append(phantom.margin_offset_mm(mask))
    assert abs(float(np.mean(offsets))) <= MARGIN_TOLERANCE_MM, f"margin offsets {offsets} mm"
