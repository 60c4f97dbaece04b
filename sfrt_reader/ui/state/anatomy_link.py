"""Linked navigation by anatomy: carrying a point between the timepoints of one subject through the registrations.

Each follow-up is registered to the baseline (`sfrt_reader.imaging.registration`), which gives a map baseline LPS ->
follow-up LPS. A point is carried
- baseline -> follow-up with `map_point`,
- follow-up -> baseline with `map_point_inverse`,
- follow-up A -> follow-up B through the baseline (inverse of A, then B),
each leg through `link_point`, which falls back to table position (the same patient coordinates) when the leg's
registration is missing, poor or rejected by the reader, and says so in a notice the workstation must show.

The viewport helpers (`show_point`, `centre_on`, `slice_point`) move a `ViewportState` to a patient point through
`Volume.lps_to_index` and the plane's `SliceGeometry`, so the geometry stays in one place.

`lesion_centre` finds where a lesion was measured from the stored drawings of a timepoint, for lesion propagation.
Everything here is plain Python (no Qt) and tested without a screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.registration_result import LinkedPoint, Registration, link_point
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.state.viewport import ViewportState


class LinkMode(Enum):
    """How the timepoints' viewports follow one another (the toolbar's choice)."""

    ANATOMY = "anatomy"
    TABLE = "table position"
    OFF = "off"


@dataclass(frozen=True)
class CarriedPoint:
    """A point carried from one timepoint to another, how (`registration` on every leg, else `table position`)
    and the notices of the legs that fell back (empty when the registration was used throughout)."""

    lps: tuple[float, float, float]
    method: str
    notices: tuple[str, ...]

    @property
    def array(self) -> np.ndarray:
        return np.asarray(self.lps, dtype=np.float64)


class AnatomyLink:
    """The registrations of one subject's follow-ups to its baseline, by timepoint label, and point carrying."""

    def __init__(self, baseline_label: str) -> None:
        if not baseline_label:
            raise ValueError("the baseline timepoint label is empty")
        self.baseline = baseline_label
        self._registrations: dict[str, Registration] = {}

    def set_registration(self, label: str, registration: Registration | None) -> None:
        """Use `registration` for the follow-up `label` (None forgets it: that leg links by table position)."""
        if label == self.baseline:
            raise ValueError("the baseline is not registered to itself")
        if registration is None:
            self._registrations.pop(label, None)
        else:
            self._registrations[label] = registration

    def registration(self, label: str) -> Registration | None:
        return self._registrations.get(label)

    @property
    def registrations(self) -> dict[str, Registration]:
        return dict(self._registrations)

    def notice(self, label: str) -> str | None:
        """Why the viewport of `label` is linked by table position only (None: it follows the anatomy)."""
        if label == self.baseline:
            return None
        return link_point(self._registrations.get(label), (0.0, 0.0, 0.0)).notice

    def carry(self, lps: Iterable[float], source: str, target: str) -> CarriedPoint:
        """Where the anatomy at `lps` of timepoint `source` lies in timepoint `target` (patient mm of each scan)."""
        p = np.asarray(list(lps), dtype=np.float64).reshape(3)
        if not np.all(np.isfinite(p)):
            raise ValueError("the point to carry holds a value that is not a finite number")
        legs: list[tuple[str, LinkedPoint]] = []
        point = (float(p[0]), float(p[1]), float(p[2]))
        if source != target:
            if source != self.baseline:
                leg = link_point(self._registrations.get(source), point, inverse=True)
                legs.append((source, leg))
                point = leg.lps
            if target != self.baseline:
                leg = link_point(self._registrations.get(target), point)
                legs.append((target, leg))
                point = leg.lps
        notices = tuple(f"{label}: {leg.notice}" for label, leg in legs if leg.notice is not None)
        method = "table position" if notices else "registration"
        return CarriedPoint(point, method, notices)


# ------------------------------------------------------------------------------------------- viewports


def slice_point(state: ViewportState, lps: Iterable[float]) -> tuple[float, float, float]:
    """(u, v, slice) of a patient point in the viewport's plane, continuous (the slice may lie outside)."""
    volume, geometry = state.volume, state.geometry
    if volume is None or geometry is None:
        raise ValueError("no volume is shown in this viewport")
    ijk = volume.lps_to_index(np.asarray(list(lps), dtype=np.float64).reshape(1, 3))[0]
    return geometry.index_to_display(ijk)


def show_point(state: ViewportState, lps: Iterable[float]) -> bool:
    """Go to the slice through `lps` (the nearest one, clamped to the stack). Returns whether the point lies within
    the stack (half a slice beyond the first and last slice counts as within)."""
    _u, _v, s = slice_point(state, lps)
    k = int(np.clip(round(s), 0, state.slice_count - 1))
    state.set_slice(k)
    return -0.5 <= s <= state.slice_count - 0.5


def centre_on(state: ViewportState, lps: Iterable[float]) -> bool:
    """`show_point`, and pan so the point is in the middle of the viewport (zoom unchanged)."""
    point = list(lps)
    inside = show_point(state, point)
    geometry = state.geometry
    assert geometry is not None
    u, v, _s = slice_point(state, point)
    state.set_pan(u - (geometry.width - 1) / 2, v - (geometry.height - 1) / 2)
    return inside


def point_on_slice(state: ViewportState, lps: Iterable[float] | None) -> np.ndarray:
    """The point to carry when a viewport scrolls: `lps` (the crosshair) moved onto the current slice, or the
    middle of the current slice when there is no crosshair."""
    geometry = state.geometry
    if geometry is None or state.volume is None:
        raise ValueError("no volume is shown in this viewport")
    if lps is None:
        u, v = (geometry.width - 1) / 2, (geometry.height - 1) / 2
    else:
        u, v, _s = slice_point(state, lps)
    return state.display_to_lps(u, v)


# ------------------------------------------------------------------------------------- lesion centres


def _mid(line: Mapping[str, Any]) -> np.ndarray:
    return (np.asarray(line["start"], dtype=np.float64) + np.asarray(line["end"], dtype=np.float64)) / 2


def lesion_centre(objects: Iterable[Mapping[str, Any]], volume: Volume | None = None) -> np.ndarray | None:
    """Where a lesion was measured, in the patient mm of its timepoint, from the stored drawings of one timepoint.

    Best first: the centroid of a segmentation (needs the timepoint's `volume`, whose grid the mask is on), the
    middle of the segmentation's longest axial diameter, of a drawn long axis (bidimensional) or line, the centre of
    an ellipse, the mean of a freehand outline. None when there is no drawing with a position.
    """
    from sfrt_reader.measurement.lesion_mask import LesionSegmentation

    ranked: list[tuple[int, np.ndarray]] = []
    for obj in objects:
        kind = obj.get("kind")
        try:
            if kind == "segmentation_result":
                seg = obj.get("segmentation")
                if volume is not None and isinstance(seg, Mapping):
                    mask = LesionSegmentation.from_dict(dict(seg))
                    if tuple(mask.volume_shape) == tuple(volume.shape) and mask.voxels:
                        zyx = mask.voxel_indices().mean(axis=0)
                        ranked.append((0, volume.index_to_lps(zyx[::-1].reshape(1, 3))[0]))
                ranked.append((1, _mid(obj["longest_axial"])))
            elif kind == "bidimensional":
                ranked.append((2, _mid(obj["long_axis"])))
            elif kind == "line":
                ranked.append((2, _mid(obj)))
            elif kind == "region_statistics":
                region = obj["region"]
                if region.get("kind") == "ellipse":
                    ranked.append((3, np.asarray(region["center"], dtype=np.float64)))
                else:
                    ranked.append((3, np.asarray(region["points"], dtype=np.float64).reshape(-1, 3).mean(axis=0)))
        except (KeyError, TypeError, ValueError, SfrtError):
            continue  # a drawing without usable coordinates says nothing about where the lesion is
    ranked = [(rank, p) for rank, p in ranked if p.shape == (3,) and np.all(np.isfinite(p))]
    if not ranked:
        return None
    return min(ranked, key=lambda pair: pair[0])[1]
