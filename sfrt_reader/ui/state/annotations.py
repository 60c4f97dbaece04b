"""Corner annotations and the scale bar length: the text a viewport overlays, decided without Qt.

Blinding: a central reader must not see patient identity, site or calendar dates. With `blinded` True the corners
show only the pseudonym, the timepoint label and the day from baseline; name, ID and dates never reach the
screen. The decision lives here, in one function, so it is tested once for every viewport.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from sfrt_reader.ui.state.planes import direction_letters
from sfrt_reader.ui.state.viewport import ViewportState


@dataclass(frozen=True)
class TimepointInfo:
    """What the corners may say about the scan shown. Identity fields are dropped in blinded mode."""

    pseudonym: str = ""
    timepoint_label: str = ""
    day_from_baseline: int | None = None
    patient_name: str = ""
    patient_id: str = ""
    study_date: date | None = None

    def __repr__(self) -> str:  # identity never goes into a repr (logs, tracebacks)
        return f"TimepointInfo(pseudonym={self.pseudonym!r}, timepoint_label={self.timepoint_label!r})"


@dataclass(frozen=True)
class CornerText:
    """Lines for each corner of the viewport."""

    top_left: tuple[str, ...]
    top_right: tuple[str, ...]
    bottom_left: tuple[str, ...]
    bottom_right: tuple[str, ...]


def corner_text(state: ViewportState, info: TimepointInfo, blinded: bool, screen_zoom: float) -> CornerText:
    """The four corners' lines for `state`.

    Top left: who and when (pseudonym or identity, timepoint, day from baseline, date unless blinded).
    Top right: modality and series description. Bottom left: slice number and table position in mm.
    Bottom right: window/level and zoom (screen pixels per image pixel).
    """
    volume = state.volume
    top_left: list[str] = []
    if blinded:
        if info.pseudonym:
            top_left.append(info.pseudonym)
    else:
        who = " ".join(x for x in (info.patient_name, info.patient_id) if x)
        top_left.append(who or info.pseudonym)
    when = info.timepoint_label
    if info.day_from_baseline is not None:
        when = f"{when}  ·  day {info.day_from_baseline}" if when else f"day {info.day_from_baseline}"
    if when:
        top_left.append(when)
    if not blinded and info.study_date is not None:
        top_left.append(info.study_date.isoformat())
    top_right: list[str] = []
    bottom_left: list[str] = []
    bottom_right: list[str] = []
    if volume is not None:
        top_right.append(" ".join(x for x in (volume.modality, state.plane.value.capitalize()) if x))
        if volume.series_description:
            top_right.append(volume.series_description)
        if volume.slice_thickness:
            top_right.append(f"ST {volume.slice_thickness:g} mm")
        bottom_left.append(f"Im {state.slice_index + 1}/{state.slice_count}")
        position = state.position_mm
        if position is not None:
            bottom_left.append(f"Pos {position:.1f} mm")
        width, level = state.window
        bottom_right.append(f"W {width:.0f}  L {level:.0f}")
        bottom_right.append(f"Zoom {screen_zoom:.2f}x")
    return CornerText(tuple(top_left), tuple(top_right), tuple(bottom_left), tuple(bottom_right))


def orientation_labels(state: ViewportState) -> dict[str, str]:
    """Letters at the middle of each viewport edge ('left', 'right', 'top', 'bottom') from the direction cosines."""
    geometry = state.geometry
    if geometry is None:
        return {}
    right = geometry.right
    down = geometry.down
    return {
        "right": direction_letters(right),
        "left": direction_letters(-np.asarray(right)),
        "bottom": direction_letters(down),
        "top": direction_letters(-np.asarray(down)),
    }


def scale_bar_mm(mm_per_screen_pixel: float, max_screen_pixels: float) -> float:
    """Longest 'nice' length (1, 2, 5 x 10^n mm) whose bar fits in `max_screen_pixels`."""
    if mm_per_screen_pixel <= 0 or max_screen_pixels <= 0:
        raise ValueError("scale bar needs a positive scale and a positive room")
    limit = mm_per_screen_pixel * max_screen_pixels
    exponent = math.floor(math.log10(limit))
    best = 0.0
    for e in (exponent - 1, exponent):
        for mantissa in (1.0, 2.0, 5.0):
            value = mantissa * 10.0**e
            if value <= limit + 1e-9:
                best = max(best, value)
    return best


def day_from_baseline(baseline: date | None, scan: date | None) -> int | None:
    """Whole days from the baseline scan to this scan (None when either date is unknown)."""
    if baseline is None or scan is None:
        return None
    return (scan - baseline).days
