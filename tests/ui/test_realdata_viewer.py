"""The viewer on real scanner series: a gantry-tilted head CT and a 3-D MR (skipped without SFRT_REALDATA)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sfrt_reader.imaging import load_path
from sfrt_reader.ui.state import ViewportState, corner_text, orientation_labels
from sfrt_reader.ui.viewport import SliceViewport

pytestmark = pytest.mark.realdata


def test_tilted_head_ct_letters_and_position(realdata: Path, show) -> None:  # type: ignore[no-untyped-def]
    volume = load_path(realdata / "ct" / "ge_hispeed_gantry_tilt_variable_spacing")
    view = show(SliceViewport(ViewportState(volume)), 512, 512)
    letters = orientation_labels(view.state)
    # rows run left-to-right (R on the viewer's left); the tilted column direction mixes posterior and inferior
    assert (letters["left"], letters["right"]) == ("R", "L")
    col = np.asarray(volume.column_direction)
    assert letters["bottom"][0] == "P" and ("I" in letters["bottom"]) == (col[2] < -0.25)
    corners = corner_text(view.state, view.info, False, view.screen_zoom())
    assert f"Pos {volume.slice_position_mm(view.state.slice_index):.1f} mm" in corners.bottom_left
    image = view.grab().toImage()
    assert image.pixelColor(256, 256).value() > 40  # brain at W400/L40 is mid-grey, not background


def test_mr_opens_with_a_usable_window(realdata: Path, show) -> None:  # type: ignore[no-untyped-def]
    volume = load_path(realdata / "mr" / "ge_signa_pioneer_3d_t1_mprage_130sl")
    state = ViewportState(volume)
    width, level = state.window
    values = volume.array[state.slice_index]
    inside = values[(values > level - width / 2) & (values < level + width / 2)]
    assert width >= 1 and inside.size > 0.3 * values[values > 0].size
    view = show(SliceViewport(state), 400, 400)
    assert view.grab().toImage().width() == 400
