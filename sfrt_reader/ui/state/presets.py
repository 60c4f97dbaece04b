"""Window presets on the number keys, taken from `sfrt_reader.imaging.windows` (the one place windows are defined).

Key 1 soft tissue, 2 lung, 3 bone, 4 liver; key 0 is "auto": a window computed from the slice itself, which is
what MR needs (its stored values have no absolute scale). Here everything is (width, level), the order a
radiologist says it; `imaging.windows` keeps DICOM's (center, width).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.imaging.windows import CT_PRESETS, percentile_window


@dataclass(frozen=True)
class WindowPreset:
    """A named window on a number key: width and level in the image's units (HU for CT)."""

    key: str
    name: str
    width: float
    level: float


def _preset(key: str, name: str) -> WindowPreset:
    window = CT_PRESETS[name]
    return WindowPreset(key, name.capitalize(), window.width, window.center)


PRESETS: tuple[WindowPreset, ...] = (
    _preset("1", "soft tissue"),
    _preset("2", "lung"),
    _preset("3", "bone"),
    _preset("4", "liver"),
)
AUTO_KEY = "0"


def preset_for_key(key: str) -> WindowPreset | None:
    """The preset bound to a number key, or None (0 is auto and handled by `auto_window`)."""
    for preset in PRESETS:
        if preset.key == key:
            return preset
    return None


def auto_window(volume: Volume, slice_index: int | None = None) -> tuple[float, float]:
    """(width, level) covering the 1st to 99th percentile of the slice (or of the whole volume when None).

    Percentiles so that a few metal or air voxels do not flatten the contrast. CT: air below -950 HU is left
    out (it is most of the slice); other modalities: zero background is left out (`percentile_window`).
    """
    data = np.asarray(volume.array if slice_index is None else volume.array[slice_index])
    if volume.unit.upper() == "HU":
        inside = data[data > -950]
        window = percentile_window(inside if inside.size else data, ignore_zero=False)
    else:
        window = percentile_window(data, ignore_zero=True)
    return float(window.width), float(window.center)


def initial_window(volume: Volume) -> tuple[float, float]:
    """The (width, level) a viewport opens with.

    `Volume.window` (center, width) when the caller set one; soft tissue on CT (sarcoma reading); the series'
    own DICOM window on other modalities when the header has one; otherwise auto.
    """
    if volume.window is not None and volume.window[1] >= 1:
        center, width = volume.window
        return float(width), float(center)
    if volume.modality.upper() == "CT":
        return PRESETS[0].width, PRESETS[0].level
    header = volume.metadata.get("header_window")
    if isinstance(header, tuple | list) and len(header) == 2 and float(header[1]) >= 1:
        return float(header[1]), float(header[0])
    return auto_window(volume)
