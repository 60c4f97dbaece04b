"""The slice renderer: pixels equal the window lookup, and the cache never serves a stale image."""

from __future__ import annotations

import numpy as np

from sfrt_reader.ui.rendering import SliceRenderer
from sfrt_reader.ui.state import ViewportState
from sfrt_reader.ui.state.windowing import window_function
from tests.ui.volumes import axial_ct


def _grey(image, x: int, y: int) -> int:  # type: ignore[no-untyped-def]
    return image.pixelColor(x, y).red()


def test_rendered_pixels_follow_the_dicom_window(qapp) -> None:  # type: ignore[no-untyped-def]
    volume = axial_ct(nz=5, ny=20, nx=30)
    state = ViewportState(volume)
    state.set_window(60, -470)
    image = SliceRenderer().render(state)
    assert (image.width(), image.height()) == (30, 20)
    for x, y in ((0, 0), (7, 3), (29, 19)):
        expected = int(np.rint(window_function(np.array([volume.array[2, y, x]]), 60, -470))[0])
        assert _grey(image, x, y) == expected


def test_cache_hits_only_for_the_same_slice_and_window(qapp) -> None:  # type: ignore[no-untyped-def]
    state = ViewportState(axial_ct(nz=5))
    renderer = SliceRenderer(size=2)
    first = renderer.render(state)
    assert renderer.render(state) is first and renderer.hits == 1
    state.set_window(100, -480)
    second = renderer.render(state)
    assert second is not first and renderer.misses == 2
    state.set_slice(0)
    renderer.render(state)
    state.set_slice(2)
    state.set_window(400, 40)
    assert renderer.render(state) is not first  # evicted (cache of 2), re-rendered, same pixels
    assert renderer.misses == 4
