"""A full read of a demo subject through the widgets; the stored responses must equal the demo's expected ones.

The expected responses come from the demo generator's ground truth (computed from the true diameters and mean HU
with the thresholds of the criteria), not from the workstation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.ui.reading_window import ReadingWindow
from tests.ui.reading_helpers import (
    DEMO_SUBJECT,
    add_lesion,
    draw_truth_length,
    make_demo,
    segment_and_accept,
    sign,
    wait_loaded,
)


@pytest.fixture
def demo(tmp_path: Path, demo_images: Path) -> tuple[Path, dict[str, Any]]:
    return make_demo(tmp_path / "demo", demo_images, "local")


def test_full_read_through_the_widgets_gives_the_expected_responses(qtbot, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database, truth = demo
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    service = ReadingService(open_database(database))
    session = service.login("local", "demo-local")
    window = ReadingWindow(
        session, DEMO_SUBJECT, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    wait_loaded(qtbot, window)
    tps = {tp["label"]: tp for tp in subject["timepoints"]}

    # baseline: the target by one-click segmentation, then its longest diameter drawn by hand; a non-target node
    assert window.reading_label == "baseline"
    add_lesion(qtbot, window, "target", "thigh")
    assert window.active_lesion == "T1"
    segment_and_accept(qtbot, window, tps["baseline"]["lesions"]["T1"])
    draw_truth_length(qtbot, window, tps["baseline"]["lesions"]["T1"])
    add_lesion(qtbot, window, "non-target", "inguinal lymph node", nodal=True)
    window.panel.non_target_boxes["NT1"].setCurrentIndex(window.panel.non_target_boxes["NT1"].findData("present"))
    sign(qtbot, window, "demo-local")
    qtbot.waitUntil(lambda: window.reading_label == "3m", timeout=10_000)
    base = window.assessment("baseline")
    assert base is not None and base.status == "signed", window.errors
    t1 = next(m for m in base.measurements if m.lesion == "T1")
    assert t1.diameter_mm == pytest.approx(tps["baseline"]["lesions"]["T1"]["longest_axial_diameter_mm"], abs=3.0)
    assert t1.volume_ml is not None and t1.mean_hu is not None

    for label in ("3m", "6m", "9m", "12m"):
        assert window.reading_label == label, window.errors
        window.panel.lesions.setCurrentRow(0)
        segment_and_accept(qtbot, window, tps[label]["lesions"]["T1"])
        draw_truth_length(qtbot, window, tps[label]["lesions"]["T1"])
        box = window.panel.non_target_boxes["NT1"]
        box.setCurrentIndex(box.findData("present"))
        if "N1" in tps[label]["lesions"]:
            add_lesion(qtbot, window, "new", "adductor compartment")
            assert window.panel.new_lesions.currentData() == "yes"
        sign(qtbot, window, "demo-local")
        qtbot.waitUntil(lambda lab=label: window.assessment(lab).status == "signed", timeout=10_000)  # type: ignore[union-attr]

    read = session.view(window.read_id)
    for criterion in ("recist1.1", "choi"):
        expected = subject["expected"][criterion]
        got = [(tp.results or {})[criterion]["overall"] for tp in read.timepoints if tp.label != "baseline"]
        assert got == expected["timepoints"], (criterion, got)
        assert read.results is not None
        assert read.results[criterion]["best_overall_response"] == expected["best_overall_response"]
        assert read.results[criterion]["progression_day"] == expected["progression_day"]
    window.close()
