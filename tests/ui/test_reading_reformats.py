"""Reformats, oblique planes and the 3-D dock in the reading window, driven through its toolbar and the mouse on
a demo read; the saved measurement is read back from the database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.ui.reading_window import ReadingWindow
from sfrt_reader.ui.state import Plane
from sfrt_reader.ui.state.tools import Tool
from tests.ui.reading_helpers import (
    DEMO_SUBJECT,
    add_lesion,
    click_tool,
    drag,
    make_demo,
    open_reading_window,
    segment_and_accept,
    widget_point,
)


def _window(qtbot: Any, session: Any, tmp_path: Path) -> ReadingWindow:
    return open_reading_window(qtbot, session, DEMO_SUBJECT, tmp_path / "settings.ini")


@pytest.fixture
def segmented(tmp_path: Path, demo_images: Path, qtbot: Any) -> tuple[ReadingWindow, Any, dict[str, Any], Any]:
    """A local read at baseline with T1 segmented and accepted."""
    database, truth = make_demo(tmp_path / "demo", demo_images, "local")
    session = ReadingService(open_database(database)).login("local", "demo-local")
    window = _window(qtbot, session, tmp_path)
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    t1 = next(tp for tp in subject["timepoints"] if tp["label"] == "baseline")["lesions"]["T1"]
    add_lesion(qtbot, window, "target", "thigh")
    segment_and_accept(qtbot, window, t1)
    return window, session, t1, database


def _press(qtbot: Any, window: ReadingWindow, plane: Plane) -> None:
    qtbot.mouseClick(window.toolbar.widgetForAction(window.plane_actions[plane]), Qt.MouseButton.LeftButton)


def test_coronal_length_is_saved_with_its_plane_and_redrawn_there(segmented, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window, _session, t1, database = segmented
    viewport = window.reading_viewport()
    qtbot.mouseClick(viewport.viewport(), Qt.MouseButton.RightButton)  # make it the active viewport
    _press(qtbot, window, Plane.CORONAL)
    assert viewport.state.plane == Plane.CORONAL
    centre = np.asarray(t1["centroid_lps"], dtype=float)
    # Go to the coronal slice through the centroid, then drag 40 mm cranio-caudally through it.
    ijk = viewport.state.volume.lps_to_index(centre)
    viewport.state.set_slice(int(np.rint(viewport.state.geometry.index_to_display(ijk)[2])))
    on_slice = viewport.state.display_to_lps(*viewport.state.geometry.index_to_display(ijk)[:2])
    up = np.array([0.0, 0.0, 20.0])
    top, bottom = on_slice + up, on_slice - up
    click_tool(qtbot, window, Tool.LENGTH)
    drag(qtbot, viewport, widget_point(viewport, top), widget_point(viewport, bottom))
    item = viewport.measurements[-1]
    assert item.plane == Plane.CORONAL and item.value is not None
    assert item.value.result.length_mm == pytest.approx(40.0, abs=2.0 / viewport.view_scale() + 1e-6)
    # Saved at once: the lesion's objects carry the line, its LPS points and its plane.
    objects = next(m for m in window.assessment("baseline").measurements if m.lesion == "T1").objects
    line = next(o for o in objects if o.get("kind") == "line")
    assert line["view"] == {"plane": "coronal"}
    assert line["length_mm"] == pytest.approx(item.value.result.length_mm)
    assert abs(line["start"][2] - line["end"][2]) == pytest.approx(line["length_mm"], abs=0.2)  # cranio-caudal
    window.close()
    # Reopened: the line is drawn again on the coronal plane of that timepoint.
    again = _window(qtbot, ReadingService(open_database(database)).login("local", "demo-local"), tmp_path)
    restored = [m for m in again.reading_viewport().measurements if m.kind == "length" and m.plane == Plane.CORONAL]
    assert len(restored) == 1
    assert restored[0].value.result.length_mm == pytest.approx(line["length_mm"], abs=1e-6)


def test_oblique_action_follows_the_active_lesion(segmented, qtbot) -> None:  # type: ignore[no-untyped-def]
    window, _session, _t1, _db = segmented
    viewport = window.reading_viewport()
    qtbot.mouseClick(viewport.viewport(), Qt.MouseButton.RightButton)
    _press(qtbot, window, Plane.OBLIQUE)
    seg = window.segmentations[("baseline", "T1")]["longest_axial"]
    assert viewport.state.plane == Plane.OBLIQUE
    start, end = viewport.state.oblique_axis  # the segmentation's longest axial diameter
    np.testing.assert_allclose(start, seg["start"]) and np.testing.assert_allclose(end, seg["end"])
    # The long axis lies on the shown slice, horizontal on screen, with its true length between its ends.
    g = viewport.state.geometry
    a, b = g.lps_to_display(np.asarray(seg["start"])), g.lps_to_display(np.asarray(seg["end"]))
    assert a[2] == pytest.approx(viewport.state.slice_index, abs=1e-6) and a[1] == pytest.approx(b[1], abs=1e-6)
    assert abs(a[0] - b[0]) * g.spacing_u == pytest.approx(np.linalg.norm(np.subtract(seg["end"], seg["start"])))
    _press(qtbot, window, Plane.OBLIQUE_PERPENDICULAR)
    assert viewport.state.plane == Plane.OBLIQUE_PERPENDICULAR
    window.active_lesion = ""
    for item in list(viewport.measurements):
        viewport.remove_measurement(item)
    _press(qtbot, window, Plane.OBLIQUE)
    assert any("long axis" in e for e in window.errors)


def test_3d_dock_opens_on_the_active_lesion_with_its_volume(segmented, qtbot) -> None:  # type: ignore[no-untyped-def]
    window, _session, _t1, _db = segmented
    assert window.lesion3d.dock is None  # nothing built before it is asked for
    qtbot.mouseClick(window.toolbar.widgetForAction(window.lesion3d.action), Qt.MouseButton.LeftButton)
    dock = window.lesion3d.dock
    assert dock is not None and dock.isVisible()
    view = dock.view
    qtbot.waitUntil(lambda: len(view.crops) == 1, timeout=120_000)  # resampled in a worker thread
    recorded = window.segmentations[("baseline", "T1")]["volume_ml"]
    # baseline is the timepoint being read: one side
    shown = float(re.search(r"Volume ([\d.]+) mL", view.captions[0]).group(1))  # type: ignore[union-attr]
    assert shown == pytest.approx(recorded, abs=0.05)
    picture = view.capture()
    from sfrt_reader.ui.volume3d import SURFACE_COLORS

    p = picture.astype(int)
    blue = (p[..., 2] > p[..., 1] + 20) & (p[..., 1] > p[..., 0] + 10) & (p.max(axis=-1) > 90)
    assert blue.sum() > 500, "the lesion surface is not in the picture"
    assert SURFACE_COLORS[0][2] > SURFACE_COLORS[0][0]
    qtbot.mouseClick(window.toolbar.widgetForAction(window.lesion3d.action), Qt.MouseButton.LeftButton)
    assert not dock.isVisible()
    window.close()  # closes the VTK view with it
    assert window.lesion3d.dock is None


def test_no_vtk_is_imported_at_start_up() -> None:
    code = (
        "import sys, sfrt_reader.ui.app, sfrt_reader.ui.reading_window;"
        "print(any(m.startswith('vtkmodules') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=os.environ, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
