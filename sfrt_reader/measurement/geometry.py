"""Where a measurement sits: LPS points checked against a Volume, and the slice it was made on.

Every measurement keeps its points in LPS millimetres and a reference to the acquired slice (series UID, SOP
Instance UID, frame number) so that the reading database, the PDF and the DICOM SR can point back at the image.
All index <-> LPS conversion goes through `Volume`; nothing here re-derives spacing or orientation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError

Point = tuple[float, float, float]

# Points drawn on a slice may sit a rounding error off its plane; half a slice gap is the most we accept.
_SLICE_TOLERANCE = 0.5 + 1e-6


def as_point(value: Sequence[float] | NDArray[np.float64], what: str = "point") -> Point:
    """Three finite floats, or a MeasurementError naming the offending point."""
    try:
        items = [float(v) for v in value]
    except (TypeError, ValueError) as error:
        raise MeasurementError(f"{what} must be three numbers (x, y, z in LPS mm), got {value!r}") from error
    if len(items) != 3:
        raise MeasurementError(f"{what} must have 3 coordinates (x, y, z in LPS mm), got {len(items)}")
    if not all(math.isfinite(v) for v in items):
        raise MeasurementError(f"{what} has a coordinate that is not a finite number: {items}")
    return (items[0], items[1], items[2])


def format_point(point: Sequence[float] | NDArray[np.float64]) -> str:
    """'(x, y, z) mm' with one decimal, for messages."""
    return "(" + ", ".join(f"{float(v):.1f}" for v in point) + ") mm"


@dataclass(frozen=True)
class SliceRef:
    """The acquired image a measurement was made on (empty strings when it spans several slices)."""

    series_uid: str = ""
    sop_instance_uid: str = ""
    frame_number: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "series_uid": self.series_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "frame_number": self.frame_number,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SliceRef:
        frame = data.get("frame_number")
        return cls(
            series_uid=str(data.get("series_uid", "")),
            sop_instance_uid=str(data.get("sop_instance_uid", "")),
            frame_number=None if frame is None else int(frame),
        )


def slice_ref(volume: Volume, k: int | None) -> SliceRef:
    """Reference to slice k of the volume, or to the series only when k is None."""
    if k is None:
        return SliceRef(series_uid=volume.series_instance_uid)
    return SliceRef(
        series_uid=volume.series_instance_uid,
        sop_instance_uid=volume.sop_instance_uids[k],
        frame_number=volume.frame_numbers[k],
    )


def check_inside(volume: Volume, points: Sequence[Point], what: str = "point") -> NDArray[np.float64]:
    """Continuous indices (n, 3) of the points, refusing any that lies outside the image grid.

    A point is inside when it falls within the outer edges of the edge voxels (index -0.5 .. n-0.5 on each axis).
    """
    lps = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    ijk = volume.lps_to_index(lps)
    if volume.contains_index(ijk):  # all inside: one vectorised test (freehand outlines have hundreds of points)
        return np.asarray(ijk, dtype=np.float64)
    nx, ny, nz = volume.size
    for n, (p, idx) in enumerate(zip(lps, ijk, strict=True)):
        if not volume.contains_index(idx):
            label = what if len(lps) == 1 else f"{what} {n + 1}"
            raise MeasurementError(
                f"{label} {format_point(p)} lies outside the image (column {idx[0]:.1f} of {nx}, row {idx[1]:.1f} "
                f"of {ny}, slice {idx[2] + 1:.1f} of {nz}): place it on the image"
            )
    return np.asarray(ijk, dtype=np.float64)


def on_one_slice(volume: Volume, points: Sequence[Point], what: str) -> tuple[int, NDArray[np.float64]]:
    """(k, ij) for points drawn on one acquired slice: the slice nearest their centroid, and their in-plane
    continuous (column, row) indices on it. Refuses points outside the image or spread over several slices."""
    ijk = check_inside(volume, points, what)
    k = int(np.clip(round(float(ijk[:, 2].mean())), 0, volume.shape[0] - 1))
    off = np.abs(ijk[:, 2] - k)
    if np.any(off > _SLICE_TOLERANCE):
        worst = float(off.max())
        raise MeasurementError(
            f"the points of the {what} are not on one slice (one is {worst:.2f} slice gaps away from slice {k + 1}): "
            "draw it on a single image"
        )
    return k, np.asarray(ijk[:, :2], dtype=np.float64)


def in_plane_mm(volume: Volume, vectors: NDArray[np.float64]) -> NDArray[np.float64]:
    """Components (along rows direction, along columns direction) in mm of LPS vectors (n, 3)."""
    row = np.asarray(volume.row_direction, dtype=np.float64)
    col = np.asarray(volume.column_direction, dtype=np.float64)
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, 3)
    return np.stack([v @ row, v @ col], axis=-1)
