"""Key images: the measured slice of a lesion, windowed and cropped, with the drawn measurement in pixel terms.

The image comes from the DICOM the reader measured on (found by the SOP Instance UID kept in the measurement
objects); every LPS <-> pixel conversion goes through `Volume`. The result is plain numbers (a grey uint8 crop and
overlay polylines in crop pixel coordinates) so the PDF can draw the measurement as vector lines over the image,
sharp at any zoom. Series are loaded once per export and shared by all key images that use them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging import ImagingError, SeriesInfo, Volume, load_series, scan
from sfrt_reader.imaging.catalog import Catalog
from sfrt_reader.imaging.windows import Window, default_window
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.serialise import drawn_parts, measurement_from_dict
from sfrt_reader.reports.errors import ReportError

# Field of view around a measurement: the drawn extent plus this margin on every side, at least MIN_FOV_MM wide.
MARGIN_FRACTION = 0.35
MIN_FOV_MM = 60.0


@dataclass(frozen=True)
class Overlay:
    """A polyline in crop pixel coordinates (x right, y down, pixel centres at +0.5), open or closed."""

    kind: str  # "long", "short", "line", "region"
    points: tuple[tuple[float, float], ...]
    closed: bool = False


@dataclass(frozen=True)
class KeyImage:
    """A cropped, windowed slice and what to draw on it; `mm_per_px` gives the scale bar (x, y)."""

    grey: NDArray[np.uint8]
    overlays: tuple[Overlay, ...]
    mm_per_px: tuple[float, float]
    window: Window


def drawn_lines(objects: list[dict[str, Any]]) -> list[tuple[str, list[list[float]], bool, str]]:
    """(kind, LPS points, closed, SOP Instance UID) of every drawable part of measurement objects (their dicts).

    Each dict goes through the measurement dispatcher; one that is not a valid measurement (an older or damaged
    record) has nothing drawn for it: the key image still shows the slice and the report the recorded numbers."""
    out: list[tuple[str, list[list[float]], bool, str]] = []
    for obj in objects:
        try:
            measurement = measurement_from_dict(obj)
        except MeasurementError:
            continue
        for part in drawn_parts(measurement):
            out.append((part.name, [list(p) for p in part.points], part.closed, part.sop_instance_uid))
    return out


# How much of each file is searched for the SOP Instance UID before its header is parsed (see ImageLibrary.find).
HEAD_BYTES = 16384


@dataclass
class ImageLibrary:
    """Finds and loads the single images that given SOP instances are, each file read once per export.

    Finding one image among a subject's few hundred files by parsing every header took half a second; instead the
    raw first bytes of each file are searched for the UID's text (it is stored verbatim in the header), only the
    candidates are parsed, and only the one slice is loaded: a key image and an SR reference need that slice's
    geometry and pixels, not the whole series. When no candidate holds the UID (a header longer than HEAD_BYTES),
    the whole folder is catalogued as a fallback.
    """

    files: dict[str, list[str]] = field(default_factory=dict)
    catalogs: dict[str, Catalog] = field(default_factory=dict)
    found: dict[str, tuple[Volume, int, SeriesInfo]] = field(default_factory=dict)

    def _files(self, folder: str) -> list[str]:
        if folder not in self.files:
            if not Path(folder).exists():
                raise ReportError(
                    "the images of this timepoint are no longer where they were imported from: re-import the "
                    "subject's folder (sfrt-reader import) and export again"
                )
            self.files[folder] = sorted(
                os.path.join(root, name) for root, _, names in os.walk(folder) for name in names
            )
        return self.files[folder]

    def _load(self, series: SeriesInfo, sop_instance_uid: str) -> tuple[Volume, int, SeriesInfo] | None:
        frame = next((f for f in series.frames if f.sop_instance_uid == sop_instance_uid), None)
        if frame is None:
            return None
        single = replace(series, frames=(frame,), error=None, problems=[])
        try:
            volume = load_series(single)
        except ImagingError as error:
            raise ReportError(f"the measured image cannot be loaded: {error}") from error
        return volume, 0, single

    def find(self, folder: str, sop_instance_uid: str) -> tuple[Volume, int, SeriesInfo]:
        """(one-slice volume, slice index 0, series info of that slice) of the image with this SOP Instance UID."""
        if sop_instance_uid in self.found:
            return self.found[sop_instance_uid]
        needle = sop_instance_uid.encode("ascii", "replace")
        for path in self._files(folder):
            try:
                with open(path, "rb") as handle:
                    head = handle.read(HEAD_BYTES)
            except OSError:
                continue
            if needle not in head:
                continue
            for series in scan([path]).series():
                hit = self._load(series, sop_instance_uid)
                if hit is not None:
                    self.found[sop_instance_uid] = hit
                    return hit
        if folder not in self.catalogs:
            self.catalogs[folder] = scan([folder])
        for series in self.catalogs[folder].series():
            hit = self._load(series, sop_instance_uid)
            if hit is not None:
                self.found[sop_instance_uid] = hit
                return hit
        raise ReportError(
            "the image a measurement was drawn on (SOP Instance UID ..."
            f"{sop_instance_uid[-12:]}) is not among this timepoint's images: were they re-imported?"
        )


def render(library: ImageLibrary, folder: str | None, objects: list[dict[str, Any]]) -> KeyImage | None:
    """The key image of one lesion at one timepoint, or None when nothing drawable was recorded."""
    lines = [x for x in drawn_lines(objects) if x[3]]
    if not lines or folder is None:
        return None
    sop = next((x[3] for x in lines if x[0] in ("long", "line")), lines[0][3])
    volume, k, _ = library.find(folder, sop)
    on_slice = [x for x in lines if x[3] == sop]
    ij = [volume.lps_to_index(np.asarray(pts, dtype=float))[:, :2] for _, pts, _, _ in on_slice]
    allpts = np.vstack(ij)
    sx, sy = volume.pixel_spacing
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    extent_mm = max((hi[0] - lo[0]) * sx, (hi[1] - lo[1]) * sy)
    fov_mm = max(MIN_FOV_MM, extent_mm * (1.0 + 2.0 * MARGIN_FRACTION))
    centre = (lo + hi) / 2.0
    half_x, half_y = fov_mm / sx / 2.0, fov_mm / sy / 2.0
    _, ny, nx = volume.array.shape
    x0 = round(centre[0] - half_x)
    y0 = round(centre[1] - half_y)
    x1 = round(centre[0] + half_x) + 1
    y1 = round(centre[1] + half_y) + 1
    plane = np.asarray(volume.array[k])
    window = (
        Window(*volume.window) if volume.window and volume.modality != "CT" else default_window(volume.modality, plane)
    )
    # Pad with the darkest value so that a lesion at the edge of the field keeps the measurement centred.
    pad_value = plane.min()
    crop = np.full((y1 - y0, x1 - x0), pad_value, dtype=plane.dtype)
    sy0, sy1, sx0, sx1 = max(0, y0), min(ny, y1), max(0, x0), min(nx, x1)
    if sy1 > sy0 and sx1 > sx0:
        crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = plane[sy0:sy1, sx0:sx1]
    from sfrt_reader.imaging.windows import apply_window

    grey = apply_window(crop, window)
    overlays = tuple(
        Overlay(kind, tuple((float(p[0] - x0 + 0.5), float(p[1] - y0 + 0.5)) for p in pts), closed)
        for (kind, _, closed, _), pts in zip(on_slice, ij, strict=True)
    )
    return KeyImage(grey, overlays, (float(sx), float(sy)), window)
