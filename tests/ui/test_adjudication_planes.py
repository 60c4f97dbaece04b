"""The adjudicator's desk shows a measurement in the plane the reader drew it: reader A measured T1 at 3 months
in the coronal plane; choosing that cell of read A's lesion table shows the line on the coronal slice it lies on,
and the plane buttons switch each read's viewer between axial, coronal and sagittal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.ui.adjudication_window import AdjudicationWindow
from sfrt_reader.ui.state.planes import Plane
from tests.ui.adjudication_helpers import PASSWORDS, coronal_line, make_discordant
from tests.ui.reading_helpers import DEMO_SUBJECT, make_demo

CORONAL_AT = "3m"


@pytest.fixture
def desk(qtbot, tmp_path: Path, demo_images: Path):  # type: ignore[no-untyped-def]
    database, truth = make_demo(tmp_path / "demo", demo_images, "central")
    service = ReadingService(open_database(database))
    make_discordant(service, truth, DEMO_SUBJECT, coronal_a=frozenset({CORONAL_AT}))
    session = service.login("adjudicator", PASSWORDS["adjudicator"])
    window = AdjudicationWindow(session, DEMO_SUBJECT)
    qtbot.addWidget(window)
    window.resize(1700, 1000)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: not window.tasks and len(window.volume_of) == len(window.images), timeout=120_000)
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    window.truth = {tp["label"]: tp for tp in subject["timepoints"]}  # type: ignore[attr-defined]
    yield window
    window.close()


def _viewport(pane: Any, label: str) -> Any:
    return next(vp for vp in pane.grid.viewports if vp.info.timepoint_label == label)


def _click_cell(qtbot: Any, table: Any, row: int, column: int) -> None:
    table.scrollToItem(table.item(row, column))
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _visible_t1(viewport: Any) -> list[Any]:
    return [m for m in viewport.measurements if m.lesion_id == "T1" and m.isVisible()]


def test_a_coronal_measurement_is_shown_on_the_desk_in_its_plane(qtbot, desk) -> None:  # type: ignore[no-untyped-def]
    pane_a, pane_b = desk.pane_a, desk.pane_b
    assert desk.current_label != CORONAL_AT  # the desk opens on the disagreement (6 months), not on 3 months
    table = pane_a.lesion_table
    row = next(r for r, les in enumerate(pane_a.read.lesions) if les.code == "T1")
    column = next(c for c, tp in enumerate(pane_a.read.timepoints) if tp.label == CORONAL_AT)

    _click_cell(qtbot, table, row, column)
    assert desk.current_label == CORONAL_AT, desk.errors
    viewport = _viewport(pane_a, CORONAL_AT)
    assert viewport.state.plane == Plane.CORONAL
    [line] = _visible_t1(viewport)
    # the line shown is reader A's: its ends are the stored coronal line's (same y: it lies in the coronal slice)
    start, end, length = coronal_line(desk.truth[CORONAL_AT]["lesions"]["T1"])
    result = line.value.result
    assert result.length_mm == pytest.approx(length, abs=2 * viewport.state.volume.pixel_spacing[0])
    got = sorted([np.asarray(result.start), np.asarray(result.end)], key=lambda p: p[2])
    for g, want in zip(got, sorted([np.asarray(start), np.asarray(end)], key=lambda p: p[2]), strict=True):
        assert np.allclose(g[[0, 2]], want[[0, 2]], atol=viewport.state.volume.slice_spacing_mm)
    assert abs(got[0][1] - start[1]) <= viewport.state.volume.pixel_spacing[1]  # on the coronal slice through it
    assert pane_a.plane_buttons[Plane.CORONAL].isChecked()
    assert "coronal" in desk.status.text()

    # the plane buttons: axial hides the coronal line, coronal brings it back (on its slice)
    qtbot.mouseClick(pane_a.plane_buttons[Plane.AXIAL], Qt.MouseButton.LeftButton)
    assert viewport.state.plane == Plane.AXIAL and not _visible_t1(viewport)
    assert pane_a.plane_buttons[Plane.AXIAL].isChecked() and not pane_a.plane_buttons[Plane.CORONAL].isChecked()
    # ... and choosing the cell again jumps back to the plane and slice it was drawn on
    _click_cell(qtbot, table, row, column)
    assert viewport.state.plane == Plane.CORONAL and _visible_t1(viewport) == [line]
    qtbot.mouseClick(pane_a.plane_buttons[Plane.SAGITTAL], Qt.MouseButton.LeftButton)
    assert viewport.state.plane == Plane.SAGITTAL and not _visible_t1(viewport)
    qtbot.mouseClick(pane_a.plane_buttons[Plane.CORONAL], Qt.MouseButton.LeftButton)
    assert viewport.state.plane == Plane.CORONAL and _visible_t1(viewport) == [line]
    # the sum row is no lesion: choosing it changes nothing
    _click_cell(qtbot, table, len(pane_a.read.lesions), column)
    assert viewport.state.plane == Plane.CORONAL and _visible_t1(viewport) == [line]

    # reader B drew T1 at 3 months in the axial plane: his pane shows it there, choosing his cell keeps axial
    b_row = next(r for r, les in enumerate(pane_b.read.lesions) if les.code == "T1")
    _click_cell(qtbot, pane_b.lesion_table, b_row, column)
    b_view = _viewport(pane_b, CORONAL_AT)
    assert b_view.state.plane == Plane.AXIAL and len(_visible_t1(b_view)) == 1
    assert pane_b.plane_buttons[Plane.AXIAL].isChecked()
    # a lesion without a drawing at that timepoint is said so, nothing moves
    n1 = next((r for r, les in enumerate(pane_b.read.lesions) if les.code != "T1" and les.role != "non-target"), None)
    if n1 is not None:
        baseline = next(c for c, tp in enumerate(pane_b.read.timepoints) if tp.label == "baseline")
        _click_cell(qtbot, pane_b.lesion_table, n1, baseline)
        assert "no drawing" in desk.status.text()
