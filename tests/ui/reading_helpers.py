"""Driving the reading window through its widgets: keys, mouse clicks and drags on viewports and panels."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QListWidget, QPlainTextEdit, QPushButton

from sfrt_reader.ui.reading_window import ReadingWindow
from sfrt_reader.ui.state.tools import Tool

DEMO_SUBJECT = "demo-02"


def generate_images(out: Path) -> None:
    """One demo subject at 256 x 256: the one-click segmentation needs the 1.5 mm pixels (at 3 mm it finds only
    part of the tumour), and one subject keeps the generation short."""
    from sfrt_reader.imaging.demo_trial import generate_demo_trial
    from sfrt_reader.trial.expected import expected_responses

    out.mkdir(parents=True, exist_ok=True)
    generate_demo_trial(out, size=256, subjects=(DEMO_SUBJECT,), expected=expected_responses)


def make_demo(root: Path, images: Path, paradigm: str) -> tuple[Path, dict[str, Any]]:
    """A demo database (via `sfrt-reader demo`'s set-up) on shared demo images; returns it and the ground truth."""
    from sfrt_reader.commands.demo import prepare_demo

    root.mkdir(parents=True, exist_ok=True)
    (root / "trial").symlink_to(images, target_is_directory=True)
    setup = prepare_demo(root, paradigm, 256, quiet=True)
    truth = json.loads((images / "ground_truth.json").read_text())
    return setup.database, truth


def wait_loaded(qtbot: Any, window: ReadingWindow) -> None:
    qtbot.waitUntil(lambda: not window.tasks and len(window.volume_of) == len(window.images), timeout=120_000)


def open_reading_window(
    qtbot: Any,
    session: Any,
    subject: str,
    settings_file: Path,
    configure: Callable[[ReadingWindow], None] | None = None,
    size: tuple[int, int] = (1600, 1000),
) -> ReadingWindow:
    """The reading window on `subject`, shown at a reading size with every timepoint loaded. `configure` runs
    before the event loop does, so it acts before any load or background task has finished."""
    window = ReadingWindow(session, subject, settings=QSettings(str(settings_file), QSettings.Format.IniFormat))
    if configure is not None:
        configure(window)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    wait_loaded(qtbot, window)
    return window


def demo_window(qtbot: Any, root: Path, images: Path) -> ReadingWindow:
    """The local reader's window on the demo subject, loaded, with the subject's ground truth per timepoint label
    as `window.truth` (the brush and save tests compare against it)."""
    from sfrt_reader.reading import ReadingService, open_database

    database, truth = make_demo(root / "demo", images, "local")
    session = ReadingService(open_database(database)).login("local", "demo-local")
    window = open_reading_window(qtbot, session, DEMO_SUBJECT, root / "s.ini", size=(1500, 950))
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    window.truth = {tp["label"]: tp for tp in subject["timepoints"]}  # type: ignore[attr-defined]
    return window


def click_tool(qtbot: Any, window: ReadingWindow, tool: Tool) -> None:
    button = window.toolbar.widgetForAction(window.tool_actions[tool])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.grid.tool == tool


def go_to_slice(qtbot: Any, viewport: Any, k: int) -> None:
    """Arrow keys until the viewport shows slice k (whichever way the keys run)."""
    for _ in range(400):
        now = viewport.state.slice_index
        if now == k:
            return
        qtbot.keyClick(viewport, Qt.Key.Key_Down)
        if viewport.state.slice_index == now or abs(viewport.state.slice_index - k) > abs(now - k):
            qtbot.keyClick(viewport, Qt.Key.Key_Up)
            qtbot.keyClick(viewport, Qt.Key.Key_Up)
    assert viewport.state.slice_index == k


def widget_point(viewport: Any, lps: Any) -> QPoint:
    """The viewport pixel over a patient point (for the test to aim its mouse, like a reader's eye)."""
    volume = viewport.state.volume
    ijk = volume.lps_to_index(np.asarray(lps, dtype=float).reshape(1, 3))[0]
    u, v, _k = viewport.state.geometry.index_to_display(ijk)
    return viewport.mapFromScene(viewport.display_to_scene(u, v))


def drag(qtbot: Any, viewport: Any, a: QPoint, b: QPoint) -> None:
    target = viewport.viewport()
    qtbot.mousePress(target, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(target, QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(target, b)
    qtbot.mouseRelease(target, Qt.MouseButton.LeftButton, pos=b)


def click_button(qtbot: Any, button: QPushButton) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def answer_dialog(qtbot: Any, text: str, ok: bool = True) -> None:
    """When the next modal dialog opens: type `text` in its field and press its OK (or Cancel) button."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, fill)
            return
        field = dialog.findChild(QLineEdit) or dialog.findChild(QPlainTextEdit)
        assert field is not None
        qtbot.keyClicks(field, text)
        buttons = [
            b for b in dialog.findChildren(QPushButton) if b.text() in (("Sign", "Amend") if ok else ("Cancel",))
        ]
        qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)

    QTimer.singleShot(20, fill)


def choose(qtbot: Any, combo: QComboBox, data: str) -> None:
    """Pick the entry of a combo box with the keyboard, as a reader tabbing through the panel: Home, then Down."""
    assert combo.isEnabled(), combo.objectName()
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentData() == data:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == data, (combo.objectName(), data)


def click_row(qtbot: Any, widget: QListWidget, row: int) -> None:
    """Click a row of a list with the mouse."""
    item = widget.item(row)
    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=widget.visualItemRect(item).center())
    assert widget.currentRow() == row


def brush_stroke(qtbot: Any, viewport: Any, points: list[QPoint], erase: bool = False) -> None:
    """Press, move through the points and release: one brush stroke (Shift held to erase)."""
    mods = Qt.KeyboardModifier.ShiftModifier if erase else Qt.KeyboardModifier.NoModifier
    target = viewport.viewport()
    qtbot.mousePress(target, Qt.MouseButton.LeftButton, mods, points[0])
    for point in points[1:]:
        qtbot.mouseMove(target, point)
    qtbot.mouseRelease(target, Qt.MouseButton.LeftButton, mods, points[-1])


def add_lesion(qtbot: Any, window: ReadingWindow, role: str, organ: str, nodal: bool = False) -> None:
    p = window.panel
    choose(qtbot, p.role, role)
    p.organ.setFocus()
    qtbot.keyClick(p.organ, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # typing replaces the selection
    qtbot.keyClicks(p.organ, organ)
    assert p.organ.text() == organ
    if nodal != p.nodal.isChecked():
        qtbot.mouseClick(p.nodal, Qt.MouseButton.LeftButton)
    click_button(qtbot, p.add_button)


def segment_and_accept(qtbot: Any, window: ReadingWindow, lesion_truth: dict[str, Any]) -> None:
    viewport = window.reading_viewport()
    go_to_slice(qtbot, viewport, int(lesion_truth["axial_slice_index"]))
    click_tool(qtbot, window, Tool.SEGMENT)
    seed = np.asarray(lesion_truth["centroid_lps"], dtype=float)
    qtbot.mouseClick(viewport.viewport(), Qt.MouseButton.LeftButton, pos=widget_point(viewport, seed))
    qtbot.waitUntil(lambda: window.proposal is not None or bool(window.errors), timeout=120_000)
    assert window.proposal is not None, window.errors
    click_button(qtbot, window.panel.accept_segmentation)


def draw_truth_length(qtbot: Any, window: ReadingWindow, lesion_truth: dict[str, Any]) -> None:
    viewport = window.reading_viewport()
    go_to_slice(qtbot, viewport, int(lesion_truth["axial_slice_index"]))
    click_tool(qtbot, window, Tool.LENGTH)
    a, b = lesion_truth["longest_axial_line_lps"]
    drag(qtbot, viewport, widget_point(viewport, a), widget_point(viewport, b))


def sign(qtbot: Any, window: ReadingWindow, password: str) -> None:
    answer_dialog(qtbot, password)
    click_button(qtbot, window.panel.sign_button)


def assert_reasons_in_full(panel: Any) -> int:
    """Every reason row of a response panel (`ResponsePanel`, unfolded) holds its text wrapped to the row's width,
    inside the panel, never elided; returns how many of them needed more than one line."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics

    from sfrt_reader.ui.wrapped_rows import WRAP_FLAGS

    metrics = QFontMetrics(panel.font())
    right = panel.viewport().rect().right() + 1
    wrapped_rows = 0
    stack = [panel.topLevelItem(n) for n in range(panel.topLevelItemCount())]
    while stack:
        item = stack.pop()
        stack.extend(item.child(n) for n in range(item.childCount()))
        if item.childCount() or item.parent() is None:
            continue  # a timepoint row or a criterion's head: columns, not a sentence
        rect = panel.visualItemRect(item)
        text = item.text(0)
        visible = min(rect.right() + 1, right) - rect.left()  # the part of the row in sight
        needed = metrics.boundingRect(QRect(0, 0, visible - 6, 100_000), WRAP_FLAGS, text)
        assert rect.left() >= 0 and visible > 40, (text, rect, right)
        assert needed.height() <= rect.height() and needed.width() <= visible, (text, needed, rect, right)
        if metrics.horizontalAdvance(text) > visible:
            wrapped_rows += 1
    return wrapped_rows
