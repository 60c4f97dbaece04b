"""Linked navigation by anatomy in the reading window, driven through widgets on the demo trial.

The demo generator moves the limb by a known transform at every visit (`limb_transform` in ground_truth.json):
- a Shift+click on the tumour centre at baseline must bring each follow-up viewport to a slice within one slice
  thickness of the tumour's true centre there;
- selecting the lesion while reading a follow-up must give a propagated seed inside the true lesion mask;
- a poor or rejected registration must fall back to table position with the notice on the viewport and in the
  status bar; registrations are stored with the read and reused; the background computation runs end to end.

Where a test is about the window, the true transforms are stored as the read's registrations before the subject
is opened (which also tests reuse: nothing is computed then); one test runs the real background registration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from sfrt_reader.imaging.demo_trial import load_mask
from sfrt_reader.imaging.registration import RegistrationOptions
from sfrt_reader.imaging.registration_result import Registration, matrix_tuple
from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.reading.registrations import options_key
from sfrt_reader.ui import registration_task
from sfrt_reader.ui.reading_window import ReadingWindow
from sfrt_reader.ui.state.anatomy_link import LinkMode
from sfrt_reader.ui.state.hanging import Layout
from tests.ui.reading_helpers import (
    DEMO_SUBJECT,
    add_lesion,
    click_button,
    draw_truth_length,
    go_to_slice,
    make_demo,
    open_reading_window,
    sign,
    widget_point,
)

# Coarse settings for the end-to-end run (the accuracy of the defaults is the registration tests' business).
QUICK = RegistrationOptions(
    working_spacing_mm=4.0, shrink_factors=(2, 1), smoothing_sigmas_mm=(4.0, 0.0), iterations=30, metric_samples=5000
)


def _subject(truth: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)


def _tp(truth: dict[str, Any], label: str) -> dict[str, Any]:
    return next(tp for tp in _subject(truth)["timepoints"] if tp["label"] == label)


def _true_registration(truth: dict[str, Any], label: str, verdict: str = "ok", reason: str = "") -> Registration:
    """The generator's own baseline -> follow-up map, as a stored registration would hold it."""
    base, tp = _tp(truth, "baseline"), _tp(truth, label)
    m = np.asarray(tp["limb_transform"]["baseline_lps_to_this_lps"], dtype=float)
    return Registration(
        fixed_series_uid=base["series_instance_uid"],
        moving_series_uid=tp["series_instance_uid"],
        matrix=matrix_tuple(m),
        transform_type="AffineTransform",
        parameters=(*m[:3, :3].reshape(-1), *m[:3, 3]),
        fixed_parameters=(0.0, 0.0, 0.0),
        metric="mattes_mutual_information",
        metric_value=-0.7,
        verdict=verdict,  # type: ignore[arg-type]
        reason=reason or "the known transform of the demo generator",
        method="rigid",
        elapsed_s=0.0,
    )


def _open(qtbot: Any, session: Any, tmp_path: Path, options: RegistrationOptions | None = None) -> ReadingWindow:
    def use_options(window: ReadingWindow) -> None:
        if options is not None:
            window.linking.options = options  # before the event loop runs: no load has finished yet

    return open_reading_window(qtbot, session, DEMO_SUBJECT, tmp_path / "settings.ini", use_options)


@pytest.fixture
def local(tmp_path: Path, demo_images: Path) -> tuple[Any, dict[str, Any]]:
    """A local (unblinded) demo read whose registrations are the generator's true transforms, stored beforehand."""
    database, truth = make_demo(tmp_path / "demo", demo_images, "local")
    session = ReadingService(open_database(database)).login("local", "demo-local")
    read_id = session.open_read(DEMO_SUBJECT).read_id
    key = options_key(RegistrationOptions())
    for tp in _subject(truth)["timepoints"][1:]:
        session.store_registration(read_id, _true_registration(truth, tp["label"]), key)
    return session, truth


def _hang_all(window: ReadingWindow) -> None:
    """Read the last timepoint in the 2 x 2 layout: baseline and the follow-ups are all on screen."""
    window.set_layout(Layout.TWO_BY_TWO)
    window.panel.timepoint.setCurrentIndex(window.panel.timepoint.count() - 1)


def _badge_shown(window: ReadingWindow, viewport: Any) -> bool:
    """Whether the viewport wears the table-position badge (not hidden: a new viewport is shown a moment later)."""
    return not window.linking.badge(viewport).isHidden()


def _viewport(window: ReadingWindow, label: str) -> Any:
    return next(vp for vp in window.grid.viewports if vp.info.timepoint_label == label)


def _shift_click(qtbot: Any, viewport: Any, lps: Any) -> None:
    qtbot.mouseClick(
        viewport.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, widget_point(viewport, lps)
    )


def _slice_error_mm(viewport: Any, lps: Any) -> float:
    """How far (mm, along the stack) the viewport's slice is from the slice through `lps`."""
    volume = viewport.state.volume
    k = float(volume.lps_to_index(np.asarray(lps, dtype=float).reshape(1, 3))[0][2])
    return abs(k - viewport.state.slice_index) * volume.slice_spacing_mm


def test_clicking_the_tumour_at_baseline_brings_each_follow_up_to_it(qtbot, tmp_path, local) -> None:  # type: ignore[no-untyped-def]
    session, truth = local
    window = _open(qtbot, session, tmp_path)
    assert window.linking.task is None  # every registration was found in the database: nothing is computed
    assert set(window.linking.link.registrations) == set(window.volume_of) - {"baseline"}
    assert window.linking.mode == LinkMode.ANATOMY and not window.grid.link.enabled
    _hang_all(window)
    baseline = _viewport(window, "baseline")
    t1 = _tp(truth, "baseline")["lesions"]["T1"]
    go_to_slice(qtbot, baseline, int(t1["axial_slice_index"]))
    _shift_click(qtbot, baseline, t1["centroid_lps"])
    follow_ups = [vp for vp in window.grid.viewports if vp.state.volume is not None and vp is not baseline]
    assert len(follow_ups) >= 2
    for vp in follow_ups:
        tp = _tp(truth, vp.info.timepoint_label)
        true_centre = tp["lesions"]["T1"]["centroid_lps"]
        assert _slice_error_mm(vp, true_centre) <= tp["slice_thickness_mm"], vp.info.timepoint_label
        # the crosshair marks the clicked point carried by the generator's transform
        assert vp.crosshair_lps is not None and baseline.crosshair_lps is not None
        m = np.asarray(tp["limb_transform"]["baseline_lps_to_this_lps"])
        assert vp.crosshair_lps == pytest.approx(m[:3, :3] @ baseline.crosshair_lps + m[:3, 3], abs=1e-6)
        assert np.linalg.norm(baseline.crosshair_lps[:2] - np.asarray(t1["centroid_lps"])[:2]) < 1.5  # a pixel
        assert not _badge_shown(window, vp)
    assert window.linking.notice_label.isHidden()
    # table-position linking alone would have missed: the limb was moved between the visits
    moved = [vp for vp in follow_ups if _slice_error_mm(vp, t1["centroid_lps"]) > 0]
    assert moved or all(np.allclose(_tp(truth, vp.info.timepoint_label)["lesions"]["T1"]["centroid_lps"],
                                    t1["centroid_lps"], atol=1.0) for vp in follow_ups)  # fmt: skip

    # scrolling the baseline moves the follow-ups through the registration, keeping the crosshair on the slice
    qtbot.keyClick(baseline, Qt.Key.Key_Down)
    for vp in follow_ups:
        assert vp.crosshair_lps is not None
        assert _slice_error_mm(vp, vp.crosshair_lps) <= 0.5 * vp.state.volume.slice_spacing_mm + 1e-6

    # hovering with Shift held follows the mouse
    follow = follow_ups[0]
    target = _tp(truth, follow.info.timepoint_label)["lesions"]["T1"]["centroid_lps"]
    pos = widget_point(baseline, t1["centroid_lps"])
    go_to_slice(qtbot, baseline, int(t1["axial_slice_index"]))
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(pos),
        QPointF(baseline.viewport().mapToGlobal(pos)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ShiftModifier,
    )
    QApplication.sendEvent(baseline.viewport(), event)
    assert _slice_error_mm(follow, target) <= _tp(truth, follow.info.timepoint_label)["slice_thickness_mm"]
    window.close()


def test_the_link_choice_switches_between_anatomy_table_and_off(qtbot, tmp_path, local) -> None:  # type: ignore[no-untyped-def]
    session, _truth = local
    window = _open(qtbot, session, tmp_path)
    box = window.linking.mode_box
    box.setCurrentIndex(box.findData(LinkMode.TABLE.value))
    assert window.grid.link.enabled and window.link_action.isChecked()
    box.setCurrentIndex(box.findData(LinkMode.OFF.value))
    assert not window.grid.link.enabled and not window.link_action.isChecked()
    link_button = window.toolbar.widgetForAction(window.link_action)
    qtbot.mouseClick(link_button, Qt.MouseButton.LeftButton)  # link again: the last choice comes back
    assert window.linking.mode == LinkMode.TABLE and window.grid.link.enabled
    box.setCurrentIndex(box.findData(LinkMode.ANATOMY.value))
    assert not window.grid.link.enabled and window.link_action.isChecked()
    assert window.settings.value("viewer/link_mode") == "anatomy"
    window.close()


def _answer_reject(qtbot: Any, reason: str) -> None:
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, fill)
            return
        field = dialog.findChild(QLineEdit)
        assert field is not None
        qtbot.keyClicks(field, reason)
        button = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Reject")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(20, fill)


def test_poor_and_rejected_registrations_fall_back_to_table_position_with_a_notice(
    qtbot, tmp_path, demo_images
) -> None:  # type: ignore[no-untyped-def]
    database, truth = make_demo(tmp_path / "demo", demo_images, "local")
    session = ReadingService(open_database(database)).login("local", "demo-local")
    read_id = session.open_read(DEMO_SUBJECT).read_id
    key = options_key(RegistrationOptions())
    labels = [tp["label"] for tp in _subject(truth)["timepoints"][1:]]
    poor_label = labels[-1]  # the last timepoint: the one read in the 2 x 2 layout, always on screen
    for label in labels:
        if label == poor_label:
            reg = _true_registration(truth, label, "poor", "body overlap 0.41 below 0.85")
        else:
            reg = _true_registration(truth, label)
        session.store_registration(read_id, reg, key)
    window = _open(qtbot, session, tmp_path)
    _hang_all(window)
    baseline = _viewport(window, "baseline")
    poor = _viewport(window, poor_label)
    badge = window.linking.badge(poor)
    assert not badge.isHidden() and "body overlap 0.41" in badge.toolTip()
    t1 = _tp(truth, "baseline")["lesions"]["T1"]
    go_to_slice(qtbot, baseline, int(t1["axial_slice_index"]))
    _shift_click(qtbot, baseline, t1["centroid_lps"])
    # the poor follow-up went to the same table position (patient z) as the point clicked
    assert baseline.crosshair_lps is not None and poor.crosshair_lps == pytest.approx(baseline.crosshair_lps)
    z_index = poor.state.volume.lps_to_index(baseline.crosshair_lps.reshape(1, 3))[0][2]
    assert poor.state.slice_index == int(np.clip(round(z_index), 0, poor.state.slice_count - 1))
    notice = window.linking.notice_label
    assert not notice.isHidden() and poor_label in notice.text() and "body overlap 0.41" in notice.toolTip()
    assert "Linked by table position only" in window.message_label.text()

    # the reader rejects a good registration: it falls back too, the reason is stored and audited
    others = [
        vp
        for vp in window.grid.viewports
        if vp.state.volume is not None and vp.info.timepoint_label not in ("baseline", poor_label)
    ]
    assert others
    if others:
        other = others[0]
        label = other.info.timepoint_label
        qtbot.mouseClick(other.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        assert window.linking.current_follow_up() == label
        assert not _badge_shown(window, other)
        _answer_reject(qtbot, "the femur is 2 cm off at the knee")
        window.linking.reject_action.trigger()
        assert _badge_shown(window, other)
        assert "femur is 2 cm off" in window.linking.badge(other).toolTip()
        stored = session.registrations(read_id, key)
        fixed, moving = _tp(truth, "baseline")["series_instance_uid"], _tp(truth, label)["series_instance_uid"]
        assert stored[(fixed, moving)].verdict == "poor"
        events = [
            e for e in session.service.audit_events() if e["entity"] == "registration" and e["action"] == "reject"
        ]
        assert events and events[-1]["reason"] == "the femur is 2 cm off at the knee"

        # "Use this registration again" withdraws the rejection: stored as computed, audited, linked by anatomy
        menu = window.linking.registration_button.menu()
        assert menu.actions() == [window.linking.reject_action, window.linking.reuse_action]
        window.linking.reuse_action.trigger()
        assert not _badge_shown(window, other)
        assert session.registrations(read_id, key)[(fixed, moving)].verdict == "ok"
        withdrawn = [e for e in session.service.audit_events() if e["entity"] == "registration"][-1]
        assert withdrawn["action"] == "withdraw_rejection" and withdrawn["actor"] == "local"
        assert "femur is 2 cm off" in withdrawn["reason"]
        _shift_click(qtbot, baseline, t1["centroid_lps"])
        true_centre = _tp(truth, label)["lesions"]["T1"]["centroid_lps"]
        assert _slice_error_mm(other, true_centre) <= other.state.volume.slice_spacing_mm
        assert label not in window.linking.notice_label.text().split(" for ", 1)[-1].split(", ")
        # withdrawing again: nothing to withdraw, said in the banner
        window.errors.clear()
        window.linking.reuse_action.trigger()
        assert window.errors and "not rejected" in window.errors[-1]
    window.close()


def test_selecting_the_lesion_at_a_follow_up_centres_and_seeds_inside_the_true_lesion(
    qtbot, tmp_path, demo_images, local
) -> None:  # type: ignore[no-untyped-def]
    session, truth = local
    window = _open(qtbot, session, tmp_path)
    add_lesion(qtbot, window, "target", "thigh")
    draw_truth_length(qtbot, window, _tp(truth, "baseline")["lesions"]["T1"])
    sign(qtbot, window, "demo-local")
    qtbot.waitUntil(lambda: window.reading_label != "baseline", timeout=10_000)
    label = window.reading_label
    lesions = window.panel.lesions
    item = next(
        lesions.item(i) for i in range(lesions.count()) if lesions.item(i).data(Qt.ItemDataRole.UserRole) == "T1"
    )
    lesions.setCurrentItem(None)
    rect = lesions.visualItemRect(item)
    qtbot.mouseClick(lesions.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.linking.seed is not None
    seed_label, code, seed = window.linking.seed
    assert (seed_label, code) == (label, "T1")
    tp = _tp(truth, label)
    labels, _geometry = load_mask(demo_images / tp["mask"])
    volume = window.volume_of[label]
    i, j, k = np.round(volume.lps_to_index(seed.reshape(1, 3))[0]).astype(int)
    assert labels[k, j, i] == tp["lesions"]["T1"]["label_value"], "the propagated seed is outside the true lesion"
    # every viewport is centred on the lesion: the one read shows the seed's slice with the crosshair on it
    reading = window.reading_viewport()
    assert _slice_error_mm(reading, seed) <= 0.5 * reading.state.volume.slice_spacing_mm + 1e-6
    assert reading.crosshair_lps == pytest.approx(seed)
    base_line = _tp(truth, "baseline")["lesions"]["T1"]["longest_axial_line_lps"]
    baseline = _viewport(window, "baseline")
    # the drawn line (mouse drag, snapped to screen pixels) lies within a voxel of the true one
    assert baseline.crosshair_lps == pytest.approx(np.mean(np.asarray(base_line), axis=0), abs=1.5)
    # one click segments there
    click_button(qtbot, window.linking.seed_button)
    qtbot.waitUntil(lambda: window.proposal is not None or bool(window.errors), timeout=120_000)
    assert window.proposal is not None, window.errors
    truth_d = tp["lesions"]["T1"]["longest_axial_diameter_mm"]
    assert abs(window.proposal[2].longest_axial_diameter_mm - truth_d) < 0.25 * truth_d
    window.close()


def test_opening_a_subject_registers_its_follow_ups_in_the_background_and_stores_them(
    qtbot, tmp_path, demo_images
) -> None:  # type: ignore[no-untyped-def]
    database, truth = make_demo(tmp_path / "demo", demo_images, "central")
    service = ReadingService(open_database(database))
    session = service.login("reader1", "demo-reader1")
    window = _open(qtbot, session, tmp_path, QUICK)
    linking = window.linking
    follow_ups = set(window.volume_of) - {"baseline"}
    qtbot.waitUntil(lambda: linking.task is not None or set(linking.link.registrations) == follow_ups, timeout=10_000)
    seen_progress = linking.progress.isVisible()
    qtbot.waitUntil(lambda: linking.task is None, timeout=600_000)
    assert seen_progress or set(linking.link.registrations) == follow_ups
    assert set(linking.link.registrations) == follow_ups, window.errors
    stored = session.registrations(window.read_id, options_key(QUICK))
    assert len(stored) == len(follow_ups)
    # the stored series are the blinded copies the window shows, not the originals
    uids = {v.series_instance_uid for v in window.volume_of.values()}
    assert all(fixed in uids and moving in uids for fixed, moving in stored)
    originals = {tp["series_instance_uid"] for tp in _subject(truth)["timepoints"]}
    assert not uids & originals
    window.close()
    # opened again: everything is reused, nothing is computed
    again = _open(qtbot, session, tmp_path / "again", QUICK)
    assert again.linking.task is None
    assert {label: r.matrix for label, r in again.linking.link.registrations.items()} == {
        label: r.matrix for label, r in linking.link.registrations.items()
    }
    again.close()


def test_stop_registering_cancels_and_links_by_table_position(qtbot, tmp_path, demo_images) -> None:  # type: ignore[no-untyped-def]
    database, _truth = make_demo(tmp_path / "demo", demo_images, "central")
    session = ReadingService(open_database(database)).login("reader1", "demo-reader1")
    window = _open(qtbot, session, tmp_path)  # default options: slow enough to be stopped
    linking = window.linking
    qtbot.waitUntil(lambda: linking.task is not None, timeout=10_000)
    task = linking.task
    assert linking.stop_button.isVisible()
    click_button(qtbot, linking.stop_button)
    assert linking.task is None and task.cancelled.is_set() and not linking.progress.isVisible()
    qtbot.waitUntil(lambda: task not in registration_task._RUNNING, timeout=120_000)
    not_done = [vp for vp in window.grid.viewports if vp.info.timepoint_label not in linking.link.registrations
                and vp.info.timepoint_label != "baseline" and vp.state.volume is not None]  # fmt: skip
    for vp in not_done:
        assert _badge_shown(window, vp) and "no registration" in linking.badge(vp).toolTip()
    window.close()
