"""Window presets (centre/width) for display: fixed HU windows for CT, percentiles for MR.

MR signal has no absolute scale, so an MR window is taken from the image itself: by default from the 1st to the
99th percentile of the non-background voxels. Pure functions: no state, no display code.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Window(NamedTuple):
    """A display window: values below center - width/2 show black, above center + width/2 white."""

    center: float
    width: float

    @property
    def low(self) -> float:
        return self.center - self.width / 2.0

    @property
    def high(self) -> float:
        return self.center + self.width / 2.0


CT_PRESETS: dict[str, Window] = {
    "soft tissue": Window(40.0, 400.0),
    "lung": Window(-600.0, 1500.0),
    "bone": Window(500.0, 2000.0),
    "liver": Window(90.0, 150.0),
}


def ct_window(name: str) -> Window:
    """A named CT preset ('soft tissue', 'lung', 'bone', 'liver')."""
    try:
        return CT_PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown CT window {name!r}; choose one of {', '.join(CT_PRESETS)}") from None


def percentile_window(values: np.ndarray, low: float = 1.0, high: float = 99.0, *, ignore_zero: bool = True) -> Window:
    """Window spanning the low-th to high-th percentile of the values (zeros ignored: MR background)."""
    if not 0.0 <= low < high <= 100.0:
        raise ValueError(f"percentiles must satisfy 0 <= low < high <= 100, got {low} and {high}")
    flat = np.asarray(values).ravel()
    if ignore_zero:
        flat = flat[flat != 0]
    if flat.size == 0:
        return Window(0.0, 1.0)
    # A strided sample keeps this fast on big volumes; percentiles of 1M samples are stable to well under 1%.
    step = max(1, flat.size // 1_000_000)
    lo, hi = np.percentile(flat[::step], [low, high])
    width = float(hi - lo)
    return Window(float(lo + hi) / 2.0, width if width > 0 else 1.0)


def apply_window(image: np.ndarray, window: Window) -> np.ndarray:
    """Map values to 0..255 grey levels (uint8) through the window, clipping outside it."""
    scaled = (np.asarray(image, dtype=np.float32) - np.float32(window.low)) * np.float32(255.0 / window.width)
    return np.asarray(np.clip(np.rint(scaled), 0, 255), dtype=np.uint8)


def default_window(modality: str, values: np.ndarray) -> Window:
    """Soft-tissue window for CT (sarcoma reading), 1st-99th percentile for anything else."""
    if modality == "CT":
        return CT_PRESETS["soft tissue"]
    return percentile_window(values)
