"""Which plane a viewport shows and how display pixels map to voxel indices.

The acquired plane is shown as stored (rows down, columns right), as every DICOM viewer does. The two orthogonal
reformats are built by re-slicing the array along i or j, oriented the radiological way (coronal: patient right on
the viewer's left and head up; sagittal: anterior on the left and head up). Only a permutation and flips of the
index axes are involved, so a display point maps back to an exact continuous voxel index and from there to LPS
through `Volume.index_to_lps`; no millimetre is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from sfrt_reader.imaging.volume import Volume

# Index axes: 0 = i (columns, x), 1 = j (rows, y), 2 = k (slices, z). Array axes are reversed: [k, j, i].
_ARRAY_AXIS = {0: 2, 1: 1, 2: 0}
_LETTERS = (("R", "L"), ("A", "P"), ("I", "S"))  # (negative, positive) along LPS x, y, z


class Plane(Enum):
    """Anatomical plane named by the LPS axis it is perpendicular to."""

    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"
    # Resampled through a lesion's long axis (see sfrt_reader.imaging.reslice.oblique_through_axis): the plane
    # containing the long axis and the slice normal, and the one perpendicular to it.
    OBLIQUE = "oblique"
    OBLIQUE_PERPENDICULAR = "oblique perpendicular"


ORTHOGONAL_PLANES = (Plane.AXIAL, Plane.CORONAL, Plane.SAGITTAL)
OBLIQUE_PLANES = (Plane.OBLIQUE, Plane.OBLIQUE_PERPENDICULAR)


# LPS axis perpendicular to each plane, and the display right / down directions a radiologist expects there.
_PLANE_NORMAL_AXIS = {Plane.SAGITTAL: 0, Plane.CORONAL: 1, Plane.AXIAL: 2}
_PLANE_RIGHT_DOWN = {
    Plane.AXIAL: ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    Plane.CORONAL: ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
    Plane.SAGITTAL: ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),
}


def acquired_plane(volume: Volume) -> Plane:
    """The plane the series was acquired in: the one whose normal is the slice normal's dominant LPS axis."""
    axis = int(np.argmax(np.abs(np.asarray(volume.normal))))
    return {0: Plane.SAGITTAL, 1: Plane.CORONAL, 2: Plane.AXIAL}[axis]


def direction_letters(vector: tuple[float, float, float] | np.ndarray, threshold: float = 0.25) -> str:
    """Orientation letters for an LPS direction, strongest component first ('L', 'P', 'LA', 'SR'...).

    A component is named when its cosine is at least `threshold` (oblique planes get two or three letters, as
    on a PACS). LPS: +x is patient Left, +y Posterior, +z Superior.
    """
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        return ""
    v = v / norm
    order = np.argsort(-np.abs(v))
    letters = []
    for axis in order:
        c = float(v[axis])
        if abs(c) >= threshold:
            letters.append(_LETTERS[int(axis)][1 if c > 0 else 0])
    return "".join(letters)


@dataclass(frozen=True)
class SliceGeometry:
    """How a plane of a volume is laid out on screen.

    slice_axis: the index axis held constant (0 i, 1 j, 2 k); u_axis / v_axis: the index axes along display x
    (right) and y (down); u_flip / v_flip: whether those run backwards; sizes: voxel counts along u, v and the
    slice axis; spacing_u / spacing_v: mm between display pixels (for the aspect ratio and the scale bar).
    """

    plane: Plane
    slice_axis: int
    u_axis: int
    v_axis: int
    u_flip: bool
    v_flip: bool
    width: int
    height: int
    slice_count: int
    spacing_u: float
    spacing_v: float
    right: tuple[float, float, float]
    down: tuple[float, float, float]

    def display_to_index(self, u: float, v: float, slice_index: float) -> np.ndarray:
        """Continuous display pixel (u, v) on slice `slice_index` to continuous voxel index (i, j, k)."""
        ijk = np.zeros(3, dtype=np.float64)
        ijk[self.u_axis] = (self.width - 1 - u) if self.u_flip else u
        ijk[self.v_axis] = (self.height - 1 - v) if self.v_flip else v
        ijk[self.slice_axis] = slice_index
        return ijk

    def index_to_display(self, ijk: np.ndarray) -> tuple[float, float, float]:
        """Inverse of display_to_index: (u, v, slice)."""
        u = float(ijk[self.u_axis])
        v = float(ijk[self.v_axis])
        if self.u_flip:
            u = self.width - 1 - u
        if self.v_flip:
            v = self.height - 1 - v
        return u, v, float(ijk[self.slice_axis])

    def extract(self, array: np.ndarray, slice_index: int) -> np.ndarray:
        """The 2-D slice as a [v, u] view of the [z, y, x] array (no copy)."""
        plane = np.take(array, slice_index, axis=_ARRAY_AXIS[self.slice_axis])
        # Remaining array axes keep their order: the larger index axis comes first in the array.
        remaining = [a for a in (2, 1, 0) if a != self.slice_axis]  # index axes in array order
        if remaining.index(self.v_axis) != 0:
            plane = plane.T
        if self.v_flip:
            plane = plane[::-1, :]
        if self.u_flip:
            plane = plane[:, ::-1]
        return np.asarray(plane)


def slice_geometry(volume: Volume, plane: Plane) -> SliceGeometry:
    """The display layout of `plane` for this volume (see the module docstring for the conventions).

    Only for the three orthogonal planes of a volume whose index axes are a true grid; irregular stacks and oblique
    planes are resampled instead (`sfrt_reader.imaging.reslice`, chosen by `ViewportState`).
    """
    if plane not in ORTHOGONAL_PLANES:
        raise ValueError(f"the {plane.value} plane is resampled, it has no index-permutation layout")
    directions = np.asarray(volume.direction)  # columns: LPS direction of increasing i, j, k
    sizes = volume.size
    spacings = volume.spacing
    if plane == acquired_plane(volume):
        slice_axis, u_axis, v_axis, u_flip, v_flip = 2, 0, 1, False, False
    else:
        normal_axis = _PLANE_NORMAL_AXIS[plane]
        slice_axis = int(np.argmax(np.abs(directions[normal_axis, :])))
        others = [a for a in (0, 1, 2) if a != slice_axis]
        right, down = (np.asarray(d) for d in _PLANE_RIGHT_DOWN[plane])
        score_right = [abs(float(directions[:, a] @ right)) for a in others]
        u_axis = others[int(np.argmax(score_right))]
        v_axis = others[0] if u_axis == others[1] else others[1]
        u_flip = float(directions[:, u_axis] @ right) < 0
        v_flip = float(directions[:, v_axis] @ down) < 0
    right_vec = directions[:, u_axis] * (-1.0 if u_flip else 1.0)
    down_vec = directions[:, v_axis] * (-1.0 if v_flip else 1.0)
    return SliceGeometry(
        plane=plane,
        slice_axis=slice_axis,
        u_axis=u_axis,
        v_axis=v_axis,
        u_flip=u_flip,
        v_flip=v_flip,
        width=int(sizes[u_axis]),
        height=int(sizes[v_axis]),
        slice_count=int(sizes[slice_axis]),
        spacing_u=float(spacings[u_axis]),
        spacing_v=float(spacings[v_axis]),
        right=(float(right_vec[0]), float(right_vec[1]), float(right_vec[2])),
        down=(float(down_vec[0]), float(down_vec[1]), float(down_vec[2])),
    )


def plane_positions_mm(volume: Volume, geometry: SliceGeometry) -> np.ndarray:
    """Table-position-like coordinate (mm) of every slice of the plane, for annotation and linking.

    For the acquired plane this is `Volume.slice_position_mm`; for a reformat it is the LPS coordinate, along
    the plane's normal axis, of the slice's centre point (mapped through `Volume.index_to_lps`).
    """
    if geometry.slice_axis == 2:
        return np.array([volume.slice_position_mm(k) for k in range(geometry.slice_count)], dtype=np.float64)
    centre = np.array([(n - 1) / 2.0 for n in volume.size], dtype=np.float64)
    points = np.repeat(centre[None, :], geometry.slice_count, axis=0)
    points[:, geometry.slice_axis] = np.arange(geometry.slice_count, dtype=np.float64)
    lps = volume.index_to_lps(points)
    normal_axis = _PLANE_NORMAL_AXIS[geometry.plane]
    return np.asarray(lps[:, normal_axis], dtype=np.float64)
