"""The reading window's rules as a reader meets them: blinding, locking after signature, amendment, reopening,
and errors shown as messages. Everything is driven through widgets; the database is read back to check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTableWidget,
    QTreeView,
    QWidget,
)

from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.ui.app import WorklistWindow
from sfrt_reader.ui.reading_window import ReadingWindow
from sfrt_reader.ui.state.tools import Tool
from tests.ui.reading_helpers import (
    DEMO_SUBJECT,
    add_lesion,
    answer_dialog,
    click_button,
    draw_truth_length,
    make_demo,
    open_reading_window,
    sign,
    wait_loaded,
)


def _window(qtbot: Any, session: Any, tmp_path: Path) -> ReadingWindow:
    return open_reading_window(qtbot, session, DEMO_SUBJECT, tmp_path / "settings.ini")


def _truth_t1(truth: dict[str, Any], label: str) -> dict[str, Any]:
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    return next(tp for tp in subject["timepoints"] if tp["label"] == label)["lesions"]["T1"]


def _texts(widget: QWidget) -> list[str]:
    """Every string a reader can see or hover in a widget tree: titles, labels, tooltips, list/table/tree cells."""
    out = [widget.windowTitle(), widget.toolTip(), widget.statusTip()]
    for child in [widget, *widget.findChildren(QWidget)]:
        out += [child.windowTitle(), child.toolTip(), child.statusTip()]
        if isinstance(child, QLabel | QAbstractButton | QLineEdit):
            out.append(child.text())
        if isinstance(child, QComboBox):
            out += [child.itemText(i) for i in range(child.count())]
        if isinstance(child, QListWidget):
            out += [child.item(i).text() for i in range(child.count())]
        if isinstance(child, QTableWidget):
            for r in range(child.rowCount()):
                for c in range(child.columnCount()):
                    item = child.item(r, c)
                    out += [item.text(), item.toolTip()] if item else []
            for c in range(child.columnCount()):
                header = child.horizontalHeaderItem(c)
                out.append(header.text() if header else "")
        if isinstance(child, QTreeView):
            model = child.model()
            stack = [child.rootIndex()]
            while stack:
                parent = stack.pop()
                for r in range(model.rowCount(parent)):
                    for c in range(model.columnCount(parent)):
                        index = model.index(r, c, parent)
                        out.append(str(model.data(index) or ""))
                        out.append(str(model.data(index, 3) or ""))  # tooltip role
                    stack.append(model.index(r, 0, parent))
        if hasattr(child, "info"):
            out.append(repr(child.info))
    return out


def test_blinded_worklist_and_read_show_no_identifier(qtbot, tmp_path, demo_images) -> None:  # type: ignore[no-untyped-def]
    database, truth = make_demo(tmp_path / "demo", demo_images, "central")
    service = ReadingService(open_database(database))
    session = service.login("reader1", "demo-reader1")
    assert session.blinded
    home = WorklistWindow(session)
    qtbot.addWidget(home)
    home.show()
    reading = home.open_read(DEMO_SUBJECT)
    assert reading is not None
    qtbot.addWidget(reading)
    wait_loaded(qtbot, reading)
    texts = "\n".join(_texts(home) + _texts(reading))
    assert DEMO_SUBJECT in texts  # the pseudonym is there: the walk does see the widgets' text
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    ident = subject["identity"]
    secrets = [ident["patient_id"], ident["birth_date"], ident["institution"], *ident["accession_numbers"]]
    secrets += [part for part in ident["patient_name"].split("^") if part]
    secrets += [part for part in ident["referring_physician"].split("^") if len(part) > 2]
    secrets += [subject["rt_end_date"], subject["arm"]]
    secrets += [tp["study_date"] for tp in subject["timepoints"]]
    secrets += [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in (tp["study_date"] for tp in subject["timepoints"]) if len(d) == 8]
    for secret in secrets:
        assert secret.lower() not in texts.lower(), "an identifier reached a widget"
    reading.close()


@pytest.fixture
def local(tmp_path: Path, demo_images: Path, qtbot: Any) -> tuple[ReadingWindow, Any, dict[str, Any]]:
    database, truth = make_demo(tmp_path / "demo", demo_images, "local")
    session = ReadingService(open_database(database)).login("local", "demo-local")
    return _window(qtbot, session, tmp_path), session, truth


def _baseline_read(qtbot: Any, window: ReadingWindow, truth: dict[str, Any]) -> None:
    add_lesion(qtbot, window, "target", "thigh")
    draw_truth_length(qtbot, window, _truth_t1(truth, "baseline"))


def test_signing_locks_editing(qtbot, local) -> None:  # type: ignore[no-untyped-def]
    window, session, truth = local
    _baseline_read(qtbot, window, truth)
    sign(qtbot, window, "demo-local")
    qtbot.waitUntil(lambda: window.reading_label == "3m", timeout=10_000)
    window.panel.timepoint.setCurrentIndex(window.panel.timepoint.findData("baseline"))
    assert window.reading_label == "baseline" and window.locked
    p = window.panel
    assert p.banner.isVisible() and "read-only" in p.banner.text()
    for widget in (p.add_button, p.too_small, p.disappeared, p.not_evaluable, p.sign_button):
        assert not widget.isEnabled()
    for tool in (Tool.LENGTH, Tool.BIDIMENSIONAL, Tool.ELLIPSE, Tool.FREEHAND, Tool.SEGMENT):
        assert not window.tool_actions[tool].isEnabled()
    before = session.view(window.read_id).timepoints[0]
    # a drag on the signed baseline, even with the length tool forced on, changes nothing that is stored
    window.grid.set_tool(Tool.LENGTH)
    draw_truth_length_no_tool(qtbot, window, _truth_t1(truth, "baseline"))
    after = session.view(window.read_id).timepoints[0]
    assert after == before
    assert window.banner.isVisible() and "not saved: baseline is signed" in window.banner.label.text()


def draw_truth_length_no_tool(qtbot: Any, window: ReadingWindow, lesion: dict[str, Any]) -> None:
    from tests.ui.reading_helpers import drag, go_to_slice, widget_point

    viewport = window.reading_viewport()
    go_to_slice(qtbot, viewport, int(lesion["axial_slice_index"]))
    a, b = lesion["longest_axial_line_lps"]
    drag(qtbot, viewport, widget_point(viewport, a), widget_point(viewport, b))


def test_amendment_needs_a_reason_and_keeps_the_signed_version(qtbot, local) -> None:  # type: ignore[no-untyped-def]
    window, session, truth = local
    _baseline_read(qtbot, window, truth)
    sign(qtbot, window, "demo-local")
    qtbot.waitUntil(lambda: window.reading_label == "3m", timeout=10_000)
    window.panel.timepoint.setCurrentIndex(window.panel.timepoint.findData("baseline"))
    answer_dialog(qtbot, "remeasured on the correct slice")
    click_button(qtbot, window.panel.amend_button)
    qtbot.waitUntil(lambda: not window.locked, timeout=10_000)
    versions = session.history(window.read_id, "baseline")
    assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "draft")]
    assert versions[0].signature is not None and versions[1].amendment_reason == "remeasured on the correct slice"
    assert window.tool_actions[Tool.LENGTH].isEnabled() and window.panel.sign_button.isEnabled()
    assert "Amendment v2" in window.panel.banner.text()


def test_reopening_a_read_restores_each_measurement_on_its_slice(qtbot, local, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window, session, truth = local
    _baseline_read(qtbot, window, truth)
    saved = session.view(window.read_id).timepoints[0].measurements[0]
    window.close()
    again = _window(qtbot, session, tmp_path)
    viewport = again.reading_viewport()
    items = [m for m in viewport.measurements if m.lesion_id == "T1"]
    assert len(items) == 1 and items[0].kind == "length"
    assert items[0].slice_index == _truth_t1(truth, "baseline")["axial_slice_index"]
    assert items[0].value is not None
    assert items[0].value.result.length_mm == pytest.approx(saved.diameter_mm, abs=1e-6)
    # reopening saved nothing new
    assert session.view(again.read_id).timepoints[0].measurements[0] == saved


def test_errors_appear_as_messages_in_the_window(qtbot, local) -> None:  # type: ignore[no-untyped-def]
    window, session, truth = local
    sign(qtbot, window, "demo-local")  # nothing defined yet
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert "cannot be signed yet" in window.banner.label.text()
    _baseline_read(qtbot, window, truth)
    sign(qtbot, window, "not-the-password")
    qtbot.waitUntil(lambda: "wrong password" in window.banner.label.text(), timeout=10_000)
    assert session.view(window.read_id).timepoints[0].status == "draft"


def test_cancel_drops_a_running_segmentation(qtbot, local) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from tests.ui.reading_helpers import click_tool, go_to_slice, widget_point

    window, session, truth = local
    add_lesion(qtbot, window, "target", "thigh")
    t1 = _truth_t1(truth, "baseline")
    viewport = window.reading_viewport()
    go_to_slice(qtbot, viewport, int(t1["axial_slice_index"]))
    click_tool(qtbot, window, Tool.SEGMENT)
    qtbot.mouseClick(viewport.viewport(), Qt.MouseButton.LeftButton, pos=widget_point(viewport, t1["centroid_lps"]))
    assert window.cancel_button.isVisible() and window.segment_tasks  # still running
    click_button(qtbot, window.cancel_button)
    qtbot.waitUntil(lambda: window.pool.activeThreadCount() == 0, timeout=120_000)
    qtbot.wait(50)
    assert window.proposal is None and window.segment_tasks == []
    assert session.view(window.read_id).timepoints[0].measurements == ()
