"""The response panel shows every reason of the criteria engine in full: wrapped, never cut with "...".

The reasons are the engine's own output for a baseline 88.8 mm / 81.6 HU and a 3-month 83.0 mm / 62.6 HU target,
the numbers of the demo's first subject; the panel is shown at the width it has in the reading window (420 px)
and narrower, and each reason row's rect must hold the text wrapped to the row's width.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QTreeWidgetItem

from sfrt_reader.criteria import assess_document
from sfrt_reader.reading.views import AssessmentView, LesionView, MeasurementView, ReadView
from sfrt_reader.ui.reading_panels import ResponsePanel
from sfrt_reader.ui.wrapped_rows import WRAP_FLAGS

DOC = {
    "lesions": [{"id": "T1", "role": "target", "organ": "thigh", "nodal": False}],
    "timepoints": [
        {"label": "baseline", "day": 0, "targets": {"T1": {"diameter_mm": 88.8, "mean_hu": 81.6}}},
        {"label": "3m", "day": 140, "targets": {"T1": {"diameter_mm": 83.0, "mean_hu": 62.6}}},
    ],
}


def _read() -> ReadView:
    engine = {c: assess_document(DOC, c) for c in ("recist1.1", "choi")}
    timepoints = []
    for n, tp in enumerate(DOC["timepoints"]):
        results: dict[str, Any] = {
            c: {"overall": out["timepoints"][n]["overall"], "reasons": out["timepoints"][n]["reasons"]}
            for c, out in engine.items()
        }
        t1 = tp["targets"]["T1"]  # type: ignore[index]
        measurement = MeasurementView("T1", "measured", t1["diameter_mm"], None, t1["mean_hu"], None, "HU", None, ())
        timepoints.append(
            AssessmentView(
                str(tp["label"]), 1, "signed", int(tp["day"]), "CT", True, 5.0, {}, "no", False, None,  # type: ignore[call-overload]
                (measurement,), results, (), None, None, None,
            )
        )  # fmt: skip
    best = {
        c: {"best_overall_response": o["best_overall_response"], "reasons": o["reasons"]} for c, o in engine.items()
    }
    lesion = LesionView("T1", "target", "thigh", False, "baseline", None)
    return ReadView(1, "demo-01", "central", "reader1", (lesion,), tuple(timepoints), best, None)


def _reason_items(tree: ResponsePanel) -> list[QTreeWidgetItem]:
    found: list[QTreeWidgetItem] = []

    def walk(item: QTreeWidgetItem) -> None:
        for n in range(item.childCount()):
            child = item.child(n)
            if child.childCount() == 0:
                found.append(child)
            walk(child)

    for n in range(tree.topLevelItemCount()):
        walk(tree.topLevelItem(n))
    return found


@pytest.mark.parametrize("width", [420, 300])
def test_every_reason_is_wrapped_in_full(show, qtbot, width: int) -> None:  # type: ignore[no-untyped-def]
    panel = ResponsePanel()
    show(panel, width, 900)
    panel.show_read(_read())
    panel.expandAll()
    qtbot.wait(50)  # the delayed layout of the rows
    reasons = _reason_items(panel)
    long = "sum 83.0 mm is 6.5% below the baseline 88.8 mm (PR needs 30%) and not above the nadir 88.8 mm"
    assert any(item.text(0).startswith(long) for item in reasons)
    metrics = QFontMetrics(panel.font())
    viewport = panel.viewport().rect()
    too_long_for_one_line = 0
    for item in reasons:
        rect = panel.visualItemRect(item)
        text = item.text(0)
        assert rect.right() <= viewport.right() + 1, text
        assert rect.left() >= 0, text
        wrapped = metrics.boundingRect(QRect(0, 0, rect.width() - 6, 100_000), WRAP_FLAGS, text)
        assert wrapped.height() <= rect.height(), f"{text!r} needs {wrapped.height()} px, its row has {rect.height()}"
        assert wrapped.width() <= rect.width(), text
        if metrics.horizontalAdvance(text) > rect.width():
            too_long_for_one_line += 1
            assert rect.height() >= 2 * metrics.lineSpacing(), text
        assert item.toolTip(0) in text  # and the whole reason as a tooltip
    assert too_long_for_one_line >= 3  # the panel is narrow enough that wrapping is what makes them readable


def test_rows_rewrap_when_the_panel_narrows(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = ResponsePanel()
    show(panel, 600, 900)
    panel.show_read(_read())
    panel.expandAll()
    qtbot.wait(50)
    item = next(i for i in _reason_items(panel) if i.text(0).startswith("density 62.6 HU"))
    wide = panel.visualItemRect(item).height()
    panel.resize(260, 900)
    qtbot.waitUntil(lambda: panel.visualItemRect(item).height() > wide)


def test_response_columns_stay_aligned(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The timepoint rows keep RECIST and Choi in their own columns, one line high, under their headers."""
    panel = ResponsePanel()
    show(panel, 420, 900)
    panel.show_read(_read())
    panel.expandAll()
    qtbot.wait(50)
    row = panel.topLevelItem(1)
    assert row.text(1) == "SD" and row.text(2) == "PR"
    header = panel.header()
    for column in (1, 2):
        rect = panel.visualRect(panel.indexFromItem(row, column))
        assert rect.left() == header.sectionViewportPosition(column)
        assert rect.width() == header.sectionSize(column)
    assert panel.visualItemRect(row).height() < 2 * QFontMetrics(panel.font()).lineSpacing()
