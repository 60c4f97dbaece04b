"""A lesion's 3-D mask, stored compactly, and the brush edits a reader makes to it.

The mask is kept as its bounding box in the volume (offset + shape) and the box's voxels as packed bits, so a
20 cm sarcoma on a 512 x 512 x 120 CT costs tens of kilobytes in the reading database rather than 30 MB, and
`to_dict()` stays JSON-safe (base64 text). Every edit returns a NEW segmentation: the objects are immutable, so
undo/redo in the workstation is a matter of keeping the previous object.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import Point, as_point, check_inside

Shape3 = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class LesionSegmentation:
    """A non-empty 3-D lesion mask on the grid of one series.

    volume_shape: (nz, ny, nx) of the series; offset: (z, y, x) of the box's first voxel; mask: boolean box.
    seed: the LPS point the reader clicked (None after a purely manual mask); method: how it was made.
    """

    KIND: ClassVar[str] = "lesion_segmentation"
    series_uid: str
    volume_shape: Shape3
    offset: Shape3
    mask: NDArray[np.bool_]
    seed: Point | None = None
    method: str = ""
    _key: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        mask = np.asarray(self.mask)
        if mask.ndim != 3:
            raise MeasurementError(f"a lesion mask must be 3-D, got {mask.ndim} dimensions")
        if mask.dtype != np.bool_:
            raise MeasurementError(f"a lesion mask must be boolean, got {mask.dtype}")
        shape = tuple(int(v) for v in self.volume_shape)
        offset = tuple(int(v) for v in self.offset)
        if len(shape) != 3 or len(offset) != 3:
            raise MeasurementError("volume_shape and offset need 3 values each (z, y, x)")
        if any(o < 0 or o + m > s for o, m, s in zip(offset, mask.shape, shape, strict=True)):
            raise MeasurementError(f"the mask box {mask.shape} at {offset} does not fit in the series grid {shape}")
        if not mask.any():
            raise MeasurementError(
                "the lesion mask is empty: segment again, or record the lesion as disappeared or too small to measure"
            )
        frozen = mask.copy()
        frozen.flags.writeable = False
        object.__setattr__(self, "mask", frozen)
        object.__setattr__(self, "volume_shape", shape)
        object.__setattr__(self, "offset", offset)
        if self.seed is not None:
            object.__setattr__(self, "seed", as_point(self.seed, "seed"))
        object.__setattr__(self, "_key", np.packbits(frozen, axis=None).tobytes())

    # --------------------------------------------------------------------------------------------- views
    @property
    def voxels(self) -> int:
        return int(np.count_nonzero(self.mask))

    @property
    def box(self) -> tuple[slice, slice, slice]:
        """Slices of the volume array covered by the mask box."""
        z, y, x = self.offset
        dz, dy, dx = self.mask.shape
        return (slice(z, z + dz), slice(y, y + dy), slice(x, x + dx))

    def full_mask(self) -> NDArray[np.bool_]:
        """The mask on the whole series grid [z, y, x]."""
        out = np.zeros(self.volume_shape, dtype=bool)
        out[self.box] = self.mask
        return out

    def voxel_indices(self) -> NDArray[np.intp]:
        """(n, 3) array of (k, j, i) = (z, y, x) indices of the mask's voxels in the series grid."""
        return np.asarray(np.argwhere(self.mask) + np.asarray(self.offset), dtype=np.intp)

    @classmethod
    def from_full_mask(
        cls, volume: Volume, mask: NDArray[np.bool_], seed: Sequence[float] | None = None, method: str = ""
    ) -> LesionSegmentation:
        """Crop a full-grid mask to its bounding box."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != volume.shape:
            raise MeasurementError(f"the mask's shape {mask.shape} differs from the series' {volume.shape}")
        if not mask.any():
            raise MeasurementError(
                "the lesion mask is empty: segment again, or record the lesion as disappeared or too small to measure"
            )
        idx = np.argwhere(mask)
        lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
        box = mask[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
        return cls(
            series_uid=volume.series_instance_uid,
            volume_shape=volume.shape,
            offset=(int(lo[0]), int(lo[1]), int(lo[2])),
            mask=box,
            seed=None if seed is None else as_point(seed, "seed"),
            method=method,
        )

    # ------------------------------------------------------------------------------------------ equality
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LesionSegmentation):
            return NotImplemented
        return (
            self.series_uid == other.series_uid
            and self.volume_shape == other.volume_shape
            and self.offset == other.offset
            and self.mask.shape == other.mask.shape
            and self._key == other._key
            and self.seed == other.seed
            and self.method == other.method
        )

    def __hash__(self) -> int:
        return hash((self.series_uid, self.offset, self.mask.shape, self._key))

    # ------------------------------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the box's voxels as packed bits (C order, big-endian bits), base64-encoded."""
        return {
            "kind": self.KIND,
            "series_uid": self.series_uid,
            "volume_shape": list(self.volume_shape),
            "offset": list(self.offset),
            "box_shape": list(self.mask.shape),
            "bits": base64.b64encode(self._key).decode("ascii"),
            "voxels": self.voxels,
            "seed": None if self.seed is None else list(self.seed),
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LesionSegmentation:
        if data.get("kind") != cls.KIND:
            raise MeasurementError(f"expected '{cls.KIND}', got kind {data.get('kind')!r}")
        box_shape = tuple(int(v) for v in data["box_shape"])
        count = math.prod(box_shape)
        try:
            raw = np.frombuffer(base64.b64decode(data["bits"], validate=True), dtype=np.uint8)
        except (ValueError, TypeError) as error:
            raise MeasurementError("the stored lesion mask is not valid base64 text") from error
        if raw.size != (count + 7) // 8:
            raise MeasurementError(
                f"the stored lesion mask has {raw.size} bytes, {(count + 7) // 8} expected for box {box_shape}"
            )
        mask = np.unpackbits(raw, count=count).astype(bool).reshape(box_shape)
        seg = cls(
            series_uid=str(data.get("series_uid", "")),
            volume_shape=tuple(int(v) for v in data["volume_shape"]),  # type: ignore[arg-type]
            offset=tuple(int(v) for v in data["offset"]),  # type: ignore[arg-type]
            mask=mask,
            seed=None if data.get("seed") is None else as_point(data["seed"]),
            method=str(data.get("method", "")),
        )
        if "voxels" in data and int(data["voxels"]) != seg.voxels:
            raise MeasurementError(f"the stored lesion mask has {seg.voxels} voxels, {data['voxels']} recorded")
        return seg


# ------------------------------------------------------------------------------------------------- brush
BrushShape = Literal["sphere", "disc"]


def brush_edit(
    volume: Volume,
    segmentation: LesionSegmentation,
    center: Sequence[float],
    radius_mm: float,
    mode: Literal["add", "erase"],
    shape: BrushShape = "disc",
) -> LesionSegmentation:
    """A new segmentation with a sphere, or a disc on the slice nearest the centre, added or erased.

    A voxel is painted when its centre lies within radius_mm of the brush centre (true mm via the Volume, so the
    brush is round on anisotropic, oblique and tilted grids). The disc paints one acquired slice, as a reader
    correcting the outline on the image shown; the sphere paints through neighbouring slices.
    """
    if segmentation.volume_shape != volume.shape or (
        segmentation.series_uid and segmentation.series_uid != volume.series_instance_uid
    ):
        raise MeasurementError("the brush was applied to a different series than the lesion mask was made on")
    if not math.isfinite(radius_mm) or radius_mm <= 0:
        raise MeasurementError(f"the brush radius must be a positive number of mm, got {radius_mm}")
    if mode not in ("add", "erase"):
        raise MeasurementError(f"brush mode must be 'add' or 'erase', got {mode!r}")
    if shape not in ("sphere", "disc"):
        raise MeasurementError(f"brush shape must be 'sphere' or 'disc', got {shape!r}")
    c = as_point(center, "brush centre")
    ijk = check_inside(volume, [c], "brush centre")[0]
    sx, sy = volume.pixel_spacing
    nz, ny, nx = volume.shape
    i0, i1 = max(0, math.floor(ijk[0] - radius_mm / sx)), min(nx - 1, math.ceil(ijk[0] + radius_mm / sx))
    j0, j1 = max(0, math.floor(ijk[1] - radius_mm / sy)), min(ny - 1, math.ceil(ijk[1] + radius_mm / sy))
    if shape == "disc":
        k0 = k1 = int(np.clip(round(float(ijk[2])), 0, nz - 1))
    else:
        reach = radius_mm / min(volume.slice_spacing_mm, sx, sy) + 1
        k0, k1 = max(0, math.floor(ijk[2] - reach)), min(nz - 1, math.ceil(ijk[2] + reach))
    kk, jj, ii = np.mgrid[k0 : k1 + 1, j0 : j1 + 1, i0 : i1 + 1]
    pts = volume.index_to_lps(np.stack([ii, jj, kk], axis=-1).astype(np.float64))
    if shape == "disc":
        # Distance within the slice plane from the brush centre projected onto that slice.
        on_plane = volume.index_to_lps(np.array([ijk[0], ijk[1], k0], dtype=np.float64))
        d2 = ((pts - on_plane) ** 2).sum(axis=-1)
    else:
        d2 = ((pts - np.asarray(c)) ** 2).sum(axis=-1)
    stroke = d2 <= radius_mm * radius_mm * (1 + 1e-12)
    full = segmentation.full_mask()
    region = full[k0 : k1 + 1, j0 : j1 + 1, i0 : i1 + 1]
    if mode == "add":
        region |= stroke
    else:
        region &= ~stroke
    if not full.any():
        raise MeasurementError(
            "the eraser removed the whole lesion: undo, or record the lesion as disappeared or too small to measure"
        )
    return LesionSegmentation.from_full_mask(
        volume, full, seed=segmentation.seed, method=edited_method(segmentation.method)
    )


def edited_method(method: str) -> str:
    """The method label of a mask after brush edits (added once, however many edits follow)."""
    return method if method.endswith("+ brush edits") else (f"{method} + brush edits" if method else "brush edits")
