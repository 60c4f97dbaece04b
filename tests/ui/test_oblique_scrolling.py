"""Scrolling an oblique plane: the slices are resampled in a worker, the newest slice asked for wins, and the slice
finally on screen is exactly the plane's resampled slice through the window lookup."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint

from sfrt_reader.ui.state import Plane, ViewportState
from sfrt_reader.ui.state.windowing import apply_window_rgb32
from sfrt_reader.ui.viewport import SliceViewport
from tests.ui.conftest import wheel
from tests.ui.reformat_phantoms import ellipsoid_ct, tilted_axes


def _oblique_viewport(show: Any) -> tuple[SliceViewport, Any, list[int]]:
    """A viewport on the oblique plane through an ellipsoid's long axis; the plane counts its resamplings."""
    centre = np.array([2.0, -3.0, 1.0])
    axes = tilted_axes(azimuth_deg=35.0, elevation_deg=30.0)
    volume = ellipsoid_ct(centre, (35.0, 12.0, 10.0), axes, n=110, z_positions=list(np.arange(-45.0, 45.1, 2.0)))
    viewport = show(SliceViewport(ViewportState(volume)), 500, 450)
    direction = np.array([math.cos(math.radians(35)), math.sin(math.radians(35)), 0.0])
    viewport.state.set_oblique(centre - 15 * direction, centre + 15 * direction)
    plane = viewport.state.geometry
    made: list[int] = []
    resample = plane.resample

    def counting(s: int) -> np.ndarray:
        made.append(int(s))
        return resample(s)

    plane.resample = counting  # the worker calls the plane's own method: count what it is asked to make
    return viewport, plane, made


def _shown_pixels(viewport: SliceViewport) -> np.ndarray:
    image = viewport._image_item._image
    assert image is not None
    ptr = image.constBits()
    return np.frombuffer(ptr, dtype=np.uint32, count=image.width() * image.height()).reshape(
        image.height(), image.width()
    )


def test_scrolling_an_oblique_plane_resamples_in_a_worker_and_the_newest_slice_wins(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport, plane, made = _oblique_viewport(show)
    state = viewport.state
    assert state.plane == Plane.OBLIQUE
    first = state.slice_index
    assert viewport.shown_slice == first  # switching to the plane shows its first slice at once

    for _ in range(6):  # six wheel notches, sent one after the other with no event loop in between
        wheel(viewport.viewport(), QPoint(100, 100), 1)
    target = state.slice_index
    assert abs(target - first) == 6
    # the GUI thread resampled nothing: the slice first asked for is being made, the image is still the first
    assert viewport.resampling and viewport.shown_slice == first
    assert not plane.is_cached(target)

    qtbot.waitUntil(lambda: viewport.shown_slice == target and not viewport.resampling, timeout=20_000)
    # one slice for the first notch, then the newest: the four slices scrolled past were never made
    assert made == [first + (target - first) // 6, target]
    width, level = state.window
    assert np.array_equal(_shown_pixels(viewport), apply_window_rgb32(plane.resample(target), width, level))


def test_a_failed_resampling_falls_back_to_the_gui_thread(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewport, plane, _made = _oblique_viewport(show)
    calls = {"n": 0}
    resample = plane.resample

    def failing_once(s: int) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            raise MemoryError("no memory in the worker")
        return resample(s)

    plane.resample = failing_once
    first = viewport.state.slice_index
    wheel(viewport.viewport(), QPoint(100, 100), 1)
    target = viewport.state.slice_index
    assert target != first
    qtbot.waitUntil(lambda: viewport.shown_slice == target, timeout=20_000)
    width, level = viewport.state.window
    assert np.array_equal(_shown_pixels(viewport), apply_window_rgb32(resample(target), width, level))


def test_a_plane_keeps_what_the_worker_made_and_refuses_a_slice_of_another_size(show) -> None:  # type: ignore[no-untyped-def]
    _viewport, plane, _made = _oblique_viewport(show)
    s = plane.slice_count - 1
    image = plane.resample(s)
    assert not plane.is_cached(s)  # resample neither reads nor fills the cache
    plane.remember(s, image)
    assert plane.is_cached(s) and plane.extract(None, s) is image
    with pytest.raises(ValueError, match="slice of this plane"):
        plane.remember(0, np.zeros((2, 2), dtype=image.dtype))
    with pytest.raises(ValueError, match="outside"):
        plane.resample(plane.slice_count)
