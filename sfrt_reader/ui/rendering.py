"""Slice -> window/level lookup -> QImage, with a small cache.

The lookup itself is plain numpy (`sfrt_reader.ui.state.windowing`); this module only wraps the uint8 result in
a QImage without copying (the array is kept alive next to the image) and remembers the last few images, so that
a repaint without a change (an overlay moving, the window being resized) costs nothing and scrolling back and
forth over the same slices costs one dictionary look-up.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtGui import QImage

from sfrt_reader.ui.state.viewport import ViewportState
from sfrt_reader.ui.state.windowing import apply_window_rgb32


def rgb32_qimage(pixels: np.ndarray) -> QImage:
    """An RGB32 QImage viewing a C-contiguous uint32 [rows, columns] array (the caller keeps the array alive)."""
    if pixels.dtype != np.uint32 or pixels.ndim != 2 or not pixels.flags.c_contiguous:
        raise ValueError("rgb32_qimage needs a C-contiguous 2-D uint32 array")
    height, width = pixels.shape
    return QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGB32)


class SliceRenderer:
    """Renders a ViewportState's current slice through its window into a QImage, caching the last `size` ones."""

    def __init__(self, size: int = 48) -> None:
        self._size = size
        self._cache: OrderedDict[tuple, tuple[np.ndarray, QImage]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def key(self, state: ViewportState) -> tuple:
        width, level = state.window
        return (id(state.volume), state.geometry_key, state.slice_index, width, level)

    def has(self, state: ViewportState) -> bool:
        """Whether `render(state)` is a cache hit (no slice to make)."""
        return self.key(state) in self._cache

    def render(self, state: ViewportState) -> QImage:
        key = self.key(state)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            return cached[1]
        self.misses += 1
        width, level = state.window
        pixels = apply_window_rgb32(state.slice_image(), width, level)
        image = rgb32_qimage(pixels)
        self._cache[key] = (pixels, image)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return image

    def clear(self) -> None:
        self._cache.clear()
