"""Drawing measurements with the mouse: values against independently computed millimetres, undo/redo, handles."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from sfrt_reader.imaging.phantom import make_phantom_volume
from sfrt_reader.ui.state import ViewportState
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.viewport import SliceViewport
from tests.ui.volumes import disc_ct

SPACING = 0.7


@pytest.fixture
def viewport(show) -> SliceViewport:  # type: ignore[no-untyped-def]
    view = show(SliceViewport(ViewportState(disc_ct(n=128, spacing=SPACING, radius_mm=20.0))), 600, 600)
    view.state.zoom_by(2.0)
    return view


def _drag(qtbot, view: SliceViewport, points: list[QPoint]) -> None:  # type: ignore[no-untyped-def]
    target = view.viewport()
    qtbot.mousePress(target, Qt.MouseButton.LeftButton, pos=points[0])
    for p in points[1:]:
        qtbot.mouseMove(target, p)
    qtbot.mouseRelease(target, Qt.MouseButton.LeftButton, pos=points[-1])


def _true_mm(view: SliceViewport, a: QPoint, b: QPoint) -> float:
    """Distance in mm between two viewport pixels, computed without the code under test.

    Qt's own view transform gives the scene point under each pixel; scene units are pixel index x spacing on this
    axial phantom (row along +x, column along +y, square 0.7 mm pixels), so Pythagoras gives millimetres.
    """
    pa, pb = view.mapToScene(a), view.mapToScene(b)
    return math.hypot(pa.x() - pb.x(), pa.y() - pb.y())


def test_drawn_length_equals_the_true_distance_and_undo_removes_it(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(viewport, Qt.Key.Key_Down)
    viewport.set_tool(Tool.LENGTH)
    a, b = QPoint(180, 220), QPoint(420, 390)
    _drag(qtbot, viewport, [a, QPoint(300, 300), b])
    assert len(viewport.measurements) == 1
    item = viewport.measurements[0]
    assert item.kind == "length" and item.slice_index == viewport.state.slice_index
    length = item.value.result.length_mm
    assert length == pytest.approx(_true_mm(viewport, a, b), abs=1e-6)
    # and it is the on-screen distance divided by the view scale (screen pixels per mm), to within a pixel
    assert length == pytest.approx(math.hypot(240, 170) / viewport.view_scale(), abs=1.5 / viewport.view_scale())
    assert item.label.text() == f"{length:.1f} mm"
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert viewport.measurements == []
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert viewport.measurements == [item]


def test_a_click_without_drag_is_refused_with_a_message(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.LENGTH)
    messages: list[str] = []
    viewport.message.connect(messages.append)
    _drag(qtbot, viewport, [QPoint(300, 300), QPoint(300, 300)])
    assert viewport.measurements == []
    assert messages and "coincide" in messages[-1]


def test_measurements_show_only_on_their_slice(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.LENGTH)
    _drag(qtbot, viewport, [QPoint(200, 200), QPoint(400, 200)])
    item = viewport.measurements[0]
    assert item.isVisible()
    qtbot.keyClick(viewport, Qt.Key.Key_Down)
    assert not item.isVisible()
    qtbot.keyClick(viewport, Qt.Key.Key_Up)
    assert item.isVisible()


def test_dragging_a_handle_moves_the_end_point_and_undo_restores(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.LENGTH)
    a, b = QPoint(200, 300), QPoint(400, 300)
    _drag(qtbot, viewport, [a, b])
    item = viewport.measurements[0]
    before = item.value.result.length_mm
    viewport.set_tool(Tool.POINTER)
    qtbot.mouseClick(viewport.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(300, 300))  # select the line
    assert item.isSelected()
    c = QPoint(460, 300)
    _drag(qtbot, viewport, [b, QPoint(430, 300), c])
    assert item.value.result.length_mm == pytest.approx(_true_mm(viewport, a, c), abs=1e-6)
    assert item.value.result.length_mm > before
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert item.value.result.length_mm == pytest.approx(before)
    qtbot.keyClick(viewport, Qt.Key.Key_Delete)
    assert viewport.measurements == []


def test_bidimensional_short_axis_is_perpendicular(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.BIDIMENSIONAL)
    _drag(qtbot, viewport, [QPoint(200, 300), QPoint(420, 300)])
    assert viewport.measurements == []  # long axis drawn, short axis pending
    _drag(qtbot, viewport, [QPoint(300, 240), QPoint(305, 350)])
    assert len(viewport.measurements) == 1
    value = viewport.measurements[0].value.result
    assert value.long_mm == pytest.approx(_true_mm(viewport, QPoint(200, 300), QPoint(420, 300)), abs=1e-6)
    # the short axis is snapped onto the perpendicular through the press point: vertical here, 110 px long
    assert value.short_mm == pytest.approx(110 / viewport.view_scale(), abs=1.5 / viewport.view_scale())
    cos = abs(float(value.long_axis.direction @ value.short_axis.direction))
    assert cos < 1e-9


def test_ellipse_inside_the_disc_reads_its_hu(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.ELLIPSE)
    centre = viewport.mapFromScene(QPointF(63.5 * SPACING, 63.5 * SPACING))
    half = int(10.0 * viewport.view_scale())  # 10 mm box half-size: well inside the 20 mm disc
    _drag(qtbot, viewport, [centre - QPoint(half, half), centre + QPoint(half, half)])
    stats = viewport.measurements[0].value.result
    assert stats.mean == 100.0 and stats.sd == 0.0 and stats.is_hu
    # about pi * 10^2 mm2 of pixels (pixel-centre rule: within a ring of pixels)
    assert stats.area_mm2 == pytest.approx(math.pi * 100.0, rel=0.1)


def test_freehand_straddling_the_disc_edge_mixes_values(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.FREEHAND)
    centre = viewport.mapFromScene(QPointF(63.5 * SPACING, 63.5 * SPACING))
    r = int(30.0 * viewport.view_scale())  # a 30 mm outline around a 20 mm disc
    points = [
        centre + QPoint(int(r * math.cos(t)), int(r * math.sin(t))) for t in [2 * math.pi * n / 40 for n in range(41)]
    ]
    _drag(qtbot, viewport, points)
    stats = viewport.measurements[0].value.result
    disc_fraction = (20.0 / 30.0) ** 2
    assert stats.mean == pytest.approx(100.0 * disc_fraction, rel=0.1)
    assert stats.min == 0.0 and stats.max == 100.0


def test_phantom_tumour_diameter_drawn_with_the_mouse(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    """On the demo phantom, drag along the tumour's true longest diameter: the length is the true distance."""
    phantom = make_phantom_volume(seed=3)
    truth = phantom.truth["T1"]
    view = show(SliceViewport(ViewportState(phantom.volume)), 700, 700)
    view.state.set_slice(truth.axial_slice_index)
    view.state.zoom_by(2.0)
    g = view.state.geometry
    ends = []
    for lps in truth.longest_axial_line_lps:
        u, v, _ = g.index_to_display(phantom.volume.lps_to_index(lps))
        ends.append(view.mapFromScene(view.display_to_scene(u, v)))
    view.set_tool(Tool.LENGTH)
    _drag(qtbot, view, [ends[0], (ends[0] + ends[1]) / 2, ends[1]])
    length = view.measurements[0].value.result.length_mm
    assert length == pytest.approx(_true_mm(view, ends[0], ends[1]), abs=1e-6)
    # within two screen pixels of the true diameter (the mouse lands on whole pixels)
    assert length == pytest.approx(truth.longest_axial_diameter_mm, abs=2.0 / view.view_scale())
    # placed from the true end points (as when a saved read is reopened) it is exact
    placed = view.draw_lps("length", list(truth.longest_axial_line_lps))
    assert placed.value.result.length_mm == pytest.approx(math.dist(*truth.longest_axial_line_lps), abs=1e-9)


def test_scrolling_cancels_a_half_drawn_bidimensional(viewport: SliceViewport, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.BIDIMENSIONAL)
    _drag(qtbot, viewport, [QPoint(200, 300), QPoint(420, 300)])
    qtbot.keyClick(viewport, Qt.Key.Key_Down)
    _drag(qtbot, viewport, [QPoint(300, 240), QPoint(305, 350)])  # a new long axis, not a short axis
    assert viewport.measurements == []
    _drag(qtbot, viewport, [QPoint(280, 300), QPoint(330, 300)])  # the short axis across it
    assert len(viewport.measurements) == 1
    assert viewport.measurements[0].slice_index == viewport.state.slice_index


def test_measurements_panel_double_click_goes_to_the_slice(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    from sfrt_reader.ui.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    volume = disc_ct()
    window.add_volume(volume, "disc")
    viewport = window.grid.viewports[-1]
    a = volume.index_to_lps([40.0, 64.0, 3.0])
    b = volume.index_to_lps([90.0, 64.0, 3.0])
    viewport.draw_lps("length", [a, b])
    panel = window.measurements_panel
    assert panel.rowCount() == 1 and panel.item(0, 3).text() == f"{math.dist(a, b):.1f} mm"
    viewport.state.set_slice(8)
    rect = panel.visualItemRect(panel.item(0, 0))
    # a real double-click is press, release, double-click press, release (QTest's mouseDClick sends only the last two)
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert viewport.state.slice_index == 3
    assert viewport.measurements[0].isSelected()
