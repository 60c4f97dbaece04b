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


class EllipsoidPhantom:
    """An ellipsoidal lesion of known density in muscle, with the exact surface kept for signed distances.

    WHY: to tell whether a segmentation places its margin ON the edge, on average, or a fraction of a voxel out or
    in (a systematic offset of half a voxel is several per cent of a lesion's volume). The image is the blurred
    step between lesion and muscle with partial volume: each voxel's value is the fraction of its box inside the
    ellipsoid (supersampled), blurred by an in-plane Gaussian PSF, plus CT-like noise (white noise with about
    1 mm correlation, scaled to `noise` HU). The half-way level between lesion and muscle of such an image lies on
    the true surface, so a correct margin rule has a mean signed distance of zero there.

    A rim + core variant puts a darker core (`core_hu`) inside `core_fraction` of the semi-axes, as a necrotic
    sarcoma; its outer margin is still the lesion/muscle edge.
    """

    def __init__(
        self,
        pixel_mm: float = 1.5,
        slice_mm: float = 5.0,
        lesion_hu: float = 80.0,
        muscle_hu: float = 50.0,
        core_hu: float | None = None,
        core_fraction: float = 0.6,
        noise: float = 13.0,
        semi_axes_mm: tuple[float, float, float] = (30.0, 20.0, 35.0),
        tilt_degrees: float = 25.0,
        psf_mm: float = 0.6,
        seed: int = 0,
    ) -> None:
        from scipy.ndimage import gaussian_filter

        self.pixel_mm, self.slice_mm = pixel_mm, slice_mm
        self.semi_axes_mm, self.tilt = semi_axes_mm, math.radians(tilt_degrees)
        nx = ny = math.ceil(200.0 / pixel_mm)
        nz = math.ceil(120.0 / slice_mm)
        # The centre is off the voxel grid on purpose, so that no symmetry of the grid favours one side.
        self.centre_index = ((nz - 1) / 2 + 0.3, (ny - 1) / 2 + 0.37, (nx - 1) / 2 - 0.21)
        kk, jj, ii = np.mgrid[0:nz, 0:ny, 0:nx].astype(np.float64)
        inside = np.zeros((nz, ny, nx))
        in_core = np.zeros((nz, ny, nx))
        sub = (5, 3, 3)  # sub-samples per voxel along z, y, x: partial volume across the thick slices too
        offsets = [(np.arange(n) + 0.5) / n - 0.5 for n in sub]
        for dz in offsets[0]:
            for dy in offsets[1]:
                for dx in offsets[2]:
                    rho = self.normalised_radius(kk + dz, jj + dy, ii + dx)
                    inside += rho <= 1.0
                    in_core += rho <= core_fraction
        inside /= math.prod(sub)
        in_core /= math.prod(sub)
        x = (ii - self.centre_index[2]) * pixel_mm
        y = (jj - self.centre_index[1]) * pixel_mm
        limb = np.hypot(x, y)
        background = np.where(limb <= 85.0, muscle_hu, np.where(limb <= 95.0, -100.0, -1000.0))
        image = background * (1.0 - inside) + lesion_hu * inside
        if core_hu is not None:
            image += (core_hu - lesion_hu) * in_core
        image = gaussian_filter(image, sigma=(0.0, psf_mm / pixel_mm, psf_mm / pixel_mm))
        rng = np.random.default_rng(seed)
        grain = gaussian_filter(rng.normal(0.0, 1.0, image.shape), sigma=(0.0, 1.0 / pixel_mm, 1.0 / pixel_mm))
        image += grain * (noise / float(grain.std()))
        array = np.clip(np.rint(image), -1024, 3071).astype(np.int16)
        cz, cy, cx = self.centre_index
        origin = (-cx * pixel_mm, -cy * pixel_mm, -cz * slice_mm)
        self.volume = make_volume(array, pixel_spacing=(pixel_mm, pixel_mm), slice_gap=slice_mm, origin=origin)
        self.truth = self.normalised_radius(kk, jj, ii) <= 1.0  # voxel centres inside the surface
        self.centre_lps = np.zeros(3)  # the origin puts the lesion's centre at LPS (0, 0, 0)

    def _frame(self, k: np.ndarray, j: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b, c = self.semi_axes_mm
        x = (i - self.centre_index[2]) * self.pixel_mm
        y = (j - self.centre_index[1]) * self.pixel_mm
        z = (k - self.centre_index[0]) * self.slice_mm
        u = (x * math.cos(self.tilt) + y * math.sin(self.tilt)) / a
        v = (-x * math.sin(self.tilt) + y * math.cos(self.tilt)) / b
        return u, v, z / c

    def normalised_radius(self, k: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        """1 on the surface, < 1 inside, at (fractional) voxel indices."""
        u, v, w = self._frame(k, j, i)
        return np.asarray(np.sqrt(u * u + v * v + w * w))

    def signed_distance_mm(self, k: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Distance (mm) of points at voxel indices to the surface, positive outside: (rho - 1) / |grad rho|.

        First order in the distance: within 0.05 mm of the exact value for points within 1.5 mm of this surface
        (its smallest radius of curvature is over 10 mm), which is where a margin's voxels lie."""
        a, b, c = self.semi_axes_mm
        u, v, w = self._frame(k, j, i)
        rho = np.maximum(np.sqrt(u * u + v * v + w * w), 1e-9)
        gu, gv, gw = u / (a * rho), v / (b * rho), w / (c * rho)
        gx = gu * math.cos(self.tilt) - gv * math.sin(self.tilt)
        gy = gu * math.sin(self.tilt) + gv * math.cos(self.tilt)
        return np.asarray((rho - 1.0) / np.sqrt(gx * gx + gy * gy + gw * gw))

    def margin_offset_mm(self, mask: np.ndarray, middle_fraction: float = 0.6) -> float:
        """Mean signed distance (mm, + outward) to the true surface of the mask's margin in the slice plane.

        The margin is sampled at the midpoints of the in-plane faces between a mask voxel and a voxel outside it,
        on the middle `middle_fraction` of the lesion's slices (the end caps of a lesion cut by 5 mm slices are
        partial-volume slivers that no in-plane margin rule resolves)."""
        slices = np.flatnonzero(self.truth.any(axis=(1, 2)))
        skip = round(len(slices) * (1.0 - middle_fraction) / 2.0)
        first, last = slices[0] + skip, slices[-1] - skip
        values = []
        for axis in (1, 2):
            n = mask.shape[axis]
            faces = mask.take(range(n - 1), axis=axis) != mask.take(range(1, n), axis=axis)
            points = np.argwhere(faces).astype(np.float64)
            points[:, axis] += 0.5
            points = points[(points[:, 0] >= first) & (points[:, 0] <= last)]
            values.append(self.signed_distance_mm(points[:, 0], points[:, 1], points[:, 2]))
        return float(np.concatenate(values).mean())
