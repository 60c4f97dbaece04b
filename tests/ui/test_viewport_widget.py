"""SliceViewport driven by real mouse, wheel and key events (offscreen)."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from sfrt_reader.ui.cursors import cursor_for
from sfrt_reader.ui.state import ViewportState
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.viewport import SliceViewport
from tests.ui.conftest import wheel
from tests.ui.volumes import axial_ct


@pytest.fixture
def viewport(show) -> SliceViewport:  # type: ignore[no-untyped-def]
    return show(SliceViewport(ViewportState(axial_ct(nz=40, ny=128, nx=128, spacing=(0.7, 0.7)))))


def test_wheel_scrolls_one_slice_per_notch(viewport: SliceViewport) -> None:
    start = viewport.state.slice_index
    wheel(viewport.viewport(), QPoint(100, 100), -1)
    assert viewport.state.slice_index == start + 1
    wheel(viewport.viewport(), QPoint(100, 100), 3)
    assert viewport.state.slice_index == start - 2


def test_arrow_page_home_end_keys(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.state.set_slice(20)
    qtbot.keyClick(viewport, Qt.Key.Key_Down)
    assert viewport.state.slice_index == 21
    qtbot.keyClick(viewport, Qt.Key.Key_Up)
    qtbot.keyClick(viewport, Qt.Key.Key_Up)
    assert viewport.state.slice_index == 19
    qtbot.keyClick(viewport, Qt.Key.Key_PageDown)
    assert viewport.state.slice_index == 29
    qtbot.keyClick(viewport, Qt.Key.Key_PageUp)
    assert viewport.state.slice_index == 19
    qtbot.keyClick(viewport, Qt.Key.Key_End)
    assert viewport.state.slice_index == 39
    qtbot.keyClick(viewport, Qt.Key.Key_Home)
    assert viewport.state.slice_index == 0


def test_right_drag_changes_window_by_two_hu_per_pixel(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    target = viewport.viewport()
    qtbot.mousePress(target, Qt.MouseButton.RightButton, pos=QPoint(200, 200))
    qtbot.mouseMove(target, QPoint(215, 195))
    qtbot.mouseMove(target, QPoint(230, 190))
    qtbot.mouseRelease(target, Qt.MouseButton.RightButton, pos=QPoint(230, 190))
    assert viewport.state.window == (400.0 + 2 * 30, 40.0 + 2 * -10)


def test_number_keys_set_presets(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    for key, window in (("2", (1500.0, -600.0)), ("3", (2000.0, 500.0)), ("4", (150.0, 90.0)), ("1", (400.0, 40.0))):
        qtbot.keyClicks(viewport, key)
        assert viewport.state.window == window
    qtbot.keyClicks(viewport, "0")
    assert viewport.state.window != (400.0, 40.0)


def test_ctrl_wheel_zooms_about_the_cursor(viewport: SliceViewport) -> None:
    cursor = QPoint(150, 120)
    before = viewport.mapToScene(cursor)
    wheel(viewport.viewport(), cursor, 2, Qt.KeyboardModifier.ControlModifier)
    assert viewport.state.zoom == pytest.approx(1.15**2)
    after = viewport.mapToScene(cursor)
    # the image point under the cursor stays put (within one screen pixel)
    assert math.hypot(after.x() - before.x(), after.y() - before.y()) * viewport.view_scale() < 1.0


def test_middle_drag_pans_with_the_mouse(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    target = viewport.viewport()
    image_point = viewport.mapToScene(QPoint(300, 250))
    qtbot.mousePress(target, Qt.MouseButton.MiddleButton, pos=QPoint(300, 250))
    qtbot.mouseMove(target, QPoint(340, 230))
    qtbot.mouseRelease(target, Qt.MouseButton.MiddleButton, pos=QPoint(340, 230))
    moved = viewport.mapFromScene(image_point)
    assert abs(moved.x() - 340) <= 1 and abs(moved.y() - 230) <= 1
    qtbot.keyClick(viewport, Qt.Key.Key_R)
    assert viewport.state.pan == (0.0, 0.0)


def test_each_tool_has_its_own_cursor(viewport: SliceViewport) -> None:
    seen = set()
    for tool in Tool:
        viewport.set_tool(tool)
        cursor = viewport.viewport().cursor()
        key = (cursor.shape(), cursor.pixmap().cacheKey() if cursor.shape() == Qt.CursorShape.BitmapCursor else 0)
        assert key == (cursor_for(tool).shape(), key[1])
        seen.add(key)
    assert len(seen) == len(Tool)


def test_image_is_fitted_with_the_pixel_aspect(show) -> None:  # type: ignore[no-untyped-def]
    volume = axial_ct(nz=10, ny=100, nx=50, spacing=(1.0, 0.5))
    viewport = show(SliceViewport(ViewportState(volume)), 400, 400)
    top_left = viewport.mapFromScene(QPointF(-0.5, -0.25))
    bottom_right = viewport.mapFromScene(QPointF(49.5, 49.75))
    # 50 mm x 50 mm on screen: a square, not 50 x 100 pixels
    assert abs((bottom_right.x() - top_left.x()) - (bottom_right.y() - top_left.y())) <= 1


def test_renders_offscreen_with_overlays(viewport: SliceViewport) -> None:
    image = viewport.grab().toImage()
    assert image.width() == 600 and image.height() == 500
    # the slice is drawn: the centre is not the black background (value -500+... at W400/L40 is black; use bone)
    viewport.state.set_window(2000, -500)
    image = viewport.grab().toImage()
    assert image.pixelColor(300, 250).value() > 50
