"""What the 3-D lesion view shows, prepared without VTK or Qt: the region around a segmented lesion on a regular
grid, its mask, and the volumes and change written on the picture.

Why a regular grid of our own: VTK's image data are one origin, one spacing and axis-aligned; a tilted or
unevenly spaced CT is not. The crop is therefore resampled on an isotropic grid aligned with the patient axes,
through `Volume.lps_to_index` (`imaging.reslice.sample_volume`), so the surface and the rendering sit in true
millimetres. The grid is centred on the lesion (LPS minus the centre of the lesion's bounding box), so the
baseline and the follow-up share one camera and rotate together. The volumes in mL are the measurement layer's
(`SegmentationResult.volume_ml`, the number in the lesion table), not re-derived from the surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sfrt_reader.imaging.reslice import sample_volume
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.lesion_mask import LesionSegmentation

MARGIN_MM = 15.0
MAX_SIDE = 128  # voxels along the longest side of the crop: keeps a CPU ray cast interactive


@dataclass(frozen=True, eq=False)
class LesionCrop:
    """One timepoint's lesion region: image [z, y, x] (float32, the series' units) and mask on an isotropic LPS
    grid of `spacing_mm`, whose voxel [0, 0, 0] is at `origin` relative to `centre_lps`; and the caption."""

    title: str
    image: np.ndarray
    mask: np.ndarray
    origin: tuple[float, float, float]
    spacing_mm: float
    centre_lps: tuple[float, float, float]
    volume_ml: float
    unit: str
    is_ct: bool

    def caption(self, baseline_ml: float | None = None) -> str:
        """'Baseline\\nT1  123.4 mL' or, against a baseline, the change as well ('-35.0 % from baseline')."""
        text = f"{self.title}\nVolume {self.volume_ml:.1f} mL"
        if baseline_ml is not None and baseline_ml > 0:
            change = 100.0 * (self.volume_ml - baseline_ml) / baseline_ml
            text += f"\n{change:+.1f} % from baseline ({self.volume_ml - baseline_ml:+.1f} mL)"
        return text


def mask_bounds_lps(volume: Volume, segmentation: LesionSegmentation) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) LPS corners of the axis-aligned box holding every mask voxel (voxel edges included)."""
    idx = np.argwhere(segmentation.mask) + np.asarray(segmentation.offset)  # (n, 3) as (z, y, x)
    lo = idx.min(axis=0) - 0.5
    hi = idx.max(axis=0) + 0.5
    corners = np.array([(x, y, z) for x in (lo[2], hi[2]) for y in (lo[1], hi[1]) for z in (lo[0], hi[0])])
    lps = volume.index_to_lps(corners)
    return lps.min(axis=0), lps.max(axis=0)


def crop_around_lesion(
    volume: Volume,
    segmentation: LesionSegmentation,
    volume_ml: float,
    title: str,
    margin_mm: float = MARGIN_MM,
    max_side: int = MAX_SIDE,
) -> LesionCrop:
    """The lesion's bounding box plus `margin_mm` on every side, resampled isotropically (voxel = the series'
    finest spacing, coarser when the box would exceed `max_side` voxels), with the mask resampled on it."""
    if tuple(segmentation.volume_shape) != volume.shape:
        raise ValueError(
            f"the lesion mask was made on a {segmentation.volume_shape} grid, this series is {volume.shape}"
        )
    lo, hi = mask_bounds_lps(volume, segmentation)
    lo = lo - margin_mm
    hi = hi + margin_mm
    extent = hi - lo
    step = max(float(min(volume.spacing)), float(extent.max()) / max_side)
    n = np.maximum(1, np.ceil(extent / step).astype(int) + 1)  # (nx, ny, nz) along L, P, S
    centre = (lo + hi) / 2.0
    start = centre - (n - 1) * step / 2.0
    axes = [(np.eye(3)[axis] * step, int(n[axis])) for axis in range(3)]  # along L, P, S
    ijk = volume.grid_lps_to_index(start, axes)  # (nz, ny, nx, 3)
    fill = -1000.0 if volume.unit.upper() == "HU" else float(volume.array.min())
    image = sample_volume(volume, ijk, fill).astype(np.float32)
    mask = _sample_mask(segmentation, ijk)
    return LesionCrop(
        title=title,
        image=image,
        mask=mask,
        origin=tuple(float(v) for v in (start - centre)),  # type: ignore[arg-type]
        spacing_mm=step,
        centre_lps=(float(centre[0]), float(centre[1]), float(centre[2])),
        volume_ml=float(volume_ml),
        unit=volume.unit,
        is_ct=volume.unit.upper() == "HU",
    )


def _sample_mask(segmentation: LesionSegmentation, ijk: np.ndarray) -> np.ndarray:
    """The mask at continuous indices (trilinear on 0/1, kept where >= 0.5: the surface half-way between voxels)."""
    from scipy.ndimage import map_coordinates

    z0, y0, x0 = segmentation.offset
    flat = ijk.reshape(-1, 3)
    coords = np.stack([flat[:, 2] - z0, flat[:, 1] - y0, flat[:, 0] - x0])
    box = segmentation.mask.astype(np.float32)
    values = map_coordinates(box, coords, order=1, mode="constant", cval=0.0)
    return np.asarray(values.reshape(ijk.shape[:-1]) >= 0.5)
