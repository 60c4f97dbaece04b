"""Screenshots of the reading workstation on the demo read database: login, worklist, a CT read and an MR read.

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen python -m sfrt_reader.ui.reading_screenshots DEMO_DIR docs/screenshots

DEMO_DIR is the folder of `sfrt-reader demo --data DEMO_DIR` (generated and imported on first use). A blinded central
reader reads demo-01 (CT) to 6 months and demo-03 (CT baseline, MR follow-ups) to 3 months: at every timepoint the
target by one-click segmentation, accepted (one set of measurements per lesion: the segmentation's longest axial
diameter and short axis, no second line drawn over them), the inguinal node as a non-target, each timepoint signed but
the last. The segmentation goes through the same controller slots as the mouse click, seeded at the ground truth's
lesion centre. The timepoint read is shown on the slice of its longest diameter, the others on the same anatomy: every
picture of a read is taken once the follow-ups are registered to the baseline (in the background, as on every
opening), so the viewports are linked by anatomy, not by table position. `linked.png` shows the CT subject again with
the crosshair carried from the tumour centre at baseline to every follow-up. Then reader1 and reader2 complete demo-02
through the session API, reader2 drawing T1 30% longer at 6 months, and the adjudicator's desk is pictured on that
disagreement. The masks are outlined (filled on the MR picture) and the Brush is selected, its circle on the rim of
the current timepoint's outline. The reformats and the 3-D lesion view of the CT read are taken by
`view3d_screenshots`.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtWidgets import QApplication

from sfrt_reader.ui.app import WorklistWindow, application
from sfrt_reader.ui.login import LoginDialog
from sfrt_reader.ui.reading_window import ReadingWindow, SegmentTask
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.view3d_screenshots import render_views

SIZE = (1700, 1000)
ZOOM = 2.0
READER, PASSWORD = "reader1", "demo-reader1"


def _wait(app: QApplication, window: ReadingWindow) -> None:
    """Until every timepoint is loaded and the background registration of the follow-ups has finished (a picture
    taken earlier shows "TABLE POSITION" badges and "Registering n %" in the status bar)."""
    import time

    deadline = time.monotonic() + 3600  # a loaded machine takes minutes per follow-up
    while time.monotonic() < deadline and (
        window.tasks or len(window.volume_of) < len(window.images) or window.linking.task is not None
    ):
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def _read_timepoint(window: ReadingWindow, truth_tp: dict[str, Any], first: bool) -> None:
    lesions = truth_tp["lesions"]
    if first:
        window.panel.organ.setText("thigh")
        window._add_lesion()
    window.active_lesion = "T1"
    viewport = window.reading_viewport()
    t1 = lesions["T1"]
    viewport.state.set_slice(int(t1["axial_slice_index"]))
    task = SegmentTask(viewport.state.volume, np.asarray(t1["centroid_lps"]), window.reading_label, "T1")
    task.signals.done.connect(window._on_segmented)
    task.signals.failed.connect(window._on_segment_failed)
    window.segment_tasks.append(task)
    task.run()
    window._accept_segmentation()
    if "NT1" in lesions:
        if first:
            window.panel.role.setCurrentIndex(window.panel.role.findData("non-target"))
            window.panel.organ.setText("inguinal lymph node")
            window.panel.nodal.setChecked(True)
            window._add_lesion()
        box = window.panel.non_target_boxes["NT1"]
        box.setCurrentIndex(box.findData("present"))


def _sign(window: ReadingWindow) -> None:
    window._call(window.session.sign, window.read_id, window.reading_label, PASSWORD)
    window.refresh_read()


def _show_brush(window: ReadingWindow, radius_mm: float) -> None:
    """The Brush selected with its circle on the rim of the current timepoint's T1 outline (the cursor's place)."""
    window.set_tool(Tool.BRUSH)
    window.grid.brush.set_radius(radius_mm)
    viewport = window.reading_viewport()
    mask = window.masks.mask((window.reading_label, "T1"))
    if viewport is None or mask is None or viewport.state.geometry is None:
        return
    k = viewport.state.slice_index
    on_slice = [(i, j) for z, j, i in mask.voxel_indices() if z == k]
    if not on_slice:
        return
    i, j = max(on_slice)  # the outline's rightmost pixel on the slice shown
    u, v, _ = viewport.state.geometry.index_to_display(np.array([i, j, k], dtype=float))
    viewport._brush_pos = QPointF(viewport.mapFromScene(viewport.display_to_scene(u, v)))


def render_read(
    app: QApplication,
    home: WorklistWindow,
    truth: dict[str, Any],
    subject: str,
    labels: list[str],
    out: Path,
    fill: bool = False,
) -> None:
    from sfrt_reader.ui.state.hanging import Layout

    window = home.open_read(subject)
    assert window is not None
    window.resize(*SIZE)
    _wait(app, window)
    layout = window.grid.protocol.layout  # the reader's choice, given back after the picture
    if len(labels) < 3:  # baseline and one follow-up: no "previous" slot left empty in the picture
        window.set_layout(Layout.ONE_BY_TWO)
    tps = {tp["label"]: tp for tp in next(s for s in truth["subjects"] if s["subject"] == subject)["timepoints"]}
    for n, label in enumerate(labels):
        index = window.panel.timepoint.findData(label)
        window.panel.timepoint.setCurrentIndex(index)
        if window.assessment(label) is None or window.assessment(label).status == "draft":  # type: ignore[union-attr]
            _read_timepoint(window, tps[label], first=n == 0)
            if n < len(labels) - 1:
                _sign(window)
    window.set_linked(False)
    for viewport in window.grid.viewports:
        volume, geometry = viewport.state.volume, viewport.state.geometry
        if volume is None or geometry is None:
            continue
        if volume.modality == "CT":
            viewport.state.apply_preset("1")  # soft tissue
        label = viewport.info.timepoint_label
        t1 = tps[label]["lesions"]["T1"]
        seg = window.segmentations.get((label, "T1"))
        if label == labels[-1] and seg is not None:  # the timepoint read, on the slice of its longest diameter;
            viewport.state.set_slice(volume.nearest_slice(seg["longest_axial"]["start"]))  # the others linked to it
        u, v, _ = geometry.index_to_display(volume.lps_to_index(np.asarray(t1["centre_lps"], dtype=float)))
        viewport.state.set_zoom(ZOOM)
        viewport.state.set_pan(u - (geometry.width - 1) / 2 + 20, v - (geometry.height - 1) / 2 + 10)
    window.set_linked(True)
    window.mask_fill_action.setChecked(fill)
    window.resizeDocks([window.lesion_dock], [330], Qt.Orientation.Horizontal)
    window.resizeDocks([window.response_dock], [420], Qt.Orientation.Horizontal)
    window.resizeDocks([window.table_dock], [200], Qt.Orientation.Vertical)
    window.response_panel.focus_timepoint(labels[-1], scroll=False)
    window.response_dock.raise_()
    app.processEvents()
    _show_brush(window, 8.0)  # once the docks have their size, so the circle sits where the viewport draws it
    app.processEvents()
    window.grab().save(str(out))
    window.set_layout(layout)
    window.close()


def render_linked(app: QApplication, home: WorklistWindow, truth: dict[str, Any], subject: str, out: Path) -> list[str]:
    """Linked viewports: the subject's registrations computed in the background as on opening, then a Shift+click
    at the tumour centre at baseline (the controller's slot for it) carries the crosshair to every follow-up.
    Returns the timepoints that fell back to table position, with why (empty when every registration lined up)."""
    import time

    from sfrt_reader.ui.state.anatomy_link import LinkMode, centre_on

    window = home.open_read(subject)
    assert window is not None
    window.resize(*SIZE)
    _wait(app, window)
    linking = window.linking
    deadline = time.monotonic() + 3600  # a loaded machine takes minutes per follow-up
    while linking.task is not None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    app.processEvents()
    linking.set_mode(LinkMode.ANATOMY)
    tps = {tp["label"]: tp for tp in next(s for s in truth["subjects"] if s["subject"] == subject)["timepoints"]}
    baseline = next(vp for vp in window.grid.viewports if vp.info.timepoint_label == "baseline")
    t1 = tps["baseline"]["lesions"]["T1"]
    baseline.state.set_slice(int(t1["axial_slice_index"]))
    linking.navigate(baseline, np.asarray(t1["centroid_lps"], dtype=float), mark=True)
    for viewport in window.grid.viewports:
        volume = viewport.state.volume
        if volume is None or viewport.crosshair_lps is None:
            continue
        if volume.modality == "CT":
            viewport.state.apply_preset("1")  # soft tissue
        viewport.state.set_zoom(ZOOM)
        centre_on(viewport.state, viewport.crosshair_lps)
    window.resizeDocks([window.lesion_dock], [330], Qt.Orientation.Horizontal)
    window.resizeDocks([window.response_dock], [420], Qt.Orientation.Horizontal)
    window.resizeDocks([window.table_dock], [200], Qt.Orientation.Vertical)
    app.processEvents()
    window.grab().save(str(out))
    fallback = [
        f"{label} ({linking.link.notice(label)})" for label in tps if label != "baseline" and linking.link.notice(label)
    ]
    window.close()
    return fallback


ADJUDICATION_READERS = (("reader1", "demo-reader1"), ("reader2", "demo-reader2"))
ADJUDICATOR, ADJUDICATOR_PASSWORD = "adjudicator", "demo-adjudicator"


def scripted_central_read(
    service: Any, username: str, password: str, subject: dict[str, Any], stretch: dict[str, float]
) -> int:
    """A complete, signed central read of a demo subject through the session API, at the ground truth's lines.

    `stretch` lengthens T1's line at some timepoints (about its centre): the second reader "measures" a larger
    tumour there, which is how the adjudication picture gets two reads that disagree.
    """
    from sfrt_reader.measurement.lines import Line

    session = service.login(username, password)
    read_id = int(session.open_read(subject["subject"]).read_id)
    for tp in subject["timepoints"]:
        label = tp["label"]
        view = session.view(read_id)
        done = next((t for t in view.timepoints if t.label == label), None)
        if done is not None and done.status == "signed":
            continue  # already read (in the pictures above, through the reading window)
        if done is None:
            session.start_timepoint(read_id, label)
        codes = {les.code for les in session.view(read_id).lesions}
        if "T1" not in codes:
            session.add_lesion(read_id, "T1", "target", "thigh")
        for code, lesion in tp["lesions"].items():
            if code != "T1":
                if code not in codes:
                    session.add_lesion(read_id, code, "new", "adductor compartment", label=label)
                continue
            a, b = (np.asarray(p, dtype=float) for p in lesion["longest_axial_line_lps"])
            centre, factor = (a + b) / 2, stretch.get(label, 1.0)
            start, end = centre + (a - centre) * factor, centre + (b - centre) * factor
            length = float(np.linalg.norm(end - start))
            mean = lesion.get("mean") if lesion.get("unit") == "HU" else None
            session.record_measurement(
                read_id,
                label,
                "T1",
                diameter_mm=round(length, 1),
                mean_hu=None if mean is None else round(float(mean), 1),
                unit=lesion.get("unit"),
                objects=[Line(tuple(start.tolist()), tuple(end.tolist())).to_dict()],
            )
        session.sign(read_id, label, password)
    return read_id


def render_adjudication(app: QApplication, service: Any, truth: dict[str, Any], subject: str, out: Path) -> None:
    """The adjudicator's desk on `subject`: reader1 reads the truth, reader2 sees T1 30% larger at 6 months."""
    from sfrt_reader.ui.adjudication_window import AdjudicationWindow

    record = next(s for s in truth["subjects"] if s["subject"] == subject)
    for (username, password), stretch in zip(ADJUDICATION_READERS, ({}, {"6m": 1.3}), strict=True):
        scripted_central_read(service, username, password, record, stretch)
    desk = AdjudicationWindow(service.login(ADJUDICATOR, ADJUDICATOR_PASSWORD), subject)
    desk.resize(*SIZE)
    desk.show()
    import time

    deadline = time.monotonic() + 600
    while (desk.tasks or len(desk.volume_of) < len(desk.images)) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    desk.decision.choice_b.setChecked(True)
    desk.decision.rationale.setPlainText(
        "T1 at 6 months: reader B's longest diameter follows the enhancing margin on the measured slice; "
        "reader A's line stops short of the posterior edge. Progression at 6 months."
    )
    app.processEvents()
    desk.grab().save(str(out))
    desk.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m sfrt_reader.ui.reading_screenshots DEMO_DIR OUT_DIR", file=sys.stderr)
        return 2
    from sfrt_reader.commands.demo import login_hint, prepare_demo
    from sfrt_reader.reading import ReadingService, open_database

    demo, out = Path(args[0]), Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    setup = prepare_demo(demo, "central", quiet=True)
    truth = json.loads((demo / "trial" / "ground_truth.json").read_text(encoding="utf-8"))
    app = application()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    # a copy of the demo database: the scripted reads leave the reader's own demo untouched
    scratch = Path(tempfile.mkdtemp(prefix="sfrt-shots-"))
    database = scratch / "demo.sqlite"
    shutil.copyfile(setup.database, database)
    service = ReadingService(open_database(database))
    login = LoginDialog(service, login_hint(setup.readers))
    login.select_user(READER)
    login.password.setText(PASSWORD)  # shown as dots
    login.show()
    app.processEvents()
    login.grab().save(str(out / "login.png"))
    login.close()
    home = WorklistWindow(service.login(READER, PASSWORD))
    home.resize(900, 520)
    home.show()
    subjects = {s["subject"]: s for s in truth["subjects"]}
    ct = "demo-01" if "demo-01" in subjects else sorted(subjects)[0]
    render_read(app, home, truth, ct, ["baseline", "3m", "6m"], out / "reading-ct.png")
    render_views(app, home, ct, "6m", out, _wait)  # reformats.png and lesion-3d.png of the same read
    with_mr = [code for code, s in sorted(subjects.items()) if "MR" in s["modalities"]]
    if with_mr:  # a demo generated for fewer subjects may have no MR subject
        render_read(app, home, truth, with_mr[0], ["baseline", "3m"], out / "reading-mr.png", fill=True)
    fallback = render_linked(app, home, truth, ct, out / "linked.png")
    if fallback:
        print("linked.png, linked by table position: " + "; ".join(fallback), file=sys.stderr)
    home.worklist.refresh()
    app.processEvents()
    home.grab().save(str(out / "worklist.png"))
    home.close()
    discordant = "demo-02" if "demo-02" in subjects else sorted(subjects)[-1]
    render_adjudication(app, service, truth, discordant, out / "adjudication.png")
    service.db.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
