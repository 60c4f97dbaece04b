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


TISSUE = {
    "CT": {"air": -1000.0, "fat": -100.0, "muscle": 52.0, "cortex": 1300.0, "marrow": -40.0, "rim": 95.0, "core": 15.0},
    "MR": {"air": 0.0, "fat": 150.0, "muscle": 360.0, "cortex": 30.0, "marrow": 120.0, "rim": 880.0, "core": 230.0},
}


def sarcoma_phantom(
    modality: str = "CT",
    semi_axes_mm: tuple[float, float, float] = (38.0, 26.0, 45.0),
    core_fraction: float = 0.55,
    noise: float = 10.0,
    pixel_spacing: tuple[float, float] = (0.9, 0.9),
    slice_gap: float = 5.0,
    seed: int = 0,
) -> tuple[Volume, np.ndarray, np.ndarray]:
    """A thigh (fat, muscle, femur) with an ellipsoidal sarcoma: enhancing rim around a necrotic core.

    Returns the Volume, the true lesion mask (voxel centres inside the ellipsoid) and the tumour centre (LPS).
    The image is slightly blurred (partial volume) and noisy; the truth is the shape, not the blurred image.
    """
    from scipy.ndimage import gaussian_filter

    values = TISSUE[modality]
    shape = (32, 200, 220)
    kk, jj, ii = np.mgrid[0 : shape[0], 0 : shape[1], 0 : shape[2]].astype(np.float64)
    x = (ii - 110) * pixel_spacing[0]
    y = (jj - 100) * pixel_spacing[1]
    z = (kk - 15.3) * slice_gap
    image = np.full(shape, values["air"])
    r_leg = np.hypot(x / 80.0, y / 72.0)
    image[r_leg <= 1.0] = values["fat"]
    image[np.hypot(x / 70.0, y / 62.0) <= 1.0] = values["muscle"]
    femur = np.hypot(x - 10, y - 15)
    image[femur <= 13] = values["cortex"]
    image[femur <= 8] = values["marrow"]
    cx, cy = -22.0, -22.0  # antero-lateral, reaching the subcutaneous fat
    a, b, c = semi_axes_mm
    t = np.radians(20.0)
    u = ((x - cx) * np.cos(t) + (y - cy) * np.sin(t)) / a
    v = (-(x - cx) * np.sin(t) + (y - cy) * np.cos(t)) / b
    w = z / c
    rho = np.sqrt(u * u + v * v + w * w)
    inside = rho <= 1.0
    image[inside] = values["rim"]
    image[rho <= core_fraction] = values["core"]
    image = gaussian_filter(image, sigma=(0.3, 0.6 / pixel_spacing[1], 0.6 / pixel_spacing[0]))
    rng = np.random.default_rng(seed)
    image = image + gaussian_filter(rng.normal(0, 1, shape), sigma=(0, 0.6, 0.6)) * (noise / 0.47)
    if modality == "CT":
        array = np.clip(np.rint(image), -1024, 3071).astype(np.int16)
    else:
        array = np.clip(np.rint(np.abs(image)), 0, 4095).astype(np.uint16)
    origin = (-110 * pixel_spacing[0], -100 * pixel_spacing[1], -15.3 * slice_gap)
    vol = make_volume(array, pixel_spacing=pixel_spacing, slice_gap=slice_gap, origin=origin, modality=modality)
    centre = np.array([cx, cy, 0.0])
    return vol, inside, centre
