"""`painted_segmentation` (the stroke computed inside the lesion's box, as the workstation's worker does) gives
exactly the mask of `brush_stroke` (the stroke painted on the whole series grid), for any mask, stroke and grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.brush import brush_stroke, painted_segmentation, stroke_mask
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from tests.measurement.phantoms import lps_of, make_volume, oblique_directions

SHAPE = (6, 40, 50)
GEOMETRIES = {
    "axial": dict(pixel_spacing=(0.7, 0.9), slice_gap=4.0),
    "oblique": dict(pixel_spacing=(0.7, 0.9), slice_gap=4.0, row=oblique_directions()[0], col=oblique_directions()[1]),
}


def _volume(name: str) -> object:
    array = np.random.default_rng(3).integers(-50, 150, SHAPE).astype(np.int16)
    return make_volume(array, **GEOMETRIES[name])


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, np.ndarray, list[tuple[float, float]], int, float, str]:
    """A random blob (a box with random voxels dropped), a stroke of 1-4 points on one slice, radius and mode."""
    z0, y0, x0 = draw(st.integers(0, 4)), draw(st.integers(0, 30)), draw(st.integers(0, 40))
    dz, dy, dx = draw(st.integers(1, 2)), draw(st.integers(1, 10)), draw(st.integers(1, 10))
    full = np.zeros(SHAPE, bool)
    seed = draw(st.integers(0, 2**31 - 1))
    full[z0 : z0 + dz, y0 : y0 + dy, x0 : x0 + dx] = np.random.default_rng(seed).random((dz, dy, dx)) < 0.8
    full[z0, y0, x0] = True
    points = draw(st.lists(st.tuples(st.floats(0, SHAPE[2] - 1), st.floats(0, SHAPE[1] - 1)), min_size=1, max_size=4))
    return (
        draw(st.sampled_from(sorted(GEOMETRIES))),
        full,
        points,
        draw(st.integers(0, SHAPE[0] - 1)),
        draw(st.floats(0.3, 15.0)),
        draw(st.sampled_from(["add", "erase"])),
    )


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_the_boxed_stroke_equals_the_full_grid_stroke(case: tuple) -> None:  # type: ignore[type-arg]
    name, full, points, k, radius, mode = case
    volume = _volume(name)
    seg = LesionSegmentation.from_full_mask(volume, full, seed=lps_of(1, 2, 0, **GEOMETRIES[name]), method="seeded")  # type: ignore[arg-type]
    path = [lps_of(i, j, k, **GEOMETRIES[name]) for i, j in points]
    try:
        want = brush_stroke(volume, seg, path, radius, mode)  # type: ignore[arg-type]
    except MeasurementError as error:
        with pytest.raises(MeasurementError, match=str(error)[:30]):
            painted_segmentation(volume, seg, path, radius, mode)  # type: ignore[arg-type]
        return
    got = painted_segmentation(volume, seg, path, radius, mode)  # type: ignore[arg-type]
    assert got == want  # same series, box offset and shape, bits, seed and method
    assert np.array_equal(got.full_mask(), want.full_mask())


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_a_lesion_without_a_mask_gets_exactly_the_stroke(name: str) -> None:
    volume = _volume(name)
    path = [lps_of(10, 12, 2, **GEOMETRIES[name]), lps_of(20, 14, 2, **GEOMETRIES[name])]
    got = painted_segmentation(volume, None, path, 3.0, "add")  # type: ignore[arg-type]
    k, (rows, cols), painted = stroke_mask(volume, path, 3.0)  # type: ignore[arg-type]
    want = np.zeros(SHAPE, bool)
    want[k, rows, cols] = painted
    assert np.array_equal(got.full_mask(), want) and got.method == "brush" and got.seed is None
    with pytest.raises(MeasurementError, match="no mask to erase"):
        painted_segmentation(volume, None, path, 3.0, "erase")  # type: ignore[arg-type]
    other = make_volume(np.zeros((4, 10, 10), np.int16), **GEOMETRIES[name])
    with pytest.raises(MeasurementError, match="different series"):
        painted_segmentation(other, got, [lps_of(3, 3, 1, **GEOMETRIES[name])], 2.0, "add")  # type: ignore[arg-type]
