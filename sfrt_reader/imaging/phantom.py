"""A deterministic anatomical phantom of both thighs with a soft-tissue sarcoma, as CT (HU) or MR (signal).

Why a phantom: every number the workstation produces (diameters, volumes, mean HU, responses, registration) must
be checked against a truth that is known exactly. The phantom is drawn from continuous shapes defined in an
"anatomy frame" (mm, LPS axes, the patient lying as at the reference visit); each visit places the anatomy in the
scanner by a known rigid transform (the limb is never positioned twice the same way) and samples it on an axial
grid. The lesion label mask is the set of voxel centres inside the lesion shapes, so it is the exact truth the
image was drawn from; blur (partial volume) and noise are applied to the image only.

Tissues (CT, portal-venous phase): air, carbon-fibre table, skin, subcutaneous fat, fascia lata, muscle bellies
separated by fat septa, femur cortex and fatty marrow, superficial and deep femoral vessels, great saphenous vein;
the sarcoma has an irregular margin, an enhancing viable rim and a necrotic core, and (SFRT) necrotic spheres
around the lattice vertices. An inguinal lymph node and a new lesion are optional. MR gives T1 fat-saturated
post-gadolinium-like signal intensities with a coil bias field and Rician noise.

Label values in the mask: 1 target tumour, 2 lymph node, 3 new lesion (`LABELS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.mask_metrics import centroid_lps, longest_axial_diameters, volume_ml
from sfrt_reader.imaging.volume import Volume

F32 = NDArray[np.float32]
LABELS: dict[int, str] = {1: "target tumour", 2: "lymph node", 3: "new lesion"}
TABLE_TOP_Y = 71.0  # LPS y (mm) of the couch top under the legs, in the scanner frame
_SLAB_VOXELS = 1_600_000  # voxels painted at once: bounds memory on 512 x 512 x 150 grids

# Tissue values: CT in HU (portal-venous phase), MR as T1 fat-saturated post-gadolinium signal.
CT_VALUES: dict[str, float] = {
    "air": -1000.0,
    "table_shell": 250.0,
    "table_foam": -880.0,
    "skin": 25.0,
    "fat": -105.0,
    "fascia": 45.0,
    "muscle": 50.0,
    "cortex": 1380.0,
    "marrow": -45.0,
    "artery": 165.0,
    "vein": 175.0,
    "rim": 90.0,
    "necrosis": 16.0,
    "node": 45.0,
    "new_lesion": 85.0,
}
MR_VALUES: dict[str, float] = {
    "air": 0.0,
    "table_shell": 0.0,
    "table_foam": 0.0,
    "skin": 420.0,
    "fat": 150.0,
    "fascia": 330.0,
    "muscle": 360.0,
    "cortex": 30.0,
    "marrow": 120.0,
    "artery": 900.0,
    "vein": 860.0,
    "rim": 740.0,
    "necrosis": 230.0,
    "node": 700.0,
    "new_lesion": 900.0,
}


@dataclass(frozen=True)
class Pose:
    """A rigid placement of the anatomy in the scanner: rotation (degrees, about x, y, z, applied x then y then z)
    about `pivot` (anatomy frame, mm), then `translation` (mm). z is the limb's long axis; x and y are tilts."""

    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    translation_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    pivot: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def rotation(self) -> NDArray[np.float64]:
        ax, ay, az = (math.radians(a) for a in self.rotation_deg)
        rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
        ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
        rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
        return np.asarray(rz @ ry @ rx, dtype=np.float64)

    @property
    def matrix(self) -> NDArray[np.float64]:
        """4x4 homogeneous anatomy-frame -> LPS matrix: p = R (a - pivot) + pivot + t."""
        m = np.eye(4)
        r = self.rotation
        c = np.asarray(self.pivot, dtype=np.float64)
        m[:3, :3] = r
        m[:3, 3] = c - r @ c + np.asarray(self.translation_mm, dtype=np.float64)
        return m

    def to_lps(self, point: tuple[float, float, float]) -> tuple[float, float, float]:
        p = self.matrix @ np.array([*point, 1.0])
        return (float(p[0]), float(p[1]), float(p[2]))


@dataclass(frozen=True)
class TumourSpec:
    """The sarcoma in the anatomy frame. `semi_axes_mm` (tangential, radial, cranio-caudal) before `size_scale`;
    `yaw_deg` turns the in-plane axes. `irregularity` is the relative amplitude of the lobulated margin (0 gives a
    pure ellipsoid). `necrosis_fraction` is the volume fraction of the necrotic core; `lattice_radius_mm` > 0 puts
    necrotic spheres of that radius at the SFRT lattice vertices (`lattice_spacing_mm` apart)."""

    centre_mm: tuple[float, float, float] = (-120.0, -30.0, 0.0)
    semi_axes_mm: tuple[float, float, float] = (40.0, 27.0, 52.0)
    yaw_deg: float = 0.0
    size_scale: float = 1.0
    irregularity: float = 0.12
    necrosis_fraction: float = 0.12
    lattice_radius_mm: float = 0.0
    lattice_spacing_mm: float = 26.0
    rim_texture: float = 1.0


@dataclass(frozen=True)
class Grid:
    """The axial acquisition grid in LPS: `size` (nx, ny, nz), pixel spacing (x, y) and slice spacing in mm,
    `centre_xy` (LPS x, y of the field of view's centre) and `first_z` (table position of the first slice)."""

    size: tuple[int, int, int] = (256, 256, 40)
    pixel_spacing: tuple[float, float] = (1.5, 1.5)
    slice_spacing: float = 5.0
    centre_xy: tuple[float, float] = (0.0, 12.0)
    first_z: float = -97.5


@dataclass(frozen=True)
class PhantomSpec:
    """Everything that defines one phantom image. `affected_side` -1 is the patient's right thigh, +1 the left."""

    modality: str = "CT"
    grid: Grid = field(default_factory=Grid)
    pose: Pose = field(default_factory=Pose)
    tumour: TumourSpec = field(default_factory=TumourSpec)
    affected_side: int = -1
    lymph_node: bool = False
    new_lesion: bool = False
    noise_sd: float = 12.0
    blur: bool = True
    anatomy: bool = True
    contrast: bool = True


@dataclass(frozen=True)
class LesionTruth:
    """True measurements of one labelled lesion, from the mask and the image."""

    label_value: int
    longest_axial_diameter_mm: float
    short_axis_mm: float
    longest_axial_line_lps: tuple[tuple[float, float, float], tuple[float, float, float]]
    short_axis_line_lps: tuple[tuple[float, float, float], tuple[float, float, float]]
    axial_slice_index: int
    volume_ml: float
    mean: float
    mean_noise_free: float
    voxels: int
    centroid_lps: tuple[float, float, float]
    centre_lps: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label_value": self.label_value,
            "longest_axial_diameter_mm": round(self.longest_axial_diameter_mm, 4),
            "short_axis_mm": round(self.short_axis_mm, 4),
            "longest_axial_line_lps": [[round(c, 4) for c in p] for p in self.longest_axial_line_lps],
            "short_axis_line_lps": [[round(c, 4) for c in p] for p in self.short_axis_line_lps],
            "axial_slice_index": self.axial_slice_index,
            "volume_ml": round(self.volume_ml, 4),
            "mean": round(self.mean, 3),
            "mean_noise_free": round(self.mean_noise_free, 3),
            "voxels": self.voxels,
            "centroid_lps": [round(c, 4) for c in self.centroid_lps],
            "centre_lps": [round(c, 4) for c in self.centre_lps],
        }


@dataclass
class PhantomResult:
    """The image as a `Volume` (CT int16 HU, MR uint16 signal), the lesion label mask [z, y, x] and the truth."""

    volume: Volume
    lesion_mask: NDArray[np.uint8]
    truth: dict[str, LesionTruth]
    spec: PhantomSpec


# ------------------------------------------------------------------------------------------------ shapes


def lattice_vertices(ts: TumourSpec) -> list[tuple[float, float, float]]:
    """SFRT lattice vertices (anatomy frame): a grid `lattice_spacing_mm` apart (offset half a step along the
    long in-plane axis, as planners stagger vertices around the centre), kept at least one vertex radius plus
    5 mm inside the pure-ellipsoid margin, moving with the tumour as it shrinks."""
    s = ts.size_scale
    step = ts.lattice_spacing_mm * s
    yaw = math.radians(ts.yaw_deg)
    c, sn = math.cos(yaw), math.sin(yaw)
    inner = [max(1.0, a * s - ts.lattice_radius_mm - 5.0) for a in ts.semi_axes_mm]
    out = []
    n = 5
    for i in range(-n, n):
        for j in range(-n, n + 1):
            for k in range(-n, n + 1):
                p = ((i + 0.5) * step, j * step, k * step)
                if sum((p[m] / inner[m]) ** 2 for m in range(3)) > 1.0:
                    continue
                x = ts.centre_mm[0] + c * p[0] - sn * p[1]
                y = ts.centre_mm[1] + sn * p[0] + c * p[1]
                out.append((float(x), float(y), float(ts.centre_mm[2] + p[2])))
    return out


def _sigmoid(x: F32) -> F32:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float32)


class _Anatomy:
    """The continuous anatomy, evaluated at anatomy-frame coordinates. Random shape details come from `seed`
    only, so every visit of a subject shares the same body (only pose and tumour change)."""

    def __init__(self, seed: int, affected_side: int) -> None:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 7001]))
        self.side = affected_side
        self.leg_phase = rng.uniform(-0.4, 0.4, size=(2, 3))
        self.leg_amp = rng.uniform(0.6, 1.4, size=(2, 3))
        self.fat_phase = rng.uniform(-0.5, 0.5, size=2)
        self.fat_base = rng.uniform(9.0, 13.0, size=2)
        self.radius_base = rng.uniform(74.0, 80.0)
        self.belly_jitter = rng.uniform(-0.08, 0.08, size=(2, 8, 3))
        self.belly_offset = rng.uniform(-4.0, 4.0, size=(2, 8))
        self.margin_dirs = rng.normal(size=(9, 3))
        self.margin_dirs /= np.linalg.norm(self.margin_dirs, axis=1, keepdims=True)
        self.margin_freq = rng.uniform(2.0, 4.5, size=9)
        self.margin_phase = rng.uniform(0, 2 * np.pi, size=9)
        self.margin_amp = rng.uniform(0.5, 1.0, size=9)
        self.core_dirs = rng.normal(size=(5, 3))
        self.core_dirs /= np.linalg.norm(self.core_dirs, axis=1, keepdims=True)
        self.core_phase = rng.uniform(0, 2 * np.pi, size=5)
        self.rim_dirs = rng.normal(size=(6, 3))
        self.rim_dirs /= np.linalg.norm(self.rim_dirs, axis=1, keepdims=True)
        self.rim_phase = rng.uniform(0, 2 * np.pi, size=6)
        # Small subcutaneous veins: (local angle, z, depth fraction in the fat, radius) per leg; landmarks along z.
        self.perforators = np.stack(
            [
                rng.uniform(-np.pi, np.pi, size=(2, 18)),
                rng.uniform(-120.0, 120.0, size=(2, 18)),
                rng.uniform(0.3, 0.7, size=(2, 18)),
                rng.uniform(1.0, 1.9, size=(2, 18)),
            ],
            axis=-1,
        )
        # float32 parameters: a float64 scalar would silently promote every float32 field it touches to float64.
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray) and value.dtype == np.float64:
                setattr(self, name, value.astype(np.float32))

    @staticmethod
    def leg_centre(side: int, az: F32) -> tuple[F32, F32]:
        """Leg axis: thighs converge towards the knees (lower z) and sit slightly forward distally."""
        cx = np.float32(side) * (np.float32(92.0) + np.float32(0.06) * az)
        cy = np.float32(0.02) * az
        return np.asarray(cx, dtype=np.float32), np.asarray(cy, dtype=np.float32)

    def femur_centre(self, side: int, az: F32) -> tuple[F32, F32]:
        cx, cy = self.leg_centre(side, az)
        return np.asarray(cx + side * 7.0, dtype=np.float32), np.asarray(cy + 5.0, dtype=np.float32)


def _local_polar(dx: F32, dy: F32, side: int) -> tuple[F32, F32]:
    """Radius and local angle: 0 lateral, +pi/2 posterior, +-pi medial, -pi/2 anterior (mirrored per side)."""
    r = np.sqrt(dx * dx + dy * dy)
    th = np.arctan2(dy, dx * np.float32(side))
    return r.astype(np.float32), th.astype(np.float32)


def _wrap(a: F32) -> F32:
    return np.asarray((a + np.pi) % (2 * np.pi) - np.pi, dtype=np.float32)


# Muscle bellies around the femur: (local angle rad, distance from femur centre mm, semi-axes along/across
# the radius mm, value offset HU). Quadriceps anteriorly, sartorius and gracilis medially, hamstrings behind.
_BELLIES: tuple[tuple[float, float, float, float, float], ...] = (
    (-1.55, 46.0, 20.0, 24.0, 3.0),  # rectus femoris
    (-0.55, 40.0, 28.0, 30.0, -2.0),  # vastus lateralis
    (-2.45, 36.0, 24.0, 22.0, 1.0),  # vastus medialis
    (-2.75, 62.0, 9.0, 16.0, 5.0),  # sartorius
    (2.75, 42.0, 26.0, 26.0, -3.0),  # adductor magnus
    (1.25, 46.0, 20.0, 22.0, 2.0),  # biceps femoris
    (1.85, 48.0, 18.0, 18.0, -1.0),  # semitendinosus
    (2.25, 62.0, 10.0, 14.0, 4.0),  # gracilis
)
# Vessels: (local angle, distance from femur centre, radius, artery?) - femoral bundle under the sartorius,
# profunda behind the adductors.
_VESSELS: tuple[tuple[float, float, float, bool], ...] = (
    (-2.62, 46.0, 3.6, True),
    (-2.48, 50.0, 4.8, False),
    (2.35, 22.0, 2.4, True),
    (2.50, 25.0, 3.2, False),
)


@dataclass
class _Region:
    """A box of the grid (index slices) with the anatomy-frame coordinates of its voxel centres."""

    sl: tuple[slice, slice, slice]
    ax: F32
    ay: F32
    az: F32


def _grid_axes(g: Grid) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """LPS x of every column, y of every row and z of every slice of an axial grid."""
    nx, ny, nz = g.size
    sx, sy = g.pixel_spacing
    x = (g.centre_xy[0] + (np.arange(nx) - (nx - 1) / 2.0) * sx).astype(np.float64)
    y = (g.centre_xy[1] + (np.arange(ny) - (ny - 1) / 2.0) * sy).astype(np.float64)
    z = (g.first_z + np.arange(nz) * g.slice_spacing).astype(np.float64)
    return x, y, z


def _sub(inner: _Region, outer: _Region) -> tuple[slice, slice, slice]:
    """Index slices of the overlap of two regions, relative to `outer`."""
    out = []
    for i, o in zip(inner.sl, outer.sl, strict=True):
        lo = max(i.start, o.start)
        hi = max(lo, min(i.stop, o.stop))
        out.append(slice(lo - o.start, hi - o.start))
    return (out[0], out[1], out[2])


class _Painter:
    """Evaluates the phantom on one grid for one pose; produces the noise-free image and the label mask.

    Every structure is evaluated only inside a box around it (found by mapping the box's corners from the anatomy
    frame into the grid), which keeps a 256 x 256 x 40 visit well under a second.
    """

    def __init__(self, spec: PhantomSpec, seed: int, slices: tuple[int, int] | None = None) -> None:
        self.spec = spec
        self.seed = seed
        self.values = CT_VALUES if spec.modality == "CT" else MR_VALUES
        self.anat = _Anatomy(seed, spec.affected_side)
        self.x, self.y, z = _grid_axes(spec.grid)
        k0, k1 = slices if slices is not None else (0, len(z))
        self.z = z[k0:k1]
        self.to_anat = np.linalg.inv(spec.pose.matrix)
        shape = (len(self.z), len(self.y), len(self.x))
        self.image = np.full(shape, self.values["air"], dtype=np.float32)
        self.labels = np.zeros(shape, dtype=np.uint8)
        self.bone = np.zeros(shape, dtype=bool)

    def region(
        self, lo: tuple[float, float, float] | None = None, hi: tuple[float, float, float] | None = None
    ) -> _Region:
        """The grid box covering the anatomy-frame box [lo, hi] (the whole grid when lo is None)."""
        nz, ny, nx = self.image.shape
        sl = (slice(0, nz), slice(0, ny), slice(0, nx))
        if lo is not None and hi is not None:
            pose = self.spec.pose.matrix
            corners = np.array([[x, y, z, 1.0] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
            lps = (pose @ corners.T).T[:, :3]
            bounds = []
            for axis, coords in ((2, self.z), (1, self.y), (0, self.x)):
                step = coords[1] - coords[0] if len(coords) > 1 else 1.0
                i0 = int(np.floor((lps[:, axis].min() - coords[0]) / step)) - 1
                i1 = int(np.ceil((lps[:, axis].max() - coords[0]) / step)) + 2
                bounds.append(slice(max(0, i0), min(len(coords), max(0, i1))))
            sl = (bounds[0], bounds[1], bounds[2])
        r, t = self.to_anat[:3, :3], self.to_anat[:3, 3]
        xs = self.x[sl[2]][None, None, :]
        ys = self.y[sl[1]][:, None][None, :, :]
        zs = self.z[sl[0]][:, None, None]
        grid_coords = [(r[i, 0] * xs + r[i, 1] * ys + r[i, 2] * zs + t[i]).astype(np.float32) for i in range(3)]
        return _Region(sl, grid_coords[0], grid_coords[1], grid_coords[2])

    # ----------------------------------------------------------------------------------------- tissues
    def paint_table(self) -> None:
        """Curved carbon-fibre couch under the legs, fixed in the scanner frame (it does not move with the limb)."""
        x = self.x[None, None, :].astype(np.float32)
        y = self.y[None, :, None].astype(np.float32)
        top = np.float32(TABLE_TOP_Y) + np.float32(0.00035) * x * x
        shape = self.image.shape
        shell = np.broadcast_to(((y >= top) & (y < top + 2.5)) | ((y >= top + 30) & (y < top + 32.5)), shape)
        foam = np.broadcast_to((y >= top + 2.5) & (y < top + 30), shape)
        self.image[foam] = self.values["table_foam"]
        self.image[shell] = self.values["table_shell"]

    def tumour_box(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        ts = self.spec.tumour
        reach = max(ts.semi_axes_mm[:2]) * ts.size_scale * (1.0 + 2.0 * ts.irregularity) + 12.0
        zr = ts.semi_axes_mm[2] * ts.size_scale * (1.0 + 2.0 * ts.irregularity) + 12.0
        c = ts.centre_mm
        return (c[0] - reach, c[1] - reach, c[2] - zr), (c[0] + reach, c[1] + reach, c[2] + zr)

    def tumour_fields(self, reg: _Region) -> tuple[F32, F32, F32, F32]:
        """Normalised radius (1 at the margin), necrosis weight (0-1), rim texture and envelope distance (mm)."""
        ts = self.spec.tumour
        a = self.anat
        s = ts.size_scale
        yaw = math.radians(ts.yaw_deg)
        c, sn = np.float32(math.cos(yaw)), np.float32(math.sin(yaw))
        dx = reg.ax - np.float32(ts.centre_mm[0])
        dy = reg.ay - np.float32(ts.centre_mm[1])
        dz = reg.az - np.float32(ts.centre_mm[2])
        u = (c * dx + sn * dy) / np.float32(ts.semi_axes_mm[0] * s)
        v = (-sn * dx + c * dy) / np.float32(ts.semi_axes_mm[1] * s)
        w = dz / np.float32(ts.semi_axes_mm[2] * s)
        rho = np.sqrt(u * u + v * v + w * w) + np.float32(1e-6)
        un, vn, wn = u / rho, v / rho, w / rho
        lobes = np.zeros_like(rho)
        core_mod = np.zeros_like(rho)
        if ts.irregularity > 0:
            for d, f, ph, amp in zip(a.margin_dirs, a.margin_freq, a.margin_phase, a.margin_amp, strict=True):
                lobes += np.float32(amp) * np.sin(np.float32(f) * (d[0] * un + d[1] * vn + d[2] * wn) + np.float32(ph))
            lobes *= np.float32(ts.irregularity / 2.2)
            for d, ph in zip(a.core_dirs, a.core_phase, strict=True):
                core_mod += np.sin(np.float32(3.0) * (d[0] * un + d[1] * vn + d[2] * wn) + np.float32(ph))
            core_mod *= np.float32(0.08)
        rn = rho / (np.float32(1.0) + lobes)
        necrosis = np.zeros_like(rho)
        if ts.necrosis_fraction > 0:
            core_r = np.float32(ts.necrosis_fraction ** (1.0 / 3.0)) * (np.float32(1.0) + core_mod)
            necrosis = _sigmoid((core_r - rn) / np.float32(0.045))
        if ts.lattice_radius_mm > 0:
            for vert in self.lattice_vertices():
                d2 = (
                    (reg.ax - np.float32(vert[0])) ** 2
                    + (reg.ay - np.float32(vert[1])) ** 2
                    + (reg.az - np.float32(vert[2])) ** 2
                )
                sphere = _sigmoid((np.float32(ts.lattice_radius_mm) - np.sqrt(d2)) / np.float32(1.2))
                necrosis = np.maximum(necrosis, sphere)
        texture = np.zeros_like(rho)
        if ts.rim_texture > 0:
            for d, ph in zip(a.rim_dirs, a.rim_phase, strict=True):
                texture += np.sin(np.float32(9.0) * (d[0] * u + d[1] * v + d[2] * w) + np.float32(ph))
            texture *= np.float32(ts.rim_texture / 3.0)
        # Distance beyond the margin in mm (approximate: used only for the bulge of the limb's contour).
        env = (rn - np.float32(1.0)) * np.float32(min(ts.semi_axes_mm) * s)
        return rn, necrosis, texture, env

    def lattice_vertices(self) -> list[tuple[float, float, float]]:
        return lattice_vertices(self.spec.tumour)

    def paint(self) -> None:
        v = self.values
        spec = self.spec
        treg = self.region(*self.tumour_box())
        rn, necrosis, texture, env = self.tumour_fields(treg)
        if spec.anatomy:
            self.paint_table()
            for side in (-1, 1):
                self.paint_leg(side, (treg, env) if side == spec.affected_side else None)
            if spec.lymph_node:
                self.paint_node()
        else:
            self.image[...] = v["muscle"]
        inside = (rn <= 1.0) & ~self.bone[treg.sl]
        vals = v["rim"] + (v["necrosis"] - v["rim"]) * necrosis
        vals = vals + texture * np.float32(abs(v["rim"] - v["necrosis"]) * 0.18) * (1.0 - necrosis)
        self.image[treg.sl][inside] = vals[inside]
        self.labels[treg.sl][inside] = 1
        if spec.new_lesion:
            self.paint_new_lesion()

    def paint_leg(self, side: int, tumour: tuple[_Region, F32] | None) -> None:
        v = self.values
        a = self.anat
        k = 0 if side < 0 else 1
        zmin, zmax = -400.0, 400.0
        reg = self.region((side * 92.0 - 135.0, -135.0, zmin), (side * 92.0 + 135.0, 135.0, zmax))
        image = self.image[reg.sl]
        ax, ay, az = reg.ax, reg.ay, reg.az
        cx, cy = a.leg_centre(side, az)
        r, th = _local_polar(ax - cx, ay - cy, side)
        ph, amp = a.leg_phase[k], a.leg_amp[k]
        shape = (
            1.0
            + 0.055 * amp[0] * np.cos(2 * (th - ph[0]))
            + 0.025 * amp[1] * np.cos(3 * th + ph[1])
            + 0.012 * amp[2] * np.cos(5 * th + ph[2])
            - 0.07 * np.exp(-(((th - 1.57) / 0.55) ** 2))
        )
        radius = np.float32(a.radius_base) * (1.0 + 0.0022 * az) * shape
        fat = a.fat_base[k] * (1.0 + 0.004 * az) + 5.0 * (1.0 + np.cos(th - 1.9 - a.fat_phase[k])) / 2.0
        body = r <= radius
        fat_in = r <= radius - np.float32(1.8)
        muscle_in = r <= radius - fat
        fascia_in = r <= radius - fat + np.float32(0.9)
        if tumour is not None:
            # A large sarcoma bulges the limb: the fat is stretched thin over it.
            treg, env = tumour
            sub = _sub(treg, reg)
            tsub = _sub(reg, treg)
            for m, dist in ((body, 7.0), (fat_in, 5.2), (fascia_in, 3.0), (muscle_in, 2.0)):
                m[sub] |= env[tsub] <= dist
        image[body] = v["skin"]
        image[fat_in] = v["fat"]
        image[fascia_in] = v["fascia"]
        image[muscle_in] = v["muscle"]
        # Great saphenous vein in the medial subcutaneous fat.
        gsv_r = radius - fat / 2.0
        gx = cx + side * np.float32(math.cos(-2.9)) * gsv_r
        gy = cy + np.float32(math.sin(-2.9)) * gsv_r
        gsv = ((ax - gx) ** 2 + (ay - gy) ** 2 <= 2.4**2) & fat_in & ~muscle_in
        image[gsv] = v["vein"]
        fx, fy = a.femur_centre(side, az)
        rf, thf = _local_polar(ax - fx, ay - fy, side)
        ct = self.spec.modality == "CT"
        # Muscle bellies, each with its own slight density and a low-frequency texture, separated by thin,
        # interrupted fat septa (real septa fade in and out; closed rings would look like a drawing).
        grain = (
            np.sin(np.float32(0.21) * ax + np.float32(0.13) * az + np.float32(k))
            * np.sin(np.float32(0.17) * ay - np.float32(0.11) * az)
        ).astype(np.float32)
        for b, (ang, dist, along, across, offset) in enumerate(_BELLIES):
            jit = a.belly_jitter[k, b]
            ang_j = ang + jit[0]
            ox = side * (92.0 + 7.0 + math.cos(ang_j) * dist * (1 + jit[1]))
            oy = 5.0 + math.sin(ang_j) * dist * (1 + jit[1])
            reach = max(along * (1 + jit[2]), across) * 1.3 + 20.0
            breg = self.region((ox - reach, oy - reach, zmin), (ox + reach, oy + reach, zmax))
            sub = _sub(breg, reg)
            own = _sub(reg, breg)
            bax, bay, baz = breg.ax[own], breg.ay[own], breg.az[own]
            bimage = image[sub]
            bfx, bfy = a.femur_centre(side, baz)
            # Bellies drift around the femur and swell and taper along the limb, as real muscles do: this is what
            # makes every level of the thigh look different (and registration along the limb well posed).
            drift = np.float32(0.22) * np.sin(baz / np.float32(41.0) + np.float32(1.7 * b + k))
            swell = np.float32(1.0) + np.float32(0.18) * np.sin(baz / np.float32(33.0) + np.float32(2.3 * b + 0.5 * k))
            radial = np.float32(dist * (1 + jit[1])) * (np.float32(1.0) + np.float32(0.08) * np.sin(baz / 29.0 + b))
            bx = bfx + side * np.cos(np.float32(ang_j) + drift) * radial
            by = bfy + np.sin(np.float32(ang_j) + drift) * radial
            ca, sa = np.float32(math.cos(ang_j)), np.float32(math.sin(ang_j))
            ddx = (bax - bx) * np.float32(side)
            ddy = bay - by
            p = (ca * ddx + sa * ddy) / (np.float32(along * (1 + jit[2])) * swell)
            q = (-sa * ddx + ca * ddy) / (np.float32(across) * swell)
            e = np.sqrt(p * p + q * q)
            phi = np.arctan2(q, p)
            e = e * (np.float32(1.0) + np.float32(0.06) * np.sin(np.float32(3.0) * phi + np.float32(b)))
            bmuscle = muscle_in[sub]
            inner = (e < 1.0) & bmuscle
            delta = offset + a.belly_offset[k, b]
            bgrain = grain[sub]
            if ct:
                bimage[inner] = (v["muscle"] + delta + 3.0 * bgrain)[inner]
            else:
                bimage[inner] = (v["muscle"] * (1.0 + (delta + 3.0 * bgrain) / 60.0))[inner]
            visible = np.sin(np.float32(2.0) * phi + np.float32(1.3 * b)) + np.float32(0.35) * np.sin(
                np.float32(0.05) * baz + np.float32(b)
            ) > np.float32(-0.2)
            ring = (np.abs(e - 1.0) * np.float32(min(along, across)) <= 0.55) & bmuscle & (rf[sub] > 17.0) & visible
            bimage[ring] = v["fat"]
        # Lateral and posterior intermuscular septa: thin fat lines radiating from the linea aspera.
        for ang, bend in ((0.5, 0.009), (2.1, -0.007)):
            d = _wrap(thf - np.float32(ang) - np.float32(bend) * rf)
            line = (rf * np.abs(np.sin(d)) <= 0.4 + rf * 0.004) & (np.cos(d) > 0) & muscle_in & (rf > 20.0)
            image[line] = v["fat"]
        # Femur: cortex with the linea aspera behind it, fatty marrow inside; the shaft widens towards the hip.
        widen = np.float32(1.0) + np.float32(0.0012) * az
        outer = (14.0 + 3.5 * np.exp(-(((thf - 1.57) / 0.28) ** 2))) * widen
        inner_r = 8.8 * (1.0 + 0.07 * np.cos(2 * thf)) * widen
        cortex = rf <= outer
        marrow = rf <= inner_r
        image[cortex] = v["cortex"]
        marrow_val = v["marrow"] + (12.0 * grain if ct else 20.0 * grain)
        image[marrow] = marrow_val[marrow]
        self.bone[reg.sl] |= cortex
        for ang, dist, rad, artery in _VESSELS:
            # The femoral vessels wind from front to back around the femur towards the adductor canal.
            turn = np.float32(ang) - np.float32(0.0035) * az
            reach = np.float32(dist) * (np.float32(1.0) + np.float32(0.0012) * az)
            vx = fx + side * np.cos(turn) * reach
            vy = fy + np.sin(turn) * reach
            vessel = (ax - vx) ** 2 + (ay - vy) ** 2 <= np.float32(rad * rad)
            image[vessel & muscle_in] = v["artery" if artery else "vein"]
        for ang_p, z_p, depth, rad in a.perforators[k]:
            # Evaluated only on the few slices around the vein (a 9 mm long segment).
            preg = self.region(
                (side * 92.0 - 135.0, -135.0, float(z_p) - 12.0), (side * 92.0 + 135.0, 135.0, float(z_p) + 12.0)
            )
            sub, own = _sub(preg, reg), _sub(reg, preg)
            pax, pay, paz = preg.ax[own], preg.ay[own], preg.az[own]
            pcx, pcy = cx[sub], cy[sub]
            pr = radius[sub] - fat[sub] * np.float32(depth)
            px_ = pcx + side * np.float32(math.cos(ang_p)) * pr
            py_ = pcy + np.float32(math.sin(ang_p)) * pr
            near = np.abs(paz - np.float32(z_p)) <= 9.0
            vein = near & ((pax - px_) ** 2 + (pay - py_) ** 2 <= np.float32(rad * rad)) & fat_in[sub] & ~muscle_in[sub]
            image[sub][vein] = v["vein"]

    def node_geometry(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """Inguinal lymph node in the anteromedial fat (anatomy frame): centre and semi-axes.

        Short axis 13 mm, about 12 mm between pixel centres: a non-target node (10 to 15 mm).
        """
        side = self.spec.affected_side
        z = 60.0
        cx = side * (92.0 + 0.06 * z)
        cy = 0.02 * z
        r = self.anat.radius_base * (1.0 + 0.0022 * z) - 9.0
        ang = -2.35
        return (cx + side * math.cos(ang) * r, cy + math.sin(ang) * r, z), (9.5, 6.5, 8.5)

    def paint_node(self) -> None:
        (cx, cy, cz), (a, b, c) = self.node_geometry()
        reg = self.region((cx - a - 3, cy - b - 3, cz - c - 3), (cx + a + 3, cy + b + 3, cz + c + 3))
        e = ((reg.ax - cx) / a) ** 2 + ((reg.ay - cy) / b) ** 2 + ((reg.az - cz) / c) ** 2
        node = e <= 1.0
        hilum = (
            ((reg.ax - cx) / (a * 0.45)) ** 2
            + ((reg.ay - cy - 2.0) / (b * 0.35)) ** 2
            + ((reg.az - cz) / (c * 0.5)) ** 2
        ) <= 1.0
        self.image[reg.sl][node] = self.values["node"]
        self.image[reg.sl][hilum & node] = self.values["fat"]
        self.labels[reg.sl][node] = 2

    def new_lesion_geometry(self) -> tuple[tuple[float, float, float], float]:
        """New lesion (a skip metastasis) in the adductor compartment of the affected thigh: centre and radius."""
        side = self.spec.affected_side
        z = -50.0
        fx = side * (92.0 + 0.06 * z) + side * 7.0
        fy = 0.02 * z + 5.0
        ang, dist = 2.85, 48.0
        return (fx + side * math.cos(ang) * dist, fy + math.sin(ang) * dist, z), 9.0

    def paint_new_lesion(self) -> None:
        (cx, cy, cz), rad = self.new_lesion_geometry()
        reg = self.region(
            (cx - rad - 3, cy - rad - 3, cz - 1.2 * rad - 3), (cx + rad + 3, cy + rad + 3, cz + 1.2 * rad + 3)
        )
        d = np.sqrt((reg.ax - cx) ** 2 + (reg.ay - cy) ** 2 + ((reg.az - cz) / np.float32(1.2)) ** 2)
        lesion = d <= rad
        nv = self.values["new_lesion"]
        vals = nv + (self.values["necrosis"] - nv) * _sigmoid((np.float32(rad * 0.4) - d) / np.float32(1.0))
        self.image[reg.sl][lesion] = vals[lesion]
        self.labels[reg.sl][lesion] = 3


def _correlated_noise(rng: np.random.Generator, shape: tuple[int, int, int], sd: float, sigma_px: float) -> F32:
    """Gaussian noise with a slight in-plane correlation (CT noise is not white), rescaled to the wanted SD."""
    from scipy.ndimage import gaussian_filter

    white = rng.standard_normal(shape, dtype=np.float32)
    if sigma_px > 0:
        white = gaussian_filter(white, sigma=(0.0, sigma_px, sigma_px), mode="wrap")
        white /= np.float32(white.std() or 1.0)
    return np.asarray(white * np.float32(sd), dtype=np.float32)


def make_phantom(spec: PhantomSpec, seed: int) -> tuple[NDArray[Any], NDArray[np.uint8], Volume]:
    """The image [z, y, x] (CT int16 HU, MR uint16 signal), the label mask and a Volume carrying the geometry.

    The Volume's metadata["noise_free"] holds the float32 image before blur and noise (for truth and tests).
    Deterministic: the same spec and seed give the same arrays, bit for bit.
    """
    if spec.modality not in ("CT", "MR"):
        raise ValueError(f"modality must be CT or MR, not {spec.modality!r}")
    # Paint in slabs of slices: every voxel depends only on its own position, so slabs give the same image as one
    # pass, with the coordinate arrays of one slab in memory instead of the whole volume's.
    nx, ny, nz = spec.grid.size
    step = max(1, _SLAB_VOXELS // (nx * ny))
    clean = np.empty((nz, ny, nx), dtype=np.float32)
    labels = np.empty((nz, ny, nx), dtype=np.uint8)
    for k0 in range(0, nz, step):
        k1 = min(nz, k0 + step)
        painter = _Painter(spec, seed, (k0, k1))
        painter.paint()
        clean[k0:k1] = painter.image
        labels[k0:k1] = painter.labels
        del painter
    image = clean
    if spec.blur:
        from scipy.ndimage import gaussian_filter

        # Partial volume: the slice profile (5 mm) and the in-plane point spread blur edges a little.
        sx, sy = spec.grid.pixel_spacing
        image = gaussian_filter(clean, sigma=(0.35, 0.45 * 1.5 / sy, 0.45 * 1.5 / sx), mode="nearest")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7002, *_pose_key(spec)]))
    if spec.noise_sd > 0:
        if spec.modality == "CT":
            image = image + _correlated_noise(rng, image.shape, spec.noise_sd, 0.7)
        else:
            bias = _mr_bias(spec.grid)
            n1 = _correlated_noise(rng, image.shape, spec.noise_sd, 0.5)
            n2 = _correlated_noise(rng, image.shape, spec.noise_sd, 0.5)
            image = np.sqrt((image * bias + n1) ** 2 + n2**2)
    elif spec.modality == "MR":
        image = image * _mr_bias(spec.grid)
    if spec.modality == "CT":
        out: NDArray[Any] = np.clip(np.rint(image), -1024, 3071).astype(np.int16)
    else:
        out = np.clip(np.rint(image), 0, 4095).astype(np.uint16)
    volume = _volume(spec, out)
    volume.metadata["noise_free"] = clean
    return out, labels, volume


def _pose_key(spec: PhantomSpec) -> list[int]:
    """Integers that make each visit's noise different but reproducible."""
    vals = [*spec.pose.rotation_deg, *spec.pose.translation_mm, spec.grid.first_z, spec.tumour.size_scale]
    return [round(x * 1000) % (2**31) for x in vals]


def _mr_bias(grid: Grid) -> F32:
    """Receive-coil intensity non-uniformity: brighter anteriorly and laterally, a few per cent."""
    xs, ys, zs = _grid_axes(grid)
    y = ys[None, :, None].astype(np.float32)
    x = xs[None, None, :].astype(np.float32)
    z = zs[:, None, None].astype(np.float32)
    field_ = 1.0 - 0.0004 * y + 0.0002 * np.abs(x) - 0.0003 * z
    return np.asarray(np.clip(field_, 0.8, 1.2), dtype=np.float32)


def _volume(spec: PhantomSpec, array: NDArray[Any]) -> Volume:
    g = spec.grid
    nx, ny, nz = g.size
    sx, sy = g.pixel_spacing
    x0 = g.centre_xy[0] - (nx - 1) / 2.0 * sx
    y0 = g.centre_xy[1] - (ny - 1) / 2.0 * sy
    positions = np.array([[x0, y0, g.first_z + k * g.slice_spacing] for k in range(nz)], dtype=np.float64)
    window = (40.0, 400.0) if spec.modality == "CT" else _mr_window(array)
    return Volume(
        array=array,
        pixel_spacing=(float(sx), float(sy)),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        positions=positions,
        modality=spec.modality,
        unit="HU" if spec.modality == "CT" else "signal",
        contrast=spec.contrast,
        slice_thickness=float(g.slice_spacing),
        window=window,
        label="phantom",
    )


def _mr_window(array: NDArray[Any]) -> tuple[float, float]:
    lo, hi = np.percentile(array[::2, ::4, ::4], [1.0, 99.5])
    return (float((lo + hi) / 2.0), float(max(hi - lo, 1.0)))


def make_phantom_volume(spec: PhantomSpec | None = None, seed: int = 0) -> PhantomResult:
    """A phantom in memory: its Volume, the lesion label mask and the true measurements of every lesion.

    The quick way for tests (segmentation accuracy, GUI) to get a realistic thigh with a sarcoma without writing
    DICOM. `truth` maps "T1" (tumour), "NT1" (lymph node) and "N1" (new lesion) to `LesionTruth`.
    """
    spec = spec or PhantomSpec()
    array, labels, volume = make_phantom(spec, seed)
    clean = volume.metadata.pop("noise_free")
    truth: dict[str, LesionTruth] = {}
    painter_geom = _Painter(replace(spec, grid=Grid(size=(2, 2, 2))), seed)
    centres = {
        1: spec.tumour.centre_mm,
        2: painter_geom.node_geometry()[0] if spec.lymph_node else None,
        3: painter_geom.new_lesion_geometry()[0] if spec.new_lesion else None,
    }
    for value, key in ((1, "T1"), (2, "NT1"), (3, "N1")):
        mask = labels == value
        if not mask.any():
            continue
        centre = centres[value]
        assert centre is not None
        d = longest_axial_diameters(mask, volume)
        truth[key] = LesionTruth(
            label_value=value,
            longest_axial_diameter_mm=d.longest_mm,
            short_axis_mm=d.short_mm,
            longest_axial_line_lps=d.longest_line,
            short_axis_line_lps=d.short_line,
            axial_slice_index=d.slice_index,
            volume_ml=volume_ml(mask, volume),
            mean=float(array[mask].astype(np.float64).mean()),
            mean_noise_free=float(clean[mask].astype(np.float64).mean()),
            voxels=int(np.count_nonzero(mask)),
            centroid_lps=centroid_lps(mask, volume),
            centre_lps=spec.pose.to_lps(centre),
        )
    return PhantomResult(volume=volume, lesion_mask=labels, truth=truth, spec=spec)


def ellipsoid_spec(
    semi_axes_mm: tuple[float, float, float] = (30.0, 20.0, 40.0),
    grid: Grid | None = None,
    modality: str = "CT",
) -> PhantomSpec:
    """A pure ellipsoid in uniform muscle, no noise, no blur: for exact-shape tests.

    The ellipsoid has the modality's "rim" value (80 HU on CT) and the background the "muscle" value."""
    tumour = TumourSpec(
        centre_mm=(0.0, 0.0, 0.0),
        semi_axes_mm=semi_axes_mm,
        irregularity=0.0,
        necrosis_fraction=0.0,
        rim_texture=0.0,
    )
    g = grid or Grid(
        size=(128, 128, 40), pixel_spacing=(1.0, 1.0), slice_spacing=2.5, centre_xy=(0.0, 0.0), first_z=-48.75
    )
    return PhantomSpec(modality=modality, grid=g, tumour=tumour, noise_sd=0.0, blur=False, anatomy=False)
