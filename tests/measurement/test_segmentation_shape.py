"""The shape steps of the one-click segmentation: spurs cut off a section, notches filled by the smooth envelope.

Masks are drawn here from their own formulas (an ellipse, a bar, a notch) on a 1.5 mm grid, so the expected
result is known without the code under test: the ellipse alone must come back unchanged, a bar stuck on it
must go, a notch cut into it must be filled.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.segmentation import SPUR_MIN_MM, _open_spurs, _smooth_envelope

SPACING = (1.5, 1.5, 5.0)  # x, y, z mm
SHAPE = (3, 120, 120)


def _grid_mm() -> tuple[np.ndarray, np.ndarray]:
    jj, ii = np.mgrid[0 : SHAPE[1], 0 : SHAPE[2]].astype(np.float64)
    return (ii - SHAPE[2] / 2) * SPACING[0], (jj - SHAPE[1] / 2) * SPACING[1]


def _ellipse(a: float, b: float, angle_deg: float) -> np.ndarray:
    x, y = _grid_mm()
    t = math.radians(angle_deg)
    u = x * math.cos(t) + y * math.sin(t)
    v = -x * math.sin(t) + y * math.cos(t)
    plane = (u / a) ** 2 + (v / b) ** 2 <= 1.0
    return np.repeat(plane[None], SHAPE[0], axis=0)


def _distance_to(mask: np.ndarray) -> np.ndarray:
    """Brute-force in-plane distance (mm) from every pixel centre to the nearest pixel centre of the mask."""
    x, y = _grid_mm()
    inside = mask[1]
    px, py = x[inside], y[inside]
    d = np.sqrt((x[..., None] - px) ** 2 + (y[..., None] - py) ** 2).min(axis=-1)
    return d


@settings(max_examples=12, deadline=None)
@given(
    a=st.floats(min_value=18.0, max_value=40.0),
    ratio=st.floats(min_value=0.5, max_value=1.0),
    angle=st.floats(min_value=0.0, max_value=180.0),
)
def test_an_ellipse_comes_back_unchanged(a: float, ratio: float, angle: float) -> None:
    """A tumour section's own tightest bend (b^2/a) is wider than the disc: nothing is cut, nothing is added."""
    ellipse = _ellipse(a, a * ratio, angle)
    assert np.array_equal(_open_spurs(ellipse, SPACING), ellipse)
    assert np.array_equal(_smooth_envelope(ellipse, SPACING), ellipse)


@pytest.mark.parametrize("angle", [0.0, 35.0, 90.0, 140.0])
def test_a_spur_stuck_on_the_section_is_cut_off(angle: float) -> None:
    """A 6 mm wide bar reaching 18 mm out of a 30 x 16 mm ellipse (a muscle belly let in) is removed."""
    ellipse = _ellipse(30.0, 16.0, angle)
    x, y = _grid_mm()
    t = math.radians(angle)
    u = x * math.cos(t) + y * math.sin(t)
    v = -x * math.sin(t) + y * math.cos(t)
    bar = (np.abs(u) <= 3.0) & (v >= 0.0) & (v <= 16.0 + 18.0)
    mask = ellipse | bar[None]
    out = _open_spurs(mask, SPACING)
    assert np.array_equal(out & ellipse, ellipse)  # the tumour stays whole
    # What remains outside the ellipse is at most the fillets where the bar meets it, within SPUR_MIN_MM of it.
    left = out[1] & ~ellipse[1]
    assert left.sum() < 0.2 * (bar & ~ellipse[1]).sum()
    d = _distance_to(ellipse)
    assert not left.any() or d[left].max() <= SPUR_MIN_MM + SPACING[0]


def test_a_notch_in_the_outline_is_filled_by_the_envelope() -> None:
    """A 4.5 mm wide, 9 mm deep notch (a rim lost by the margin rule) is filled; nothing grows beyond."""
    ellipse = _ellipse(30.0, 18.0, 20.0)
    x, y = _grid_mm()
    t = math.radians(20.0)
    u = x * math.cos(t) + y * math.sin(t)
    v = -x * math.sin(t) + y * math.cos(t)
    notch = (np.abs(u - 5.0) <= 2.25) & (v >= 18.0 - 9.0)
    mask = ellipse & ~notch[None]
    out = _smooth_envelope(mask, SPACING)
    assert not (out & ~ellipse).any()  # nothing beyond the ellipse
    cut = ellipse[1] & notch
    # The notch is filled but for its mouth on the convex outline, where the disc dips in: the part of the
    # notch more than 3 mm inside the outline is filled entirely.
    depth = np.hypot(u / 30.0, v / 18.0)  # 1 on the outline, < 1 inside (normalised radius)
    deep = cut & (depth <= 1.0 - 3.0 / 18.0)
    assert deep.sum() >= 9 and (out[1] & deep).sum() == deep.sum()
    assert (out[1] & cut).sum() > 0.5 * cut.sum()


def test_a_wide_bay_is_left_alone() -> None:
    """A bay much wider than the envelope's disc is the outline's own shape (two lobes), not a notch."""
    ellipse = _ellipse(34.0, 20.0, 0.0)
    x, y = _grid_mm()
    bay = (np.abs(x) <= 12.0) & (y >= 8.0)
    mask = ellipse & ~bay[None]
    out = _smooth_envelope(mask, SPACING)
    added = out[1] & ~mask[1]
    assert added.sum() < 0.1 * (ellipse[1] & bay).sum()
