"""Brush strokes: which pixels a stroke paints (true mm on anisotropic and oblique grids) and the new numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.brush import apply_brush_stroke, brush_stroke
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.measurement.lesion_metrics import measure_segmentation
from tests.measurement.phantoms import lps_of, make_volume, oblique_directions

SHAPE = (8, 60, 70)
SPACING = (0.7, 0.9)
GAP = 5.0
GEOMETRIES = {
    "axial": dict(pixel_spacing=SPACING, slice_gap=GAP),
    "oblique": dict(pixel_spacing=SPACING, slice_gap=GAP, row=oblique_directions()[0], col=oblique_directions()[1]),
}


def _capsule(i_a: float, i_b: float, j: float, radius: float) -> np.ndarray:
    """Independent expectation for a stroke along a row (j fixed) from column i_a to i_b: a pixel centre is painted
    when it lies within radius mm of that segment, measured with the pixel spacing (rows/columns orthonormal)."""
    jj, ii = np.mgrid[0 : SHAPE[1], 0 : SHAPE[2]].astype(float)
    lo, hi = min(i_a, i_b), max(i_a, i_b)
    along = np.clip(ii, lo, hi)
    d2 = ((ii - along) * SPACING[0]) ** 2 + ((jj - j) * SPACING[1]) ** 2
    return np.asarray(d2 <= radius * radius + 1e-9)


def _lesion(geo: dict) -> tuple[object, LesionSegmentation, np.ndarray]:
    rng = np.random.default_rng(5)
    array = rng.integers(-50, 150, SHAPE).astype(np.int16)
    vol = make_volume(array, **geo)
    inside = np.zeros(SHAPE, bool)
    inside[2:6, 20:40, 20:45] = True
    return vol, LesionSegmentation.from_full_mask(vol, inside, seed=lps_of(30, 30, 3, **geo), method="seeded"), array


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_a_stroke_adds_a_swept_disc_on_its_slice_and_the_numbers_follow(name: str) -> None:
    geo = GEOMETRIES[name]
    vol, seg, array = _lesion(geo)
    points = [lps_of(40.0, 45.0, 3, **geo), lps_of(55.0, 45.0, 3, **geo), lps_of(50.0, 45.0, 3, **geo)]
    result = apply_brush_stroke(vol, seg, points, 4.0, "add")  # type: ignore[arg-type]
    want = seg.full_mask()
    want[3] |= _capsule(40.0, 55.0, 45.0, 4.0)
    assert np.array_equal(result.segmentation.full_mask(), want)
    # The numbers are those of the new mask, computed here from the pixels and the spacing.
    assert result.voxels == int(want.sum())
    assert result.volume_ml == pytest.approx(want.sum() * SPACING[0] * SPACING[1] * GAP / 1000.0, rel=1e-9)
    assert result.mean == pytest.approx(float(array[want].mean()), abs=1e-9)
    assert result.segmentation.seed == seg.seed
    assert result.segmentation.method == "seeded + brush edits"


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_erasing_a_stroke_removes_exactly_its_pixels_on_that_slice_only(name: str) -> None:
    geo = GEOMETRIES[name]
    vol, seg, _ = _lesion(geo)
    before = measure_segmentation(vol, seg)  # type: ignore[arg-type]
    result = apply_brush_stroke(
        vol, before, [lps_of(20.0, 30.0, 4.2, **geo), lps_of(30.0, 30.0, 4.2, **geo)], 3.0, "erase"
    )  # type: ignore[arg-type]
    want = seg.full_mask()
    want[4] &= ~_capsule(20.0, 30.0, 30.0, 3.0)
    assert np.array_equal(result.segmentation.full_mask(), want)
    assert result.voxels < before.voxels
    assert np.array_equal(result.segmentation.full_mask()[[2, 3, 5]], seg.full_mask()[[2, 3, 5]])


@settings(max_examples=40, deadline=None)
@given(
    i=st.floats(min_value=5, max_value=64),
    j=st.floats(min_value=5, max_value=54),
    radius=st.floats(min_value=0.5, max_value=12.0),
)
def test_a_single_point_paints_a_round_disc_in_mm(i: float, j: float, radius: float) -> None:
    geo = GEOMETRIES["oblique"]
    vol, seg, _ = _lesion(geo)
    edited = brush_stroke(vol, seg, [lps_of(i, j, 1, **geo)], radius, "add")  # type: ignore[arg-type]
    want = seg.full_mask()
    want[1] |= _capsule(i, i, j, radius)
    got = edited.full_mask()
    # Pixel centres within 1e-6 mm of the circle may fall either way by rounding; everything else must match.
    jj, ii = np.mgrid[0 : SHAPE[1], 0 : SHAPE[2]].astype(float)
    d = np.hypot((ii - i) * SPACING[0], (jj - j) * SPACING[1])
    sure = np.abs(d - radius) > 1e-6
    assert np.array_equal(got[1][sure], want[1][sure])
    assert np.array_equal(np.delete(got, 1, axis=0), np.delete(want, 1, axis=0))


def test_bad_strokes_are_refused_with_a_reason() -> None:
    geo = GEOMETRIES["axial"]
    vol, seg, _ = _lesion(geo)
    one_slice = np.zeros(SHAPE, bool)
    one_slice[2, 25:30, 25:35] = True
    flat = LesionSegmentation.from_full_mask(vol, one_slice)  # type: ignore[arg-type]
    with pytest.raises(MeasurementError, match="removed the whole lesion"):
        apply_brush_stroke(vol, flat, [lps_of(28, 27, 2, **geo), lps_of(31, 27, 2, **geo)], 8.0, "erase")  # type: ignore[arg-type]
    with pytest.raises(MeasurementError, match="not on one slice"):
        brush_stroke(vol, seg, [lps_of(30, 30, 2, **geo), lps_of(30, 30, 4, **geo)], 3.0, "add")  # type: ignore[arg-type]
    with pytest.raises(MeasurementError, match="outside the image"):
        brush_stroke(vol, seg, [lps_of(300, 30, 2, **geo)], 3.0, "add")  # type: ignore[arg-type]
    with pytest.raises(MeasurementError, match="no point"):
        brush_stroke(vol, seg, [], 3.0, "add")  # type: ignore[arg-type]
    with pytest.raises(MeasurementError, match="positive number"):
        brush_stroke(vol, seg, [lps_of(30, 30, 2, **geo)], 0.0, "add")  # type: ignore[arg-type]
    with pytest.raises(MeasurementError, match="'add' or 'erase'"):
        brush_stroke(vol, seg, [lps_of(30, 30, 2, **geo)], 2.0, "paint")  # type: ignore[arg-type]
    other = make_volume(np.zeros((4, 10, 10), np.int16), **geo)
    with pytest.raises(MeasurementError, match="different series"):
        brush_stroke(other, seg, [lps_of(3, 3, 1, **geo)], 2.0, "add")  # type: ignore[arg-type]
