"""Brush strokes against discs and capsules counted independently on the pixel grid, on awkward geometries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.brush import apply_stroke, stroke_footprint
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from tests.measurement.phantoms import lps_of, make_volume, oblique_directions

SHAPE = (6, 80, 90)
GEOMETRIES = {
    "anisotropic": dict(pixel_spacing=(0.7, 0.9), slice_gap=5.0),
    "oblique": dict(pixel_spacing=(0.8, 0.8), slice_gap=2.5, row=oblique_directions()[0], col=oblique_directions()[1]),
    "tilted": dict(pixel_spacing=(0.75, 0.75), slice_gap=2.5, tilt_degrees=18.5),
}


def _steps(geo: dict) -> tuple[float, float]:
    """mm per column and per row, from the phantom's own index -> LPS definition (not the code under test)."""
    o = lps_of(0, 0, 0, **geo)
    return float(np.linalg.norm(lps_of(1, 0, 0, **geo) - o)), float(np.linalg.norm(lps_of(0, 1, 0, **geo) - o))


def _disc(geo: dict, ci: float, cj: float, radius: float) -> np.ndarray:
    """Pixels of a slice whose centres lie within radius of (ci, cj): counted in index space with the steps."""
    sx, sy = _steps(geo)
    jj, ii = np.mgrid[0 : SHAPE[1], 0 : SHAPE[2]].astype(float)
    return ((ii - ci) * sx) ** 2 + ((jj - cj) * sy) ** 2 <= radius * radius * (1 + 1e-9)


def _capsule(geo: dict, a: tuple[float, float], b: tuple[float, float], radius: float) -> np.ndarray:
    sx, sy = _steps(geo)
    jj, ii = np.mgrid[0 : SHAPE[1], 0 : SHAPE[2]].astype(float)
    px, py = ii * sx, jj * sy
    ax, ay, bx, by = a[0] * sx, a[1] * sy, b[0] * sx, b[1] * sy
    t = np.clip(((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2), 0, 1)
    return (px - ax - t * (bx - ax)) ** 2 + (py - ay - t * (by - ay)) ** 2 <= radius * radius * (1 + 1e-9)


def _volume(geo: dict):  # type: ignore[no-untyped-def]
    return make_volume(np.zeros(SHAPE, np.int16), **geo)


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_one_dab_paints_the_disc_of_its_radius(name: str) -> None:
    geo = GEOMETRIES[name]
    vol = _volume(geo)
    painted = apply_stroke(vol, None, 3, [lps_of(40.3, 35.6, 3, **geo)], 6.0, "add")
    expected = np.zeros(SHAPE, bool)
    expected[3] = _disc(geo, 40.3, 35.6, 6.0)
    assert np.array_equal(painted.full_mask(), expected)
    assert painted.method == "brush edits"
    # the painted area is the disc's area to within the digitisation of its rim
    sx, sy = _steps(geo)
    assert abs(painted.voxels * sx * sy - math.pi * 36.0) < 2 * math.pi * 6.0 * max(sx, sy)


def test_a_centre_off_the_slice_paints_the_slice_shown() -> None:
    geo = GEOMETRIES["anisotropic"]
    vol = _volume(geo)
    painted = apply_stroke(vol, None, 2, [lps_of(40.0, 35.0, 2.4, **geo)], 5.0, "add")
    assert set(painted.voxel_indices()[:, 0].tolist()) == {2}
    assert np.array_equal(painted.full_mask()[2], _disc(geo, 40.0, 35.0, 5.0))


@settings(max_examples=25, deadline=None)
@given(
    a=st.tuples(st.floats(10, 80), st.floats(10, 70)),
    b=st.tuples(st.floats(10, 80), st.floats(10, 70)),
    radius=st.floats(1.0, 9.0),
    name=st.sampled_from(list(GEOMETRIES)),
)
def test_a_drag_paints_the_capsule_swept_by_the_brush(a, b, radius, name) -> None:  # type: ignore[no-untyped-def]
    geo = GEOMETRIES[name]
    vol = _volume(geo)
    if a == b or max(abs(a[0] - b[0]), abs(a[1] - b[1])) < 1e-6:
        return
    j0, i0, footprint = stroke_footprint(vol, 1, [lps_of(*a, 1, **geo), lps_of(*b, 1, **geo)], radius)
    full = np.zeros(SHAPE[1:], bool)
    full[j0 : j0 + footprint.shape[0], i0 : i0 + footprint.shape[1]] = footprint
    assert np.array_equal(full, _capsule(geo, a, b, radius))


def test_erase_removes_the_disc_and_keeps_the_rest() -> None:
    geo = GEOMETRIES["oblique"]
    vol = _volume(geo)
    base = np.zeros(SHAPE, bool)
    base[1:5, 20:60, 20:70] = True
    seg = LesionSegmentation.from_full_mask(vol, base, seed=lps_of(45, 40, 3, **geo), method="one-click")
    erased = apply_stroke(vol, seg, 3, [lps_of(30.0, 30.0, 3, **geo)], 4.0, "erase")
    expected = base.copy()
    expected[3] &= ~_disc(geo, 30.0, 30.0, 4.0)
    assert np.array_equal(erased.full_mask(), expected)
    assert erased.method == "one-click + brush edits" and erased.seed == seg.seed
    again = apply_stroke(vol, erased, 3, [lps_of(30.0, 30.0, 3, **geo)], 4.0, "add")
    assert again.method == "one-click + brush edits"
    assert again.voxels == seg.voxels
    # adding outside the box grows the box
    grown = apply_stroke(vol, seg, 0, [lps_of(80.0, 70.0, 0, **geo)], 3.0, "add")
    assert grown.voxels == seg.voxels + int(_disc(geo, 80.0, 70.0, 3.0).sum())
    assert grown.offset[0] == 0


def test_refusals_say_what_to_do() -> None:
    geo = GEOMETRIES["anisotropic"]
    vol = _volume(geo)
    small = np.zeros(SHAPE, bool)
    small[2, 30:33, 30:33] = True
    seg = LesionSegmentation.from_full_mask(vol, small)
    with pytest.raises(MeasurementError, match="removed the whole lesion"):
        apply_stroke(vol, seg, 2, [lps_of(31, 31, 2, **geo)], 10.0, "erase")
    with pytest.raises(MeasurementError, match="no mask to erase"):
        apply_stroke(vol, None, 2, [lps_of(31, 31, 2, **geo)], 3.0, "erase")
    with pytest.raises(MeasurementError, match="outside the image"):
        apply_stroke(vol, seg, 2, [lps_of(500, 500, 2, **geo)], 3.0, "add")
    with pytest.raises(MeasurementError, match="positive"):
        apply_stroke(vol, seg, 2, [lps_of(31, 31, 2, **geo)], 0.0, "add")
    with pytest.raises(MeasurementError, match="outside the series"):
        apply_stroke(vol, seg, 9, [lps_of(31, 31, 2, **geo)], 3.0, "add")
    other = make_volume(np.zeros((3, 10, 10), np.int16), **geo)
    with pytest.raises(MeasurementError, match="different series"):
        apply_stroke(other, seg, 1, [lps_of(3, 3, 1, **geo)], 3.0, "add")
