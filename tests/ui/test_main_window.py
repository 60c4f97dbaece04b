"""MainWindow: loading real DICOM folders in worker threads, errors in the window, cancel, settings, blinding."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt, QThreadPool

from sfrt_reader.ui.main_window import MainWindow
from sfrt_reader.ui.state import Layout, corner_text
from sfrt_reader.ui.state.tools import Tool
from tests.imaging.dicom_factory import SeriesSpec, write_series
from tests.ui.volumes import axial_ct


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings: QSettings):  # type: ignore[no-untyped-def]
    pool = QThreadPool()
    win = MainWindow(settings=settings, thread_pool=pool)
    qtbot.addWidget(win)
    win.resize(1200, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_loading()
    pool.waitForDone(5000)


def _series(folder: Path, date: str, z0: float, n: int) -> Path:
    spec = SeriesSpec(
        n=n,
        rows=32,
        columns=32,
        origin=(-20.0, -30.0, z0),
        step=5.0,
        extra={"AcquisitionDate": date, "StudyDate": date},
    )
    write_series(folder, spec)
    return folder


def test_two_folders_load_as_baseline_and_follow_up_in_date_order(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    later = _series(tmp_path / "b", "20260401", 100.0, 12)
    first = _series(tmp_path / "a", "20260101", 90.0, 10)
    window.open_paths([later, first])  # given out of order on purpose
    qtbot.waitUntil(lambda: not window.tasks and len(window.volumes) == 2, timeout=20000)
    shown = [vp for vp in window.grid.viewports if vp.state.volume is not None]
    assert [vp.info.timepoint_label for vp in shown] == ["Baseline", "Follow-up 1"]
    assert shown[0].state.volume.shape[0] == 10 and shown[1].info.day_from_baseline == 90
    assert window.progress.isHidden() and window.banner.isHidden()
    # linked by table position: step the follow-up, the baseline follows to the nearest z
    qtbot.keyClick(shown[1], Qt.Key.Key_Down)
    z = shown[1].state.position_mm
    zs = 90.0 + 5.0 * np.arange(10)
    assert shown[0].state.slice_index == int(np.argmin(np.abs(zs - z)))


def test_a_folder_without_dicom_shows_a_readable_error(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "notes"
    empty.mkdir()
    (empty / "readme.txt").write_text("not an image")
    window.open_paths([empty])
    qtbot.waitUntil(lambda: not window.tasks, timeout=10000)
    assert window.banner.isVisible()
    text = window.banner.label.text()
    assert "notes" in text and "Traceback" not in text
    assert window.volumes == []


def test_an_unexpected_loader_failure_is_a_message_without_its_text(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    def broken(path: str, progress) -> None:  # type: ignore[no-untyped-def]
        raise KeyError("DOE^JANE")

    window.loader = broken
    window.open_paths(["/some/folder"])
    qtbot.waitUntil(lambda: not window.tasks, timeout=5000)
    assert "internal error KeyError" in window.banner.label.text()
    assert "DOE" not in window.banner.label.text()


def test_cancel_stops_a_load_in_progress(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    volume = axial_ct(nz=50)

    def slow(path: str, progress):  # type: ignore[no-untyped-def]
        for k in range(50):
            progress(k + 1, 50, None)
            release.wait(0.05)
        return volume

    window.loader = slow
    window.open_paths(["/slow/series"])
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=5000)
    assert window.progress.isVisible() and window.cancel_button.isVisible()
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    release.set()
    qtbot.waitUntil(lambda: not window.tasks, timeout=5000)
    assert window.volumes == []
    assert "cancelled" in window.message_label.text()


def test_layout_and_link_choice_are_kept_in_settings(qtbot, settings: QSettings) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.layout_actions[Layout.TWO_BY_TWO].trigger()
    first.link_action.trigger()  # off
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.grid.protocol.layout == Layout.TWO_BY_TWO
    assert not second.grid.link.enabled and not second.link_action.isChecked()


def test_tool_shortcuts_switch_tool_and_cursor(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.add_volume(axial_ct(), "series")
    viewport = window.grid.viewports[-1]
    viewport.setFocus()
    for tool in (Tool.LENGTH, Tool.ELLIPSE, Tool.PAN, Tool.POINTER):
        qtbot.keyClick(viewport, tool.shortcut.lower())
        assert window.grid.tool == tool and viewport.tool == tool
        assert window.tool_actions[tool].isChecked()


def test_blinded_window_never_shows_dates_or_folder_names(qtbot, settings: QSettings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(settings=settings, blinded=True)
    qtbot.addWidget(win)
    volume = axial_ct()
    volume.acquisition_datetime = datetime(2026, 3, 14, 9, 30)
    win.add_volume(volume, "DOE_JANE_MRN123")
    viewport = next(vp for vp in win.grid.viewports if vp.state.volume is not None)
    corners = corner_text(viewport.state, viewport.info, viewport.blinded, 1.0)
    text = "\n".join(line for lines in vars(corners).values() for line in lines)
    assert viewport.blinded
    assert "2026" not in text and "DOE" not in text and "Baseline" in text


def test_blinded_window_does_not_repeat_folder_names_in_messages(qtbot, settings: QSettings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pool = QThreadPool()
    win = MainWindow(settings=settings, blinded=True, thread_pool=pool)
    qtbot.addWidget(win)
    bad = tmp_path / "DOE_JANE_1970"
    bad.mkdir()
    (bad / "x.dcm").write_bytes(b"junk")
    win.open_paths([bad])
    qtbot.waitUntil(lambda: not win.tasks, timeout=10000)
    pool.waitForDone(5000)
    assert win.errors and "DOE" not in win.errors[-1] and "series 1" in win.errors[-1]


def test_relinking_keeps_a_manual_alignment_when_asked(window: MainWindow, qtbot, settings: QSettings) -> None:  # type: ignore[no-untyped-def]
    window.add_volume(axial_ct(nz=40, z0=-100.0, dz=5.0), "a")
    window.add_volume(axial_ct(nz=40, z0=-100.0, dz=5.0), "b")
    baseline, current = (vp for vp in window.grid.viewports if vp.state.volume is not None)
    window.keep_offsets_action.trigger()
    assert settings.value("viewer/keep_offsets") in (True, "true")
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # unlink
    assert not window.grid.link.enabled
    for _ in range(3):
        qtbot.keyClick(baseline, Qt.Key.Key_Down)  # align by eye: baseline 15 mm further
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # link again
    qtbot.keyClick(current, Qt.Key.Key_PageDown)
    assert baseline.state.position_mm - current.state.position_mm == pytest.approx(15.0)
