"""ViewerGrid: hanging protocol cells and linked scrolling through real events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from sfrt_reader.ui.grid import Timepoint, ViewerGrid
from sfrt_reader.ui.state import Layout, TimepointInfo
from tests.ui.conftest import wheel
from tests.ui.volumes import axial_ct

SPECS = [(-150.0, 5.0, 30), (-140.0, 2.5, 60), (-160.0, 3.0, 70)]  # (first z, step, slices) per timepoint


def _timepoints() -> list[Timepoint]:
    labels = ["Baseline", "3 months", "6 months"]
    return [
        Timepoint(
            axial_ct(nz=n, z0=z0, dz=dz, ny=64, nx=64), TimepointInfo(pseudonym="SUBJ-003", timepoint_label=label)
        )
        for (z0, dz, n), label in zip(SPECS, labels, strict=True)
    ]


@pytest.fixture
def grid(show) -> ViewerGrid:  # type: ignore[no-untyped-def]
    widget = ViewerGrid()
    widget.set_timepoints(_timepoints())
    return show(widget, 900, 400)


def test_one_by_three_shows_baseline_previous_current(grid: ViewerGrid) -> None:
    assert [vp.info.timepoint_label for vp in grid.viewports] == ["Baseline", "3 months", "6 months"]
    assert grid.active is grid.viewports[2]


def test_scrolling_the_current_viewport_moves_the_others_to_the_same_table_position(grid: ViewerGrid, qtbot) -> None:  # type: ignore[no-untyped-def]
    current = grid.viewports[2]
    for _ in range(7):
        qtbot.keyClick(current, Qt.Key.Key_Down)
    wheel(current.viewport(), QPoint(50, 50), -2)
    z = current.state.position_mm
    assert z is not None
    for viewport, (z0, dz, n) in zip(grid.viewports[:2], SPECS[:2], strict=True):
        zs = z0 + dz * np.arange(n)
        assert viewport.state.slice_index == int(np.argmin(np.abs(zs - z)))


def test_link_toggle_off_lets_one_scroll_alone(grid: ViewerGrid, qtbot) -> None:  # type: ignore[no-untyped-def]
    grid.set_linked(False)
    before = [vp.state.slice_index for vp in grid.viewports[:2]]
    qtbot.keyClick(grid.viewports[2], Qt.Key.Key_PageDown)
    assert [vp.state.slice_index for vp in grid.viewports[:2]] == before


def test_layout_change_keeps_slices_and_roles(grid: ViewerGrid) -> None:
    grid.viewports[2].state.set_slice(40)
    grid.set_layout(Layout.ONE_BY_TWO)
    assert [vp.info.timepoint_label for vp in grid.viewports] == ["Baseline", "6 months"]
    assert grid.viewports[1].state.slice_index == 40
    grid.set_layout(Layout.TWO_BY_TWO)
    labels = [vp.info.timepoint_label for vp in grid.viewports]
    assert labels == ["Baseline", "Earlier: none", "3 months", "6 months"]


def test_presets_go_to_the_active_viewport(grid: ViewerGrid, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(grid.viewports[0].viewport(), Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    assert grid.active is grid.viewports[0]
    qtbot.keyClicks(grid.viewports[0], "3")
    assert grid.viewports[0].state.window == (2000.0, 500.0)
    assert grid.viewports[2].state.window == (400.0, 40.0)


def test_shift_click_places_a_crosshair_at_the_clicked_point(grid: ViewerGrid, qtbot) -> None:  # type: ignore[no-untyped-def]
    target = grid.viewports[2]
    qtbot.mouseClick(target.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, QPoint(120, 150))
    assert target.crosshair_lps is not None
    scene = target.mapToScene(QPoint(120, 150))
    g = target.state.geometry
    expected = target.state.volume.index_to_lps(
        [scene.x() / g.spacing_u, scene.y() / g.spacing_v, target.state.slice_index]
    )
    np.testing.assert_allclose(target.crosshair_lps, expected)
    assert grid.viewports[0].crosshair_lps is None  # other examination, other frame of reference
