"""Window presets in one place: the number keys of the viewer and the toolbar read them from here.

Values are the usual radiology settings (width, level) in HU. Key 0 is "auto": a window computed from the image
itself, which is what MR needs (its stored values have no absolute scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sfrt_reader.imaging.volume import Volume


@dataclass(frozen=True)
class WindowPreset:
    """A named window: width and level in the image's units (HU for CT)."""

    key: str
    name: str
    width: float
    level: float


PRESETS: tuple[WindowPreset, ...] = (
    WindowPreset("1", "Soft tissue", 400.0, 40.0),
    WindowPreset("2", "Lung", 1500.0, -600.0),
    WindowPreset("3", "Bone", 1800.0, 400.0),
    WindowPreset("4", "Liver", 150.0, 90.0),
)
AUTO_KEY = "0"


def preset_for_key(key: str) -> WindowPreset | None:
    """The preset bound to a number key, or None (0 is auto and handled by `auto_window`)."""
    for preset in PRESETS:
        if preset.key == key:
            return preset
    return None


def auto_window(volume: Volume, slice_index: int | None = None) -> tuple[float, float]:
    """(width, level) covering the 1st to 99th percentile of the slice (or the whole volume when None).

    Percentiles instead of min/max so that a few metal or air voxels do not flatten the contrast; CT air outside
    the body is ignored below -950 HU for the same reason.
    """
    data = volume.array if slice_index is None else volume.array[slice_index]
    values = np.asarray(data)
    if values.size > 262_144:  # a strided sample is enough for percentiles and keeps this instant
        values = values.reshape(-1)[:: max(1, values.size // 262_144)]
    if volume.unit.upper() == "HU":
        inside = values[values > -950]
        if inside.size > 0:
            values = inside
    lo, hi = (float(v) for v in np.percentile(values, [1.0, 99.0]))
    if hi <= lo:
        hi = lo + 1.0
    return hi - lo, (hi + lo) / 2.0


def initial_window(volume: Volume) -> tuple[float, float]:
    """The window a viewport opens with: the series' own (DICOM WindowCenter/Width), soft tissue for CT, else auto."""
    if volume.window is not None:
        width, level = volume.window
        if width > 0:
            return float(width), float(level)
    if volume.modality.upper() == "CT":
        return PRESETS[0].width, PRESETS[0].level
    return auto_window(volume)
