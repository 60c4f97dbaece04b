"""Linked scrolling by table position across timepoints, and the hanging protocol."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfrt_reader.ui.state import HangingProtocol, Layout, LinkGroup, Plane, Role, ViewportState
from tests.ui.volumes import axial_ct


def _three() -> tuple[ViewportState, ViewportState, ViewportState]:
    baseline = ViewportState(axial_ct(nz=30, z0=-150.0, dz=5.0))
    previous = ViewportState(axial_ct(nz=60, z0=-140.0, dz=2.5))
    current = ViewportState(axial_ct(nz=45, z0=-120.0, dz=3.0))
    return baseline, previous, current


@given(target=st.integers(0, 44))
def test_scrolling_one_moves_the_others_to_the_nearest_table_position(target: int) -> None:
    baseline, previous, current = _three()
    LinkGroup([baseline, previous, current])
    current.set_slice((target + 1) % 45)
    current.set_slice(target)
    z = -120.0 + 3.0 * target
    for other, z0, dz, n in ((baseline, -150.0, 5.0, 30), (previous, -140.0, 2.5, 60)):
        zs = z0 + dz * np.arange(n)
        assert abs(zs[other.slice_index] - z) == pytest.approx(np.min(np.abs(zs - z)))


def test_toggle_off_scrolls_alone_and_back_on_follows_again() -> None:
    baseline, previous, current = _three()
    group = LinkGroup([baseline, previous, current])
    group.set_enabled(False)
    before = baseline.slice_index
    current.scroll(5)
    assert baseline.slice_index == before
    group.toggle()
    current.set_slice(0)  # z = -120
    assert baseline.position_mm == -120.0
    assert previous.position_mm == -120.0


def test_keep_offsets_preserves_manual_alignment() -> None:
    baseline, _, current = _three()
    group = LinkGroup([baseline, current])
    group.keep_offsets = True
    current.set_slice(10)  # -90; baseline follows to -90
    group.set_enabled(False)
    baseline.scroll(2)  # baseline now 10 mm higher
    group.set_enabled(True)
    assert group.offset_of(baseline) - group.offset_of(current) == pytest.approx(10.0)
    current.scroll(5)  # -75
    assert baseline.position_mm == pytest.approx(-65.0)


def test_a_volume_loaded_later_joins_the_group_position() -> None:
    baseline, _, _ = _three()
    late = ViewportState()
    group = LinkGroup([baseline, late])
    baseline.set_slice(6)  # -120
    late.set_volume(axial_ct(nz=45, z0=-120.0, dz=3.0))
    assert late.slice_index == 0 and baseline.slice_index == 6
    assert group.enabled


def test_other_planes_are_not_linked() -> None:
    baseline, _, current = _three()
    LinkGroup([baseline, current])
    baseline.set_plane(Plane.CORONAL)
    before = baseline.slice_index
    current.scroll(3)
    assert baseline.slice_index == before


def test_hanging_protocol_layouts() -> None:
    assert Layout.parse("2x2").shape == (2, 2)
    with pytest.raises(ValueError, match="1x2, 1x3, 2x2"):
        Layout.parse("3x3")
    five = HangingProtocol(Layout.ONE_BY_THREE).assign(5)
    assert [(c.role, c.timepoint) for c in five] == [(Role.BASELINE, 0), (Role.PREVIOUS, 3), (Role.CURRENT, 4)]
    four = HangingProtocol(Layout.TWO_BY_TWO).assign(5, current=3)
    assert [(c.row, c.column, c.timepoint) for c in four] == [(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 3)]
    two = HangingProtocol(Layout.ONE_BY_THREE).assign(2)
    assert [c.timepoint for c in two] == [0, None, 1]  # previous would be baseline again: left empty
    one = HangingProtocol(Layout.ONE_BY_TWO).assign(1)
    assert [c.timepoint for c in one] == [None, 0]
    assert HangingProtocol().assign(0) == [c for c in HangingProtocol().assign(0) if c.timepoint is None]
    with pytest.raises(ValueError):
        HangingProtocol().assign(3, current=3)
