"""Carrying points between timepoints through registrations, with the table-position fallback; viewport moves to a
patient point; where a lesion was measured. Expected values are computed by hand or with plain numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.registration_result import Registration, matrix_tuple
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.ui.state import ViewportState
from sfrt_reader.ui.state.anatomy_link import AnatomyLink, centre_on, lesion_centre, point_on_slice, show_point
from tests.ui.volumes import axial_ct


def _rigid(angle_deg: float, axis: int, shift: tuple[float, float, float]) -> np.ndarray:
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    r = np.eye(3)
    i, j = [n for n in range(3) if n != axis]
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    m = np.eye(4)
    m[:3, :3] = r
    m[:3, 3] = shift
    return m


def _reg(m: np.ndarray, moving: str = "2", verdict: str = "ok", reason: str = "body outlines agree") -> Registration:
    return Registration(
        fixed_series_uid="1",
        moving_series_uid=moving,
        matrix=matrix_tuple(m),
        transform_type="AffineTransform",
        parameters=(*m[:3, :3].reshape(-1), *m[:3, 3]),
        fixed_parameters=(0.0, 0.0, 0.0),
        metric="mattes_mutual_information",
        metric_value=-0.5,
        verdict=verdict,  # type: ignore[arg-type]
        reason=reason,
        method="rigid",
        elapsed_s=1.0,
    )


finite = st.floats(-200, 200, allow_nan=False)
angles = st.floats(-15, 15, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    a=angles, b=angles, axis_a=st.integers(0, 2), axis_b=st.integers(0, 2),
    ta=st.tuples(finite, finite, finite), tb=st.tuples(finite, finite, finite),
    p=st.tuples(finite, finite, finite),
)  # fmt: skip
def test_carry_follows_the_registrations_both_ways_and_between_follow_ups(
    a: float,
    b: float,
    axis_a: int,
    axis_b: int,
    ta: tuple[float, float, float],
    tb: tuple[float, float, float],
    p: tuple[float, float, float],
) -> None:
    ma, mb = _rigid(a, axis_a, ta), _rigid(b, axis_b, tb)
    link = AnatomyLink("baseline")
    link.set_registration("3m", _reg(ma))
    link.set_registration("6m", _reg(mb, "3"))
    hp = np.array([*p, 1.0])
    in_3m = (ma @ hp)[:3]
    in_6m = (mb @ hp)[:3]
    assert np.allclose(link.carry(p, "baseline", "3m").lps, in_3m, atol=1e-6)
    assert np.allclose(link.carry(in_3m, "3m", "baseline").lps, p, atol=1e-6)
    through = link.carry(in_3m, "3m", "6m")
    assert np.allclose(through.lps, in_6m, atol=1e-6)
    assert through.method == "registration" and through.notices == ()
    assert link.carry(p, "6m", "6m").lps == pytest.approx(p)


def test_a_poor_leg_falls_back_to_table_position_and_says_which_and_why() -> None:
    link = AnatomyLink("baseline")
    good = _rigid(5.0, 2, (10.0, -4.0, 12.0))
    link.set_registration("3m", _reg(good))
    link.set_registration("6m", _reg(np.eye(4), "3", "poor", "body overlap 0.41 below 0.85"))
    p = (12.0, 40.0, -80.0)
    # 3m -> 6m: the first leg (3m -> baseline) uses the registration, the second keeps the patient coordinates
    in_3m = (good @ np.array([*p, 1.0]))[:3]
    carried = link.carry(in_3m, "3m", "6m")
    assert np.allclose(carried.lps, p, atol=1e-6)
    assert carried.method == "table position"
    assert len(carried.notices) == 1 and carried.notices[0].startswith("6m: Linked by table position only")
    assert "body overlap 0.41" in carried.notices[0]
    assert link.notice("6m") is not None and link.notice("3m") is None and link.notice("baseline") is None
    # a missing registration also falls back, with its own reason
    link.set_registration("3m", None)
    assert link.carry(p, "baseline", "3m").lps == pytest.approx(p)
    assert "no registration is available" in (link.notice("3m") or "")
    rejected = _reg(good).rejected("the knee is off by a vertebra")
    link.set_registration("3m", rejected)
    assert "the knee is off" in link.carry(p, "baseline", "3m").notices[0]
    with pytest.raises(ValueError):
        link.set_registration("baseline", _reg(good))
    with pytest.raises(ValueError):
        link.carry((0.0, float("nan"), 0.0), "baseline", "3m")


def test_show_point_and_centre_on_move_to_the_slice_and_middle_of_the_point() -> None:
    # axial_ct: voxel (i, j, k) lies at (-20 + 0.8 i, -30 + 0.8 j, -100 + 5 k) mm
    state = ViewportState(axial_ct(nz=20, ny=64, nx=48))
    assert show_point(state, (-20.0 + 0.8 * 10, -30.0 + 0.8 * 20, -100.0 + 5 * 7 + 2.0))
    assert state.slice_index == 7  # 2 mm from slice 7, 3 mm from slice 8
    assert centre_on(state, (-20.0 + 0.8 * 30, -30.0 + 0.8 * 5, -100.0 + 5 * 12))
    assert state.slice_index == 12
    assert state.pan == pytest.approx((30 - 23.5, 5 - 31.5))
    assert not show_point(state, (0.0, 0.0, 500.0))  # beyond the stack: clamped to the last slice, reported
    assert state.slice_index == 19


def test_point_on_slice_keeps_the_crosshair_in_plane_or_takes_the_slice_middle() -> None:
    state = ViewportState(axial_ct(nz=20, ny=64, nx=48))
    state.set_slice(4)
    moved = point_on_slice(state, (-20.0 + 0.8 * 10, -30.0 + 0.8 * 20, 33.0))
    assert moved == pytest.approx((-12.0, -14.0, -80.0))
    middle = point_on_slice(state, None)
    assert middle == pytest.approx((-20.0 + 0.8 * 23.5, -30.0 + 0.8 * 31.5, -80.0))


def test_lesion_centre_prefers_the_segmentation_centroid_then_lines_then_regions() -> None:
    volume = axial_ct(nz=20, ny=64, nx=48)
    line = {"kind": "line", "start": [0.0, 0.0, -50.0], "end": [10.0, 4.0, -50.0]}
    ellipse = {"kind": "region_statistics", "region": {"kind": "ellipse", "center": [5.0, 5.0, -45.0]}}
    freehand = {"kind": "region_statistics", "region": {"kind": "freehand", "points": [[0, 0, -40], [2, 4, -40]]}}
    assert lesion_centre([]) is None
    assert lesion_centre([freehand]) == pytest.approx((1.0, 2.0, -40.0))
    assert lesion_centre([ellipse, freehand]) == pytest.approx((5.0, 5.0, -45.0))
    assert lesion_centre([ellipse, line]) == pytest.approx((5.0, 2.0, -50.0))
    bidi = {"kind": "bidimensional", "long_axis": {"start": [2.0, 2.0, -30.0], "end": [6.0, 2.0, -30.0]}}
    assert lesion_centre([ellipse, bidi]) == pytest.approx((4.0, 2.0, -30.0))
    mask = np.zeros(volume.shape, dtype=bool)
    mask[6:9, 10:12, 20:26] = True  # centroid (z, y, x) = (7, 10.5, 22.5)
    seg = LesionSegmentation.from_full_mask(volume, mask, method="test")
    obj = {
        "kind": "segmentation_result",
        "segmentation": seg.to_dict(),
        "longest_axial": {"start": [0.0, 0.0, 0.0], "end": [2.0, 0.0, 0.0]},
    }
    expected = (-20.0 + 0.8 * 22.5, -30.0 + 0.8 * 10.5, -100.0 + 5 * 7)
    assert lesion_centre([line, obj], volume) == pytest.approx(expected)
    assert lesion_centre([line, obj]) == pytest.approx((1.0, 0.0, 0.0))  # no volume: its longest diameter
    assert lesion_centre([{"kind": "line", "start": [0, 0]}]) is None
