"""A full read of a demo subject through the widgets; the stored responses must equal the demo's expected ones.

The expected responses come from the demo generator's ground truth (computed from the true diameters and mean HU
with the thresholds of the criteria), not from the workstation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.ui.reading_window import ReadingWindow
from sfrt_reader.ui.state.tools import Tool
from tests.ui.reading_helpers import (
    DEMO_SUBJECT,
    add_lesion,
    assert_reasons_in_full,
    brush_stroke,
    choose,
    click_row,
    click_tool,
    draw_truth_length,
    go_to_slice,
    make_demo,
    open_reading_window,
    segment_and_accept,
    sign,
    widget_point,
)


@pytest.fixture
def demo(tmp_path: Path, demo_images: Path) -> tuple[Path, dict[str, Any]]:
    return make_demo(tmp_path / "demo", demo_images, "local")


def correct_with_the_brush(qtbot: Any, window: ReadingWindow, lesion: dict[str, Any]) -> None:
    """Erase a small bite at the outline's rightmost point on the lesion's largest slice: the volume drops and is
    saved (the diameters come from the drawn length, and a few rim voxels leave the mean HU on its side of Choi's
    thresholds)."""
    viewport = window.reading_viewport()
    k = int(lesion["axial_slice_index"])
    go_to_slice(qtbot, viewport, k)
    key = (window.reading_label, "T1")
    mask = window.masks.mask(key)
    assert mask is not None
    before = mask.voxels
    volume_before = next(m for m in window.assessment().measurements if m.lesion == "T1").volume_ml  # type: ignore[union-attr]
    on_slice = np.array([(i, j, z) for z, j, i in mask.voxel_indices() if z == k], dtype=float)
    rim = on_slice[int(np.argmax(on_slice[:, 0]))]
    rim_lps = window.volume_of[window.reading_label].index_to_lps(rim)
    click_tool(qtbot, window, Tool.BRUSH)
    for _ in range(2):  # 5 mm -> 3.5 mm
        qtbot.keyClick(viewport, Qt.Key.Key_BracketLeft)
    assert viewport.brush.radius_mm == pytest.approx(5.0 / 1.44)
    brush_stroke(qtbot, viewport, [widget_point(viewport, rim_lps)], erase=True)
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    edited = window.masks.mask(key)
    assert edited is not None and 0 < before - edited.voxels < 60, window.errors
    volume_after = next(m for m in window.assessment().measurements if m.lesion == "T1").volume_ml  # type: ignore[union-attr]
    assert volume_after is not None and volume_before is not None and volume_after < volume_before


def test_full_read_through_the_widgets_gives_the_expected_responses(qtbot, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database, truth = demo
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    service = ReadingService(open_database(database))
    session = service.login("local", "demo-local")
    window = open_reading_window(qtbot, session, DEMO_SUBJECT, tmp_path / "s.ini")
    tps = {tp["label"]: tp for tp in subject["timepoints"]}

    # baseline: the target by one-click segmentation, then its longest diameter drawn by hand; a non-target node
    assert window.reading_label == "baseline"
    add_lesion(qtbot, window, "target", "thigh")
    assert window.active_lesion == "T1"
    segment_and_accept(qtbot, window, tps["baseline"]["lesions"]["T1"])
    draw_truth_length(qtbot, window, tps["baseline"]["lesions"]["T1"])
    add_lesion(qtbot, window, "non-target", "inguinal lymph node", nodal=True)
    choose(qtbot, window.panel.non_target_boxes["NT1"], "present")
    sign(qtbot, window, "demo-local")
    qtbot.waitUntil(lambda: window.reading_label == "3m", timeout=10_000)
    base = window.assessment("baseline")
    assert base is not None and base.status == "signed", window.errors
    t1 = next(m for m in base.measurements if m.lesion == "T1")
    assert t1.diameter_mm == pytest.approx(tps["baseline"]["lesions"]["T1"]["longest_axial_diameter_mm"], abs=3.0)
    assert t1.volume_ml is not None and t1.mean_hu is not None

    for label in ("3m", "6m", "9m", "12m"):
        assert window.reading_label == label, window.errors
        click_row(qtbot, window.panel.lesions, 0)
        segment_and_accept(qtbot, window, tps[label]["lesions"]["T1"])
        if label == "3m":
            correct_with_the_brush(qtbot, window, tps[label]["lesions"]["T1"])
        draw_truth_length(qtbot, window, tps[label]["lesions"]["T1"])
        choose(qtbot, window.panel.non_target_boxes["NT1"], "present")
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

    # at the window's usual size every reason of the read is shown in full in the Responses panel
    window.resize(1700, 1000)
    window.response_dock.raise_()
    window.response_panel.expandAll()
    qtbot.wait(50)
    assert assert_reasons_in_full(window.response_panel) > 0  # some are longer than the panel is wide
    window.close()
