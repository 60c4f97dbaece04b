"""Lines and bidimensional measurements: exact lengths in mm on anisotropic, oblique and tilted grids."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.lines import Bidimensional, Line, line_from_index, measure_line
from tests.measurement.phantoms import lps_of, make_volume, oblique_directions, rotation_about

GRID = np.zeros((6, 64, 48), dtype=np.int16)


@pytest.mark.parametrize("spacing", [(0.7, 1.3), (0.5, 0.5), (0.9765625, 0.9765625)])
@pytest.mark.parametrize("oblique", [False, True])
def test_in_plane_length_equals_formula(spacing: tuple[float, float], oblique: bool) -> None:
    row, col = oblique_directions() if oblique else (None, None)
    vol = make_volume(GRID, pixel_spacing=spacing, slice_gap=5.0, row=row, col=col)
    line = line_from_index(vol, 3, (4.0, 7.0), (40.0, 55.5))
    expected = math.hypot(36.0 * spacing[0], 48.5 * spacing[1])
    assert line.length_mm == pytest.approx(expected, abs=0.01)
    assert abs(line.length_mm - expected) < 1e-9
    assert line.ref.sop_instance_uid == vol.sop_instance_uids[3]
    assert line.ref.series_uid == vol.series_instance_uid


def test_line_across_slices_of_a_tilted_stack_is_true_mm() -> None:
    geo = dict(pixel_spacing=(0.8, 0.8), slice_gap=2.5, tilt_degrees=18.5)
    vol = make_volume(GRID, **geo)  # type: ignore[arg-type]
    a = lps_of(10, 20, 1, **geo)  # type: ignore[arg-type]
    b = lps_of(30, 50, 5, **geo)  # type: ignore[arg-type]
    # Independent formula: in-plane offsets plus 4 slice gaps along the normal plus the tilt shear along columns.
    shear = 4 * 2.5 * math.tan(math.radians(18.5))
    expected = math.sqrt((20 * 0.8) ** 2 + (30 * 0.8 + shear) ** 2 + (4 * 2.5) ** 2)
    line = measure_line(vol, a, b)
    assert line.length_mm == pytest.approx(expected, abs=1e-9)
    assert line.ref.sop_instance_uid == ""  # spans slices: series only
    assert line.ref.series_uid == vol.series_instance_uid


def test_point_outside_volume_is_refused_with_position() -> None:
    vol = make_volume(GRID, pixel_spacing=(1.0, 1.0))
    inside = lps_of(5, 5, 2)
    outside = lps_of(5, 70, 2)
    with pytest.raises(MeasurementError, match=r"outside the image .*row 70\.0 of 64"):
        measure_line(vol, inside, outside)
    # The outer half of an edge voxel is still on the image; beyond it is not.
    measure_line(vol, inside, lps_of(47.49, 5, 2))
    with pytest.raises(MeasurementError, match="outside the image"):
        measure_line(vol, inside, lps_of(47.51, 5, 2))


def test_coincident_points_are_refused() -> None:
    with pytest.raises(MeasurementError, match="coincide"):
        Line((1.0, 2.0, 3.0), (1.0, 2.0, 3.0))


def test_non_finite_point_is_refused() -> None:
    with pytest.raises(MeasurementError, match="finite"):
        Line((1.0, float("nan"), 3.0), (1.0, 2.0, 3.0))
    with pytest.raises(MeasurementError, match="3 coordinates"):
        Line((1.0, 2.0), (1.0, 2.0, 3.0))  # type: ignore[arg-type]


def test_line_round_trips_through_json() -> None:
    vol = make_volume(GRID, pixel_spacing=(0.7, 1.3))
    line = line_from_index(vol, 2, (1, 1), (20, 30))
    data = json.loads(json.dumps(line.to_dict()))
    assert data["kind"] == "line"
    assert data["sop_instance_uid"] == vol.sop_instance_uids[2]
    assert Line.from_dict(data) == line


def _cross(
    center: np.ndarray, long_half: float, short_half: float, angle_deg: float, offset: float = 0.0
) -> Bidimensional:
    u = np.array([1.0, 0.0, 0.0])
    t = math.radians(angle_deg)
    v = np.array([math.cos(t), math.sin(t), 0.0])
    long_ = Line(tuple(center - long_half * u), tuple(center + long_half * u))  # type: ignore[arg-type]
    c2 = center + offset * u
    short = Line(tuple(c2 - short_half * v), tuple(c2 + short_half * v))  # type: ignore[arg-type]
    return Bidimensional(long_, short)


def test_bidimensional_accepts_perpendicular_within_5_degrees() -> None:
    c = np.array([10.0, 20.0, 30.0])
    for angle in (90.0, 85.01, 94.99):
        bd = _cross(c, 30.0, 12.0, angle)
        assert bd.long_mm == pytest.approx(60.0)
        assert bd.short_mm == pytest.approx(24.0)


@pytest.mark.parametrize("angle", [84.9, 95.1, 45.0])
def test_bidimensional_refuses_oblique_short_axis(angle: float) -> None:
    with pytest.raises(MeasurementError, match=r"perpendicular within \+/- 5 degrees"):
        _cross(np.zeros(3), 30.0, 12.0, angle)


def test_bidimensional_refuses_short_axis_that_does_not_cross() -> None:
    with pytest.raises(MeasurementError, match="does not cross"):
        _cross(np.zeros(3), 30.0, 12.0, 90.0, offset=31.0)  # beyond the end of the long axis
    long_ = Line((-30.0, 0.0, 0.0), (30.0, 0.0, 0.0))
    above = Line((0.0, -5.0, 2.0), (0.0, 5.0, 2.0))  # perpendicular, but 2 mm out of plane
    with pytest.raises(MeasurementError, match="does not cross"):
        Bidimensional(long_, above)
    short_side = Line((0.0, 1.0, 0.0), (0.0, 11.0, 0.0))  # perpendicular, touches nothing
    with pytest.raises(MeasurementError, match="does not cross"):
        Bidimensional(long_, short_side)


def test_bidimensional_refuses_short_longer_than_long() -> None:
    with pytest.raises(MeasurementError, match="longer than the long axis"):
        _cross(np.zeros(3), 10.0, 12.0, 90.0)


def test_bidimensional_round_trip() -> None:
    bd = _cross(np.array([1.0, 2.0, 3.0]), 25.0, 10.0, 88.0, offset=-3.0)
    assert Bidimensional.from_dict(json.loads(json.dumps(bd.to_dict()))) == bd


coords = st.floats(-200, 200, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(coords, coords),
    st.tuples(coords, coords),
    st.tuples(coords, coords, coords),
    st.floats(0, 360),
)
def test_length_invariant_under_in_plane_translation_and_rotation(
    a: tuple[float, float], b: tuple[float, float], shift: tuple[float, float, float], degrees: float
) -> None:
    if math.dist(a, b) < 0.01:
        return
    p = np.array([a[0], a[1], 0.0])
    q = np.array([b[0], b[1], 0.0])
    base = Line(tuple(p), tuple(q)).length_mm  # type: ignore[arg-type]
    r = rotation_about(np.array([0.0, 0.0, 1.0]), degrees)
    moved = Line(tuple(r @ p + shift), tuple(r @ q + shift)).length_mm  # type: ignore[arg-type]
    assert moved == pytest.approx(base, abs=1e-9)
    assert base == pytest.approx(math.dist(a, b), abs=1e-9)
