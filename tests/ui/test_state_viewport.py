"""ViewportState: validation, events, scrolling, window/level, presets, zoom and pan, without a screen."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfrt_reader.ui.state import PRESETS, ChangeEvent, Plane, ViewportState, auto_window
from tests.ui.volumes import axial_ct


def test_opens_on_middle_slice_with_soft_tissue_window() -> None:
    state = ViewportState(axial_ct(nz=21))
    assert state.slice_index == 10
    assert state.window == (400.0, 40.0)
    assert state.zoom == 1.0 and state.pan == (0.0, 0.0)


def test_series_window_is_used_when_present() -> None:
    volume = axial_ct()
    volume.window = (50.0, 350.0)  # (center, width) as in DICOM and imaging.windows
    assert ViewportState(volume).window == (350.0, 50.0)


def test_events_carry_old_and_new_and_only_on_change() -> None:
    state = ViewportState(axial_ct())
    seen: list[ChangeEvent] = []
    state.events.connect(seen.append)
    state.set_slice(3)
    state.set_slice(3)
    state.set_window(100, 20)
    assert [(e.name, e.old, e.new) for e in seen] == [("slice", 10, 3), ("window", (400.0, 40.0), (100.0, 20.0))]
    state.events.disconnect(seen.append)
    state.set_slice(4)
    assert len(seen) == 2


def test_invalid_values_are_refused() -> None:
    state = ViewportState(axial_ct(nz=20))
    with pytest.raises(ValueError, match=r"outside 0\.\.19"):
        state.set_slice(20)
    with pytest.raises(TypeError):
        state.set_slice(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least"):
        state.set_window(0.5, 0)
    with pytest.raises(ValueError, match="finite"):
        state.set_window(float("nan"), 0)
    with pytest.raises(ValueError):
        state.set_zoom(0)
    with pytest.raises(ValueError, match="no volume"):
        ViewportState().set_slice(0)


@given(start=st.integers(0, 19), delta=st.integers(-50, 50))
def test_scroll_clamps_to_the_stack(start: int, delta: int) -> None:
    state = ViewportState(axial_ct(nz=20))
    state.set_slice(start)
    state.scroll(delta)
    assert state.slice_index == min(19, max(0, start + delta))


@given(dx=st.integers(-300, 300), dy=st.integers(-300, 300))
def test_adjust_window_moves_two_hu_per_pixel_on_ct(dx: int, dy: int) -> None:
    state = ViewportState(axial_ct())
    state.adjust_window(dx, dy)
    width, level = state.window
    assert width == max(1.0, 400 + 2 * dx)
    assert level == 40 + 2 * dy


def test_number_key_presets() -> None:
    state = ViewportState(axial_ct())
    expected = {"1": (400.0, 40.0), "2": (1500.0, -600.0), "3": (2000.0, 500.0), "4": (150.0, 90.0)}
    assert {p.key: (p.width, p.level) for p in PRESETS} == expected
    for key, window in expected.items():
        assert state.apply_preset(key)
        assert state.window == window
    assert not state.apply_preset("7")


def test_auto_window_is_the_1_to_99_percentile_of_the_slice() -> None:
    volume = axial_ct()
    state = ViewportState(volume)
    state.set_slice(5)
    assert state.apply_preset("0")
    values = volume.array[5].astype(float)
    lo, hi = np.percentile(values[values > -950], [1, 99])
    assert state.window == pytest.approx((hi - lo, (hi + lo) / 2))
    assert auto_window(volume, 5) == pytest.approx((hi - lo, (hi + lo) / 2))


def test_zoom_is_clamped_and_reset() -> None:
    state = ViewportState(axial_ct())
    state.zoom_by(1000)
    assert state.zoom == 40.0
    state.pan_by(3, -4)
    state.reset_view()
    assert (state.zoom, state.pan) == (1.0, (0.0, 0.0))


def test_position_and_display_to_lps_go_through_the_volume() -> None:
    volume = axial_ct(z0=-100.0, dz=5.0)
    state = ViewportState(volume)
    state.set_slice(4)
    assert state.position_mm == -80.0
    np.testing.assert_allclose(state.display_to_lps(10, 20), volume.index_to_lps([10, 20, 4]))
    state.set_plane(Plane.CORONAL)
    assert state.slice_count == 64
    # coronal display (u, v) on slice j: i = u, k = nz - 1 - v
    np.testing.assert_allclose(
        state.display_to_lps(10, 2), volume.index_to_lps([10, state.slice_index, volume.shape[0] - 1 - 2])
    )


def test_go_to_position_picks_the_nearest_slice() -> None:
    state = ViewportState(axial_ct(z_positions=[0.0, 2.0, 5.0, 9.0]))
    for target, expected in [(-10.0, 0), (0.9, 0), (1.1, 1), (3.6, 2), (7.1, 3), (100.0, 3)]:
        state.go_to_position(target)
        assert state.slice_index == expected


def test_repr_has_no_metadata() -> None:
    volume = axial_ct()
    volume.metadata["PatientName"] = "DOE^JANE"
    assert "DOE" not in repr(ViewportState(volume))
