"""Volumes with exactly known geometry, built in memory for the measurement tests.

Geometry here is written out independently of `Volume` (origin + i * sx * row + j * sy * col + slice offsets), so
the tests compare the measurement layer against formulas, not against the code under test.
"""

from __future__ import annotations

import math

import numpy as np

from sfrt_reader.imaging.volume import Volume


def rotation_about(axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rodrigues rotation matrix."""
    a = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    t = math.radians(degrees)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * (k @ k)


def oblique_directions(degrees: float = 25.0) -> tuple[np.ndarray, np.ndarray]:
    """Row and column directions rotated off the axial plane about an oblique axis."""
    r = rotation_about(np.array([1.0, 2.0, 0.5]), degrees)
    return r @ np.array([1.0, 0.0, 0.0]), r @ np.array([0.0, 1.0, 0.0])


def make_volume(
    array: np.ndarray,
    pixel_spacing: tuple[float, float] = (1.0, 1.0),
    slice_gap: float = 5.0,
    row: np.ndarray | None = None,
    col: np.ndarray | None = None,
    origin: tuple[float, float, float] = (-100.0, -80.0, 20.0),
    tilt_degrees: float = 0.0,
    modality: str = "CT",
) -> Volume:
    """A Volume whose slice k starts at origin + k * slice_gap * normal (+ a shift along the columns when tilted).

    Under gantry tilt the slice planes stay `slice_gap` apart along the normal while each slice origin also moves
    by slice_gap * tan(tilt) along the column direction, as on a tilted CT gantry.
    """
    row_v = np.array([1.0, 0.0, 0.0]) if row is None else np.asarray(row, dtype=float)
    col_v = np.array([0.0, 1.0, 0.0]) if col is None else np.asarray(col, dtype=float)
    normal = np.cross(row_v, col_v)
    nz = array.shape[0]
    shift = slice_gap * math.tan(math.radians(tilt_degrees))
    positions = np.array([np.asarray(origin) + k * slice_gap * normal + k * shift * col_v for k in range(nz)])
    return Volume(
        array=array,
        pixel_spacing=pixel_spacing,
        row_direction=tuple(row_v),  # type: ignore[arg-type]
        column_direction=tuple(col_v),  # type: ignore[arg-type]
        positions=positions,
        modality=modality,
        unit="HU" if modality == "CT" else "",
        series_instance_uid="1.2.826.0.1.3680043.8.498.1",
        sop_instance_uids=tuple(f"1.2.826.0.1.3680043.8.498.1.{k + 1}" for k in range(nz)),
        slice_thickness=slice_gap,
    )


def lps_of(
    i: float,
    j: float,
    k: float,
    pixel_spacing: tuple[float, float] = (1.0, 1.0),
    slice_gap: float = 5.0,
    row: np.ndarray | None = None,
    col: np.ndarray | None = None,
    origin: tuple[float, float, float] = (-100.0, -80.0, 20.0),
    tilt_degrees: float = 0.0,
) -> np.ndarray:
    """Independent forward geometry of `make_volume` (same arguments)."""
    row_v = np.array([1.0, 0.0, 0.0]) if row is None else np.asarray(row, dtype=float)
    col_v = np.array([0.0, 1.0, 0.0]) if col is None else np.asarray(col, dtype=float)
    normal = np.cross(row_v, col_v)
    shift = slice_gap * math.tan(math.radians(tilt_degrees))
    return (
        np.asarray(origin)
        + i * pixel_spacing[0] * row_v
        + j * pixel_spacing[1] * col_v
        + k * slice_gap * normal
        + k * shift * col_v
    )
