"""A brush correction whose save fails is never lost and never signed past: signing, opening another timepoint and
closing the window are refused (or asked about) until it is saved; Retry save saves it; the read database then
holds the volume of the mask on screen (counted here from its voxels, not taken from the code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sfrt_reader.reading.errors import DatabaseBusyError
from sfrt_reader.ui.reading_window import ReadingWindow
from sfrt_reader.ui.state.tools import Tool
from tests.ui.reading_helpers import (
    add_lesion,
    brush_stroke,
    click_button,
    click_tool,
    demo_window,
    go_to_slice,
    segment_and_accept,
    sign,
    widget_point,
)

KEY = ("baseline", "T1")
BUSY = "the read database is busy: another workstation kept it locked through 6 attempts; try again in a moment"


@pytest.fixture
def window(qtbot, tmp_path: Path, demo_images: Path):  # type: ignore[no-untyped-def]
    win = demo_window(qtbot, tmp_path, demo_images)
    yield win
    win.ask_unsaved = lambda _text: "discard"  # type: ignore[method-assign]  # never a modal box at teardown
    win.close()


def _database_t1(window: ReadingWindow) -> Any:
    """T1 at baseline as a fresh read of the database holds it (not the view the window keeps)."""
    read = window.session.view(window.read_id)
    return next(m for m in next(t for t in read.timepoints if t.label == "baseline").measurements if m.lesion == "T1")


def _sign_baseline(qtbot: Any, window: ReadingWindow) -> Any:
    """Sign the baseline with no error shown; T1 as the signed baseline in the database holds it."""
    window.errors.clear()
    sign(qtbot, window, "demo-local")
    qtbot.waitUntil(lambda: window.reading_label == "3m", timeout=10_000)
    assert not window.errors, window.errors
    base = window.session.view(window.read_id).timepoints[0]
    assert base.label == "baseline" and base.status == "signed"
    return next(m for m in base.measurements if m.lesion == "T1")


def _screen_ml(window: ReadingWindow) -> float:
    """The volume of the mask shown: voxels x voxel volume (the demo's slices are evenly spaced)."""
    mask = window.masks.mask(KEY)
    assert mask is not None
    volume = window.volume_of["baseline"]
    sx, sy = volume.pixel_spacing
    return float(mask.voxels * sx * sy * volume.slice_spacing_mm / 1000.0)


def _failed_correction(qtbot: Any, window: ReadingWindow) -> list[int]:
    """T1 segmented and saved, then a brush stroke whose save fails (the database busy); returns a list whose
    length counts the failing save attempts."""
    lesion = window.truth["baseline"]["lesions"]["T1"]  # type: ignore[attr-defined]
    add_lesion(qtbot, window, "target", "thigh")
    segment_and_accept(qtbot, window, lesion)
    viewport = window.reading_viewport()
    go_to_slice(qtbot, viewport, int(lesion["axial_slice_index"]))
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    click_tool(qtbot, window, Tool.BRUSH)
    attempts: list[int] = []

    def busy(*_args: Any, **_kwargs: Any) -> Any:
        attempts.append(1)
        raise DatabaseBusyError(BUSY)

    window.session.record_measurement = busy  # type: ignore[method-assign]
    centre = np.asarray(lesion["centroid_lps"], dtype=float)
    away = widget_point(viewport, centre - np.array([1.2 * lesion["longest_axial_diameter_mm"], 0.0, 0.0]))
    brush_stroke(qtbot, viewport, [away])
    qtbot.waitUntil(lambda: not window.masks.busy, timeout=60_000)
    assert attempts and KEY in window.masks.unsaved
    return attempts


def test_sign_is_refused_until_retry_saves_the_correction(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    attempts = _failed_correction(qtbot, window)
    shown_ml = _screen_ml(window)
    assert _database_t1(window).volume_ml < shown_ml  # the stroke added voxels; the database misses them
    assert window.panel.retry_save.isVisible()
    assert "T1 at baseline was not saved" in window.errors[-1] and "Retry save" in window.errors[-1]

    # signing: the failed save is retried, fails again, and the signature is refused before any password is asked
    n = len(attempts)
    window.errors.clear()
    window.panel.sign_button.click()
    assert len(attempts) == n + 1
    assert window.errors, "signing was not refused"
    message = window.errors[-1]
    assert message.startswith("Cannot sign baseline: the brush correction of T1 at baseline was not saved")
    assert BUSY in message and "kept on screen" in message and "Retry save" in message
    assert window.assessment().status == "draft"  # type: ignore[union-attr]
    assert _screen_ml(window) == pytest.approx(shown_ml, rel=1e-12)  # the correction is still there

    # opening another timepoint is refused the same way (the combo box goes back to the timepoint read)
    window.panel.timepoint.setCurrentIndex(1)
    assert window.reading_label == "baseline" and window.panel.timepoint.currentData() == "baseline"
    assert window.errors[-1].startswith("Cannot open 3m: the brush correction of T1 at baseline was not saved")

    # the database answers again: Retry save writes the correction; the button goes
    del window.session.record_measurement  # the instance's failing stand-in goes; the real method is back
    click_button(qtbot, window.panel.retry_save)
    assert not window.masks.unsaved and not window.panel.retry_save.isVisible()
    assert _database_t1(window).volume_ml == pytest.approx(shown_ml, rel=1e-9)

    # now the signature goes through, and the signed measurement is the one on screen
    signed = _sign_baseline(qtbot, window)
    assert signed.volume_ml == pytest.approx(shown_ml, rel=1e-9)
    seg = window.segmentations[KEY]
    assert signed.diameter_mm == pytest.approx(seg["longest_axial"]["length_mm"])


def test_signing_retries_a_failed_save_itself(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """When the database answers again by the time the reader signs, signing saves the correction first."""
    _failed_correction(qtbot, window)
    shown_ml = _screen_ml(window)
    del window.session.record_measurement  # the instance's failing stand-in goes; the real method is back
    assert _sign_baseline(qtbot, window).volume_ml == pytest.approx(shown_ml, rel=1e-9)


def test_closing_with_a_failed_save_asks_and_never_drops_it_quietly(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    attempts = _failed_correction(qtbot, window)
    stored_ml = _database_t1(window).volume_ml
    shown_ml = _screen_ml(window)
    asked: list[str] = []
    answers = iter(["cancel", "retry", "retry", "discard"])

    def ask(text: str) -> str:
        asked.append(text)
        return next(answers)

    window.ask_unsaved = ask  # type: ignore[method-assign]
    window.close()  # cancel: stays open, the correction on screen
    assert window.isVisible() and KEY in window.masks.unsaved
    assert asked[-1].startswith("the brush correction of T1 at baseline was not saved") and BUSY in asked[-1]
    assert _screen_ml(window) == pytest.approx(shown_ml, rel=1e-12)

    n = len(attempts)
    window.close()  # retry while the database is still busy: stays open and says so
    assert len(attempts) == n + 1 and window.isVisible()
    assert window.errors[-1].startswith("Cannot close the window: the brush correction of T1 at baseline")

    del window.session.record_measurement
    window.close()  # retry once the database answers: saved, then closed
    assert not window.isVisible() and len(asked) == 3
    assert _database_t1(window).volume_ml == pytest.approx(shown_ml, rel=1e-9) and shown_ml > stored_ml


def test_closing_can_discard_a_failed_save(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    _failed_correction(qtbot, window)
    stored_ml = _database_t1(window).volume_ml
    window.ask_unsaved = lambda _text: "discard"  # type: ignore[method-assign]
    window.close()
    assert not window.isVisible() and not window.masks.unsaved
    assert _database_t1(window).volume_ml == stored_ml  # the database keeps its last saved values


def test_a_drawing_whose_save_failed_blocks_signing_until_saved(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The same for a line saved on the GUI thread: its failed save is tried again at signing, and signing is
    refused while it fails; the signed diameter is then the length of the line drawn (from the ground truth)."""
    import math

    from tests.ui.reading_helpers import draw_truth_length

    lesion = window.truth["baseline"]["lesions"]["T1"]  # type: ignore[attr-defined]
    add_lesion(qtbot, window, "target", "thigh")

    def busy(*_args: Any, **_kwargs: Any) -> Any:
        raise DatabaseBusyError(BUSY)

    window.session.record_measurement = busy  # type: ignore[method-assign]
    draw_truth_length(qtbot, window, lesion)
    assert window.errors and BUSY in window.errors[-1]
    window.errors.clear()
    window.panel.sign_button.click()
    assert window.errors and window.errors[-1].startswith(
        "Cannot sign baseline: the drawings of T1 at baseline were not saved (the read database is busy"
    )
    assert "kept on screen" in window.errors[-1]
    assert window.assessment().status == "draft"  # type: ignore[union-attr]
    window.panel.timepoint.setCurrentIndex(1)
    assert window.reading_label == "baseline"  # nor may the reader move on to the next timepoint

    drawn = [m for m in window.reading_viewport().measurements if m.lesion_id == "T1" and m.value is not None]
    assert len(drawn) == 1
    shown_mm = float(drawn[0].value.result.length_mm)  # the line on screen
    assert shown_mm == pytest.approx(math.dist(*lesion["longest_axial_line_lps"]), abs=3.0)

    del window.session.record_measurement
    assert _sign_baseline(qtbot, window).diameter_mm == pytest.approx(shown_mm, abs=1e-9)
