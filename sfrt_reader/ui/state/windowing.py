"""Window/level as a uint8 lookup table (DICOM PS3.3 C.11.2.1.2 linear function), numpy only.

Why a table: integer images (CT int16, most MR uint16) take at most 65536 distinct values, so computing the
window function once per value and indexing the table with the slice costs one gather per pixel and no float
arithmetic; a slice change at 512x512 then costs well under a millisecond. Float images go through the formula
directly (vectorised).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def window_function(values: np.ndarray, width: float, level: float) -> np.ndarray:
    """The DICOM linear VOI function mapped to 0..255 (float64), for any numeric array.

    x <= c - 0.5 - (w-1)/2 -> 0; x > c - 0.5 + (w-1)/2 -> 255; otherwise ((x - (c - 0.5)) / (w-1) + 0.5) * 255.
    """
    if width < 1:
        raise ValueError(f"window width must be at least 1, got {width}")
    x = np.asarray(values, dtype=np.float64)
    c = float(level)
    w = float(width)
    if w == 1.0:  # the standard's special case: a threshold
        return np.asarray(np.where(x > c - 0.5, 255.0, 0.0), dtype=np.float64)
    y = ((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0
    return np.asarray(np.clip(y, 0.0, 255.0), dtype=np.float64)


@lru_cache(maxsize=64)
def _lut(kind: str, width: float, level: float) -> np.ndarray:
    """A 65536-entry (or 256-entry) uint8 table indexed by the unsigned view of the stored values."""
    values: np.ndarray
    if kind in {"int16", "uint16"}:
        raw = np.arange(65536, dtype=np.uint16)
        values = raw.view(np.int16) if kind == "int16" else raw
    else:
        raw8 = np.arange(256, dtype=np.uint8)
        values = raw8.view(np.int8) if kind == "int8" else raw8
    table: np.ndarray = np.rint(window_function(values, width, level)).astype(np.uint8)
    table.setflags(write=False)
    return table


_GRAY32 = (np.uint32(0xFF000000) | (np.arange(256, dtype=np.uint32) * np.uint32(0x010101))).astype(np.uint32)


@lru_cache(maxsize=64)
def _lut32(kind: str, width: float, level: float) -> np.ndarray:
    """The same table as `_lut`, as opaque 0xFFRRGGBB grey pixels (what Qt draws fastest: Format_RGB32)."""
    table: np.ndarray = _GRAY32[_lut(kind, width, level)]
    table.setflags(write=False)
    return table


def apply_window_rgb32(image: np.ndarray, width: float, level: float) -> np.ndarray:
    """Like `apply_window` but as a C-contiguous uint32 array of grey 0xFFvvvvvv pixels.

    Why: painting a scaled 8-bit greyscale image makes Qt convert it on every paint; an RGB32 image is drawn
    directly, which keeps a repaint within a frame at 512x512.
    """
    kind = image.dtype.name
    if kind in {"int16", "uint16", "int8", "uint8"}:
        unsigned = image.view(np.uint16 if image.dtype.itemsize == 2 else np.uint8)
        return np.ascontiguousarray(_lut32(kind, float(width), float(level))[unsigned])
    return np.ascontiguousarray(_GRAY32[apply_window(image, width, level)])


def apply_window(image: np.ndarray, width: float, level: float) -> np.ndarray:
    """A C-contiguous uint8 array of the same 2-D shape: `image` through the window (width, level)."""
    kind = image.dtype.name
    if kind in {"int16", "uint16", "int8", "uint8"}:
        table = _lut(kind, float(width), float(level))
        unsigned = image.view(np.uint16 if image.dtype.itemsize == 2 else np.uint8)
        return np.ascontiguousarray(table[unsigned])
    return np.ascontiguousarray(np.rint(window_function(image, width, level)).astype(np.uint8))
