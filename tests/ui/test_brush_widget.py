"""The brush through the widgets: mouse strokes on the viewport add and erase the disc of the brush, Ctrl+Z restores,
and the lesion table shows the volume of the edited mask (counted here from the voxels, not taken from the code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from sfrt_reader.ui.reading_window import ReadingWindow
from sfrt_reader.ui.state.tools import Tool
from tests.ui.conftest import wheel
from tests.ui.reading_helpers import (
    DEMO_SUBJECT,
    add_lesion,
    brush_stroke,
    demo_window,
    go_to_slice,
    segment_and_accept,
    wait_loaded,
    widget_point,
)


def _disc_pixels(viewport: Any, pos: QPoint, radius_mm: float) -> set[tuple[int, int]]:
    """(j, i) of the slice pixels whose centres lie within radius_mm of the pixel under the mouse, in index space."""
    volume = viewport.state.volume
    u, v = viewport.scene_to_display(viewport.mapToScene(pos))
    sx, sy = volume.pixel_spacing
    nx, ny, _nz = volume.size
    jj, ii = np.mgrid[0:ny, 0:nx].astype(float)
    inside = ((ii - u) * sx) ** 2 + ((jj - v) * sy) ** 2 <= radius_mm**2 * (1 + 1e-9)
    return {(int(j), int(i)) for j, i in zip(*np.nonzero(inside), strict=True)}


def _mask_pixels(window: ReadingWindow, k: int) -> set[tuple[int, int]]:
    mask = window.masks.mask((window.reading_label, "T1"))
    assert mask is not None
    return {(int(j), int(i)) for z, j, i in mask.voxel_indices() if z == k}


def _stored_t1(window: ReadingWindow) -> Any:
    """T1's measurement as the read database holds it, once the saves running off the GUI thread have landed."""
    import time

    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + 60
    while window.masks.saver.pending and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)
    a = window.assessment()
    assert a is not None
    return next(m for m in a.measurements if m.lesion == "T1")


def _volume_ml(window: ReadingWindow) -> float:
    """Voxel count x voxel volume: the demo's slices are evenly spaced, so this is the lesion volume."""
    mask = window.masks.mask((window.reading_label, "T1"))
    volume = window.volume_of[window.reading_label]
    sx, sy = volume.pixel_spacing
    return float(mask.voxels * sx * sy * volume.slice_spacing_mm / 1000.0)  # type: ignore[union-attr]


def _segmented_baseline_target(qtbot: Any, window: ReadingWindow) -> tuple[dict[str, Any], Any, int]:
    """T1 added at baseline, segmented with one click and accepted; the viewport shows its measured slice k."""
    lesion = window.truth["baseline"]["lesions"]["T1"]  # type: ignore[attr-defined]
    add_lesion(qtbot, window, "target", "thigh")
    segment_and_accept(qtbot, window, lesion)
    viewport = window.reading_viewport()
    k = int(lesion["axial_slice_index"])
    go_to_slice(qtbot, viewport, k)
    return lesion, viewport, k


@pytest.fixture
def window(qtbot, tmp_path: Path, demo_images: Path):  # type: ignore[no-untyped-def]
    win = demo_window(qtbot, tmp_path, demo_images)
    yield win
    win.close()


def test_brush_adds_erases_undoes_and_updates_the_table(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    lesion, viewport, k = _segmented_baseline_target(qtbot, window)
    original = _mask_pixels(window, k)
    original_volume = _stored_t1(window).volume_ml
    assert original_volume == pytest.approx(_volume_ml(window), rel=1e-9)

    # the outline of the accepted mask is drawn on the slice shown
    shown = viewport.mask_overlay.masks
    assert [m.code for m in shown] == ["T1"] and not shown[0].proposal
    _plane, outline = viewport.mask_overlay.cut(shown[0])
    assert outline

    # B selects the brush; ] and Ctrl+wheel resize it; the circle is drawn at true size
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    viewport.setFocus()
    qtbot.keyClick(viewport, "b")
    assert window.grid.tool == Tool.BRUSH
    start = viewport.brush.radius_mm
    qtbot.keyClick(viewport, Qt.Key.Key_BracketRight)
    assert viewport.brush.radius_mm == pytest.approx(start * 1.2)
    wheel(viewport.viewport(), QPoint(50, 50), -1, Qt.KeyboardModifier.ControlModifier)
    assert viewport.brush.radius_mm == pytest.approx(start)
    assert viewport.state.slice_index == k  # Ctrl+wheel resized the brush, it did not scroll
    radius = viewport.brush.radius_mm
    centre = np.asarray(lesion["centroid_lps"], dtype=float)
    a = widget_point(viewport, centre)
    b = widget_point(viewport, centre + np.array([radius, 0.0, 0.0]))
    assert viewport.brush_radius_px() == pytest.approx(abs(b.x() - a.x()), abs=1.0)

    # a click 1.2 lesion diameters to the side (towards the image centre) paints exactly the disc of the brush,
    # on this slice only
    away = widget_point(viewport, centre - np.array([1.2 * lesion["longest_axial_diameter_mm"], 0.0, 0.0]))
    disc = _disc_pixels(viewport, away, radius)
    assert not disc & original and len(disc) > 20
    brush_stroke(qtbot, viewport, [away])
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    assert _mask_pixels(window, k) == original | disc
    assert window.masks.mask(("baseline", "T1")).method.endswith("brush edits")
    painted_volume = _volume_ml(window)
    assert painted_volume > original_volume
    assert _stored_t1(window).volume_ml == pytest.approx(painted_volume, rel=1e-9)
    row = next(
        r for r in range(window.lesion_table.rowCount()) if "T1" in window.lesion_table.verticalHeaderItem(r).text()
    )
    assert f"vol {painted_volume:.1f} ml" in window.lesion_table.item(row, 0).text()

    # Shift+drag across the painted disc erases it again (the drag sweeps the brush over the whole disc)
    left = QPoint(away.x() - 3, away.y())
    right = QPoint(away.x() + 3, away.y())
    brush_stroke(qtbot, viewport, [left, away, right], erase=True)
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    assert _mask_pixels(window, k) == original
    assert _stored_t1(window).volume_ml == pytest.approx(original_volume, rel=1e-9)

    # Ctrl+Z undoes the erase (the disc is back, and saved), then the paint
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _mask_pixels(window, k) == original | disc
    assert _stored_t1(window).volume_ml == pytest.approx(painted_volume, rel=1e-9)
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _mask_pixels(window, k) == original
    assert _stored_t1(window).volume_ml == pytest.approx(original_volume, rel=1e-9)
    assert f"vol {original_volume:.1f} ml" in window.lesion_table.item(row, 0).text()
    # ... and redo paints it again without measuring anew (only the save runs, off the GUI thread)
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not window.masks.tasks and not window.masks.strokes and window.masks.painting is None
    assert _stored_t1(window).volume_ml == pytest.approx(painted_volume, rel=1e-9)

    # M fills the masks; a 50 mm eraser clears the lesion on this slice only (its other slices stay)
    qtbot.keyClick(viewport, "m")
    assert viewport.mask_overlay.fill and window.mask_fill_action.isChecked()
    before = _mask_pixels(window, k)
    wheel(viewport.viewport(), QPoint(50, 50), 13, Qt.KeyboardModifier.ControlModifier)  # to the 50 mm maximum
    assert viewport.brush.radius_mm == 50.0
    at = widget_point(viewport, centre)
    brush_stroke(qtbot, viewport, [at], erase=True)
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    assert _mask_pixels(window, k) == before - _disc_pixels(viewport, at, 50.0)
    assert _stored_t1(window).volume_ml == pytest.approx(_volume_ml(window), rel=1e-9)
    assert _volume_ml(window) < painted_volume
    assert not window.errors, window.errors

    # the edited mask is what the read database holds: a new window on the read (after a crash, say) shows it
    edited = window.masks.mask(("baseline", "T1"))
    again = ReadingWindow(window.session, DEMO_SUBJECT, settings=window.settings)
    qtbot.addWidget(again)
    again.resize(1200, 800)
    again.show()
    wait_loaded(qtbot, again)
    assert again.masks.mask(("baseline", "T1")) == edited
    assert [m.code for m in again.reading_viewport().mask_overlay.masks] == ["T1"]
    again.close()


def test_signing_ends_the_undo_history_of_the_brush(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+Z after signing (the window has moved on to the next timepoint) must not change the signed mask."""
    from tests.ui.reading_helpers import click_tool, sign

    lesion, viewport, _k = _segmented_baseline_target(qtbot, window)
    click_tool(qtbot, window, Tool.BRUSH)
    centre = np.asarray(lesion["centroid_lps"], dtype=float)
    away = widget_point(viewport, centre - np.array([1.2 * lesion["longest_axial_diameter_mm"], 0.0, 0.0]))
    brush_stroke(qtbot, viewport, [away])
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    assert window.undo_stack.canUndo()
    signed_volume = _stored_t1(window).volume_ml
    sign(qtbot, window, "demo-local")
    qtbot.waitUntil(lambda: window.reading_label == "3m", timeout=10_000)
    assert not window.undo_stack.canUndo()
    current = window.reading_viewport()
    current.setFocus()
    qtbot.keyClick(current, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    base = window.assessment("baseline")
    assert base is not None and base.status == "signed"
    assert next(m for m in base.measurements if m.lesion == "T1").volume_ml == signed_volume
    assert window.masks.mask(("baseline", "T1")) == window.masks.stored_mask(("baseline", "T1"))


def test_the_worker_paints_exactly_the_mask_of_apply_brush_stroke(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The stroke worker (inside the lesion's box) and `apply_brush_stroke` (whole grid) on the same input."""
    from sfrt_reader.measurement.brush import apply_brush_stroke
    from sfrt_reader.ui.lesion_masks import Stroke, StrokeTask

    lesion, viewport, k = _segmented_baseline_target(qtbot, window)
    key = (window.reading_label, "T1")
    base = window.masks.mask(key)
    volume = viewport.state.volume
    centre = np.asarray(lesion["centroid_lps"], dtype=float)
    rim = centre + np.array([0.5 * lesion["longest_axial_diameter_mm"], 0.0, 0.0])
    for path, radius, erase in (
        (np.array([rim, rim + np.array([8.0, 6.0, 0.0])]), 4.0, False),
        (np.array([centre, rim]), 6.5, True),
    ):
        got: list[Any] = []
        task = StrokeTask(Stroke(key, volume, path, radius, erase), base)
        task.signals.done.connect(lambda _task, mask, got=got: got.append(mask))
        task.signals.failed.connect(lambda _task, message: pytest.fail(message))
        task.run()
        qtbot.waitUntil(lambda got=got: bool(got))
        want = apply_brush_stroke(volume, base, path, radius, "erase" if erase else "add").segmentation
        assert got[0] == want
        assert np.array_equal(got[0].full_mask(), want.full_mask()) and got[0].full_mask()[k].any()


def test_strokes_drawn_while_one_is_painted_queue_in_order(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Two strokes in quick succession: neither is lost, the second paints on the first's mask, the GUI thread
    computes neither (the mask shown changes only once the workers report), and each stroke is one undo step."""
    from sfrt_reader.measurement.brush import brush_stroke as paint_stroke

    lesion, viewport, k = _segmented_baseline_target(qtbot, window)
    from tests.ui.reading_helpers import click_tool

    click_tool(qtbot, window, Tool.BRUSH)
    key = (window.reading_label, "T1")
    original = window.masks.mask(key)
    emitted: list[tuple[np.ndarray, float, bool]] = []
    window.grid.brush_stroke.connect(lambda _vp, _k, path, radius, erase: emitted.append((path, radius, erase)))
    centre = np.asarray(lesion["centroid_lps"], dtype=float)
    d = lesion["longest_axial_diameter_mm"]
    away = widget_point(viewport, centre - np.array([1.2 * d, 0.0, 0.0]))
    across = [widget_point(viewport, centre + np.array([x, 0.0, 0.0])) for x in (-1.3 * d, -0.9 * d)]
    steps = window.undo_stack.count()

    brush_stroke(qtbot, viewport, [away])
    brush_stroke(qtbot, viewport, across, erase=True)  # erases part of what the first stroke painted
    # no event loop ran since the releases: a mask computed on the GUI thread would already be shown
    assert window.masks.mask(key) is original and window.masks.busy
    assert len(window.masks.strokes) == 2 and len(viewport._pending_strokes) == 2
    # signing now would sign a mask the reader has not seen: refused until the strokes are painted and measured
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    QTimer.singleShot(5000, lambda: (d := QApplication.activeModalWidget()) is not None and d.reject())
    window.panel.sign_button.click()
    assert window.errors and "still being painted" in window.errors[-1]
    window.errors.clear()
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)

    (p1, r1, e1), (p2, r2, e2) = emitted
    assert (e1, e2) == (False, True)
    first = paint_stroke(viewport.state.volume, original, p1, r1, "add")
    second = paint_stroke(viewport.state.volume, first, p2, r2, "erase")
    assert first.full_mask()[k].sum() > original.full_mask()[k].sum()
    assert second.full_mask()[k].sum() < first.full_mask()[k].sum()
    assert window.masks.mask(key) == second
    assert window.undo_stack.count() == steps + 2 and not viewport._pending_strokes
    assert _stored_t1(window).volume_ml == pytest.approx(_volume_ml(window), rel=1e-9)
    viewport.setFocus()
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.masks.mask(key) == first

    # a stroke still being painted when the reader presses Ctrl+Z is painted on the mask the undo left (the
    # original, without the first stroke's disc), not on the mask it started from
    other = widget_point(viewport, centre - np.array([1.2 * d, 3.0 * viewport.brush.radius_mm, 0.0]))
    brush_stroke(qtbot, viewport, [other])
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.masks.mask(key) == original
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    p3, r3, _ = emitted[-1]
    want = paint_stroke(viewport.state.volume, original, p3, r3, "add")
    assert window.masks.mask(key) == want and want.full_mask()[k].sum() > original.full_mask()[k].sum()
    assert _stored_t1(window).volume_ml == pytest.approx(_volume_ml(window), rel=1e-9)
    assert not window.errors, window.errors


def test_the_save_of_a_stroke_runs_off_the_gui_thread_and_survives_closing(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The measured stroke is written by the save queue's worker thread, not the GUI thread; closing the window
    while that (slow) save is still running waits for it: the read database holds the edited mask afterwards."""
    import threading
    import time

    from tests.ui.reading_helpers import click_tool

    lesion, viewport, _k = _segmented_baseline_target(qtbot, window)
    click_tool(qtbot, window, Tool.BRUSH)
    session = window.session
    record = session.record_measurement
    threads: list[threading.Thread] = []

    def slow_record(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        time.sleep(1.0)  # a busy database: the save is still running when the window is closed
        return record(*args, **kwargs)

    session.record_measurement = slow_record  # type: ignore[method-assign]
    centre = np.asarray(lesion["centroid_lps"], dtype=float)
    away = widget_point(viewport, centre - np.array([1.2 * lesion["longest_axial_diameter_mm"], 0.0, 0.0]))
    brush_stroke(qtbot, viewport, [away])
    qtbot.waitUntil(lambda: bool(threads), timeout=60_000)  # painted and measured: the save has started
    assert threads[0] is not threading.main_thread()
    assert window.masks.saver.pending and window.masks.busy
    edited = window.masks.mask(("baseline", "T1"))
    old = next(m for m in window.assessment().measurements if m.lesion == "T1")  # type: ignore[union-attr]
    sx, sy = viewport.state.volume.pixel_spacing
    edited_ml = edited.voxels * sx * sy * viewport.state.volume.slice_spacing_mm / 1000.0  # type: ignore[union-attr]
    assert old.volume_ml < edited_ml  # not saved yet: the read on screen still has the volume before the stroke
    window.close()
    assert not window.isVisible() and not window.masks.saver.pending
    assert len(threads) == 1  # saved once
    reread = session.view(window.read_id)
    t1 = next(m for m in next(t for t in reread.timepoints if t.label == "baseline").measurements if m.lesion == "T1")
    assert t1.volume_ml == pytest.approx(edited_ml)


def test_a_window_that_cannot_finish_saving_stays_open_and_says_why(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """If the strokes drawn cannot be painted, measured and saved in time, closing is refused with a message (and
    nothing is dropped); once they are done, the window closes."""
    from tests.ui.reading_helpers import click_tool

    lesion, viewport, _k = _segmented_baseline_target(qtbot, window)
    click_tool(qtbot, window, Tool.BRUSH)
    centre = np.asarray(lesion["centroid_lps"], dtype=float)
    away = widget_point(viewport, centre - np.array([1.2 * lesion["longest_axial_diameter_mm"], 0.0, 0.0]))
    finish = window.masks.finish
    window.masks.finish = lambda: finish(timeout_s=0.0)  # type: ignore[method-assign]
    brush_stroke(qtbot, viewport, [away])
    assert window.masks.busy
    window.close()
    assert window.isVisible()
    assert window.errors and "still being saved" in window.errors[-1]
    assert window.masks.strokes or window.masks.painting is not None or window.masks.tasks  # nothing dropped
    window.masks.finish = finish  # type: ignore[method-assign]
    window.close()
    assert not window.isVisible() and not window.masks.busy
    assert _stored_t1(window).volume_ml == pytest.approx(_volume_ml(window), rel=1e-9)
