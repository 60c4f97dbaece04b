"""Oblique planes sampled in place from the series' own array, checked against independent references.

- SimpleITK's ResampleImageFilter (linear) on an ITK image of the same stack, a resampler written by others: on a
  regular stack every pixel whose point lies within the voxel centres must be ITK's value rounded (trilinear
  both; a tie, x.5, may round either way), whatever the plane's and the acquisition's orientation and the pixel
  spacing's anisotropy. Pixel positions for ITK come from the plane's LPS, and ITK maps them to indices itself.
- A field linear in LPS (value = a . lps + b, computed from voxel positions by the DICOM formula, not through
  `Volume`): trilinear interpolation reproduces it exactly, so any geometric error shows, on regular, tilted and
  unevenly spaced stacks alike.
- A field linear in the voxel index: in the outer half voxel the value is that of the nearest border voxel along
  the axes it overhangs (clamped), beyond the outer voxel edge it is the fill (air on CT).
- Memory: resampling a plane allocates nothing of the series' size (no copy of the array is made or kept).
- The separable sampling of planes that contain the slice normal gives map_coordinates' values.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.reslice import (
    ResampledPlane,
    affine_index_map,
    needs_resampling,
    oblique_through_axis,
    orthogonal_reformat,
    plane_indices,
    sample_separable,
    sample_volume,
)
from sfrt_reader.imaging.volume import Volume
from tests.ui.reformat_phantoms import ellipsoid_ct, uneven_z, voxel_lps

FIELD = np.array([3.0, -2.0, 5.0])  # HU per mm along L, P, S


def _linear_field(volume: Volume) -> Volume:
    lps = voxel_lps(volume.shape, volume.pixel_spacing, volume.row_direction, volume.column_direction, volume.positions)
    volume.array = np.rint(lps @ FIELD).astype(np.int16)
    return volume


def _regular(
    n: int = 48, yaw: float = 0.0, pitch: float = 0.0, seed: int = 0, pixel: tuple[float, float] = (0.9, 0.9)
) -> Volume:
    """An evenly spaced, untilted stack of n x n x 25 voxels (`pixel` mm, 2.5 mm slices) whose rows and columns are
    turned by `yaw` about z and `pitch` about the row (an oblique acquisition), filled with noise on a 200 HU block
    so that interpolation has something to differ on."""
    cy, sy, cp, sp = (
        np.cos(np.radians(yaw)),
        np.sin(np.radians(yaw)),
        np.cos(np.radians(pitch)),
        np.sin(np.radians(pitch)),
    )
    row = np.array([cy, sy, 0.0])
    col = cp * np.array([-sy, cy, 0.0]) + sp * np.array([0.0, 0.0, -1.0])
    normal = np.cross(row, col)
    first = np.array([4.0, -3.0, 2.0]) - 0.5 * (n - 1) * (pixel[0] * row + pixel[1] * col) - 12 * 2.5 * normal
    positions = np.array([first + k * 2.5 * normal for k in range(25)])
    rng = np.random.default_rng(seed)
    array = rng.integers(-200, 200, size=(25, n, n)).astype(np.int16)
    array[6:19, 10:38, 12:36] += 200
    return Volume(array, pixel, tuple(row), tuple(col), positions, modality="CT", unit="HU")


def _itk_reference(volume: Volume, plane: ResampledPlane, s: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, continuous ITK index (x, y, z) of each pixel) of plane slice `s` by SimpleITK's linear resampler
    on an ITK image of the stack (origin, spacing, direction taken from the DICOM attributes the Volume holds)."""
    image = sitk.GetImageFromArray(volume.array.astype(np.float64))
    image.SetOrigin(tuple(float(v) for v in volume.positions[0]))
    step = float(np.linalg.norm(volume.positions[1] - volume.positions[0]))
    image.SetSpacing((float(volume.pixel_spacing[0]), float(volume.pixel_spacing[1]), step))
    normal = (volume.positions[1] - volume.positions[0]) / step
    axes = np.column_stack([volume.row_direction, volume.column_direction, normal])
    image.SetDirection(tuple(float(v) for v in axes.ravel()))
    corner = plane.origin + s * plane.spacing_s * plane.normal_vector
    f = sitk.ResampleImageFilter()
    f.SetSize((plane.width, plane.height, 1))
    f.SetOutputSpacing((plane.spacing_u, plane.spacing_v, 1.0))
    f.SetOutputOrigin(tuple(float(v) for v in corner))
    f.SetOutputDirection(tuple(float(v) for v in np.column_stack([plane.right, plane.down, plane.normal]).ravel()))
    f.SetInterpolator(sitk.sitkLinear)
    f.SetDefaultPixelValue(np.nan)
    f.SetOutputPixelType(sitk.sitkFloat64)
    values = sitk.GetArrayFromImage(f.Execute(image))[0]
    v, u = np.mgrid[0 : plane.height, 0 : plane.width]
    lps = plane.display_to_lps(u, v, s).reshape(-1, 3)
    index = np.array([image.TransformPhysicalPointToContinuousIndex(tuple(float(c) for c in p)) for p in lps])
    return values, index.reshape(plane.height, plane.width, 3)


@settings(max_examples=25, deadline=None)
@given(
    azimuth=st.floats(0.0, 180.0),
    perpendicular=st.booleans(),
    yaw=st.sampled_from([0.0, 30.0, 180.0]),
    pitch=st.sampled_from([0.0, 20.0, 90.0]),
    pixel=st.sampled_from([(0.9, 0.9), (0.6, 1.3), (1.7, 0.8)]),
    offset=st.integers(-6, 6),
)
def test_regular_stack_plane_equals_simpleitk_resampler(
    azimuth: float, perpendicular: bool, yaw: float, pitch: float, pixel: tuple[float, float], offset: int
) -> None:
    volume = _regular(yaw=yaw, pitch=pitch, pixel=pixel)
    assert not needs_resampling(volume) and affine_index_map(volume) is not None
    centre = np.array([4.0, -3.0, 2.0])
    a = np.radians(azimuth)
    direction = np.array([np.cos(a), np.sin(a), 0.3])
    plane = oblique_through_axis(volume, "oblique", centre - 20 * direction, centre + 20 * direction, perpendicular)
    s = int(np.clip(plane.centre_slice + offset, 0, plane.slice_count - 1))
    ours = plane.resample(s)
    assert ours.dtype == np.int16 and ours.shape == (plane.height, plane.width)
    reference, index = _itk_reference(volume, plane, s)
    nx, ny, nz = volume.size
    upper = np.array([nx, ny, nz], dtype=np.float64) - 1
    within = np.all((index >= 1e-6) & (index <= upper - 1e-6), axis=-1)  # where ITK interpolates
    assert within.sum() > 100
    # our integer is ITK's exact trilinear value rounded: within half a unit (a tie, x.5, may go either way)
    assert np.abs(ours[within] - reference[within]).max() <= 0.5 + 1e-6
    beyond = np.any((index < -0.5 - 1e-6) | (index > upper + 0.5 + 1e-6), axis=-1)
    assert np.all(ours[beyond] == plane._fill)
    # the affine shortcut of a regular stack gives the pixels of the path through the true slice positions
    assert np.abs(ours.astype(np.int32) - plane.resample_through_index(s).astype(np.int32)).max() <= 1


@pytest.mark.parametrize("pixel", [(0.9, 0.9), (0.5, 1.4)])
def test_regular_stack_shows_the_true_field(pixel: tuple[float, float]) -> None:
    volume = _linear_field(_regular(yaw=25.0, pitch=10.0, pixel=pixel))
    for perpendicular in (False, True):
        plane = oblique_through_axis(volume, "oblique", (-15.0, -10.0, -6.0), (18.0, 9.0, 8.0), perpendicular)
        for s in (plane.centre_slice - 3, plane.centre_slice, plane.centre_slice + 2):
            _assert_field(volume, plane, s, plane.extract(None, s))


@pytest.mark.parametrize(("tilt", "zs"), [(14.0, list(np.arange(-24.0, 24.1, 3.0))), (0.0, uneven_z(-24.0, 0.0, 24.0))])
def test_irregular_stack_keeps_the_true_geometry(tilt: float, zs: list[float]) -> None:
    volume = _linear_field(ellipsoid_ct((0, 0, 0), (10, 10, 10), n=48, pixel=0.9, z_positions=zs, tilt_deg=tilt))
    assert needs_resampling(volume)
    if tilt:  # slice origins step along z while the slices lean: one affine map still holds
        assert affine_index_map(volume) is not None
    else:  # uneven gaps: no affine map; every pixel goes through the true slice positions
        assert affine_index_map(volume) is None
    for plane in (
        oblique_through_axis(volume, "oblique", (-12.0, -8.0, -4.0), (14.0, 6.0, 5.0)),
        orthogonal_reformat(volume, "coronal", "coronal"),
    ):
        s = plane.centre_slice
        image = plane.extract(None, s)
        assert np.abs(image.astype(np.int32) - plane.resample_through_index(s).astype(np.int32)).max() <= 1
        _assert_field(volume, plane, s, image)


def test_nearly_even_gaps_keep_the_true_slice_positions() -> None:
    """Gaps uneven by half a percent pass `Volume.is_uniform` (1%), but an affine map would put the far slices a
    tenth of a slice off: such a stack goes through the true positions, and shows the true field."""
    zs = np.cumsum([0.0] + [3.0 if k % 2 else 3.015 for k in range(20)]) - 30.0
    volume = _linear_field(ellipsoid_ct((0, 0, 0), (10, 10, 10), n=40, pixel=0.9, z_positions=list(zs)))
    assert volume.is_uniform and affine_index_map(volume) is None
    plane = orthogonal_reformat(volume, "coronal", "coronal")
    s = plane.centre_slice
    image = plane.extract(None, s)
    assert np.abs(image.astype(np.int32) - plane.resample_through_index(s).astype(np.int32)).max() <= 1
    _assert_field(volume, plane, s, image)


def test_outer_half_voxel_is_clamped_and_beyond_is_air() -> None:
    """Value = 3 i + 5 j + 7 k (exact in int16): inside the voxel centres the plane shows it at the continuous index,
    in the outer half voxel at the index clamped to the border voxels, beyond the outer edge the air fill."""
    volume = _regular(n=20)
    k, j, i = np.mgrid[0:25, 0:20, 0:20]
    volume.array = (3 * i + 5 * j + 7 * k).astype(np.int16)
    plane = oblique_through_axis(volume, "oblique", (-9.0, -1.0, 0.0), (9.0, 2.0, 0.5))
    upper = np.array(volume.size, dtype=np.float64) - 1
    counts = {"inside": 0, "band": 0, "beyond": 0}
    for s in range(plane.slice_count):
        image = plane.resample(s)
        v, u = np.mgrid[0 : plane.height, 0 : plane.width]
        index = volume.lps_to_index(plane.display_to_lps(u, v, s))
        beyond = np.any((index < -0.5 - 1e-6) | (index > upper + 0.5 + 1e-6), axis=-1)
        band = ~beyond & np.any((index < 0) | (index > upper), axis=-1)
        at_edge = np.any(np.abs(np.abs(index - upper / 2) - (upper / 2 + 0.5)) < 1e-5, axis=-1)  # float noise
        kept = ~beyond & ~at_edge
        expected = np.clip(index, 0, upper) @ np.array([3.0, 5.0, 7.0])
        assert np.all(image[beyond] == plane._fill)
        assert np.all(np.abs(image[kept] - expected[kept]) <= 0.5 + 1e-6)
        counts["inside"] += int(np.count_nonzero(kept & ~band))
        counts["band"] += int(np.count_nonzero(kept & band))
        counts["beyond"] += int(np.count_nonzero(beyond))
    assert plane._fill <= -1000 and min(counts.values()) > 50, counts


def test_resampling_copies_nothing_of_the_series() -> None:
    """An oblique slice of a 120 x 256 x 256 int16 stack (15 MB) allocates a few planes' worth, not the series;
    so does making the plane."""
    rng = np.random.default_rng(3)
    array = rng.integers(-1000, 1000, size=(120, 256, 256), dtype=np.int16)
    positions = np.array([[-90.0, -90.0, 2.0 * k] for k in range(120)])
    volume = Volume(array, (0.7, 0.7), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), positions, modality="CT", unit="HU")
    centre = volume.index_to_lps(np.array([128.0, 128.0, 60.0]))
    direction = np.array([np.cos(0.5), np.sin(0.5), 0.0])
    oblique_through_axis(volume, "oblique", centre - 40 * direction, centre + 40 * direction).resample(3)  # imports
    tracemalloc.start()
    try:
        plane = oblique_through_axis(volume, "oblique", centre - 40 * direction, centre + 40 * direction)
        for s in (plane.centre_slice, plane.centre_slice + 1):
            plane.extract(None, s)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    pixels = plane.width * plane.height
    assert peak < 100 * pixels  # indices, values and masks of one plane: a dozen float64 a pixel at most
    assert peak < array.nbytes / 4


def _assert_field(volume: Volume, plane: ResampledPlane, s: int, image: np.ndarray) -> None:
    """Pixels well inside the scan show the linear field at their LPS (up to the int16 rounding of the voxels)."""
    v, u = np.mgrid[0 : plane.height, 0 : plane.width]
    lps = plane.display_to_lps(u, v, s)
    ijk = volume.lps_to_index(lps)
    nx, ny, nz = volume.size
    inside = (
        (ijk[..., 0] > 1) & (ijk[..., 0] < nx - 2) & (ijk[..., 1] > 1) & (ijk[..., 1] < ny - 2)
        & (ijk[..., 2] > 0.5) & (ijk[..., 2] < nz - 1.5)
    )  # fmt: skip
    assert inside.sum() > 200
    np.testing.assert_allclose(image[inside], (lps @ FIELD)[inside], atol=1.01)


@settings(max_examples=30, deadline=None)
@given(
    azimuth=st.floats(0.0, 180.0),
    perpendicular=st.booleans(),
    yaw=st.sampled_from([0.0, 30.0, 180.0]),
    pitch=st.sampled_from([0.0, 20.0, 90.0]),
    offset=st.integers(-8, 8),
    as_float=st.booleans(),
)
def test_separable_planes_equal_map_coordinates(
    azimuth: float, perpendicular: bool, yaw: float, pitch: float, offset: int, as_float: bool
) -> None:
    """Oblique planes of a straight stack contain the slice normal: `sample_separable` takes them, and gives
    scipy's map_coordinates values (`sample_volume`) exactly up to the order of the float operations."""
    volume = _regular(yaw=yaw, pitch=pitch)
    if as_float:
        volume.array = volume.array.astype(np.float32) / 7.0
    centre = np.array([4.0, -3.0, 2.0])
    a = np.radians(azimuth)
    direction = np.array([np.cos(a), np.sin(a), 0.3])
    plane = oblique_through_axis(volume, "oblique", centre - 20 * direction, centre + 20 * direction, perpendicular)
    s = int(np.clip(plane.centre_slice + offset, 0, plane.slice_count - 1))
    corner = plane.origin + s * plane.spacing_s * plane.normal_vector
    spacing = (plane.spacing_u, plane.spacing_v)
    ijk = plane_indices(volume, corner, plane.right_vector, plane.down_vector, spacing, (plane.width, plane.height))
    separable = sample_separable(volume, ijk, plane._fill)
    assert separable is not None
    reference = sample_volume(volume, ijk, plane._fill)
    assert separable.dtype == reference.dtype == volume.array.dtype
    if as_float:
        np.testing.assert_allclose(separable, reference, rtol=0, atol=1e-4)
    else:
        assert np.abs(separable.astype(np.int32) - reference.astype(np.int32)).max() <= 1  # a tie, x.5, at most


def test_separable_sampling_refuses_other_planes() -> None:
    """A plane whose rows change the in-plane position (a tilted stack's oblique, whose normal leans across the
    slices) or whose columns change the slice (an axial plane turned about the row) is left to map_coordinates."""
    tilted = ellipsoid_ct((0, 0, 0), (10, 10, 10), n=40, pixel=0.9, tilt_deg=14.0)
    plane = oblique_through_axis(tilted, "oblique", (-12.0, -8.0, -4.0), (14.0, 6.0, 5.0))
    s = plane.centre_slice
    corner = plane.origin + s * plane.spacing_s * plane.normal_vector
    spacing = (plane.spacing_u, plane.spacing_v)
    ijk = plane_indices(tilted, corner, plane.right_vector, plane.down_vector, spacing, (plane.width, plane.height))
    assert sample_separable(tilted, ijk, -1000.0) is None
    straight = _regular()
    right = np.array([np.cos(0.3), 0.0, np.sin(0.3)])  # leaves the slice plane along the row
    ijk = plane_indices(straight, np.array([-10.0, -10.0, 0.0]), right, np.array([0.0, 1.0, 0.0]), (1.0, 1.0), (20, 20))
    assert sample_separable(straight, ijk, -1000.0) is None
    assert sample_volume(straight, ijk, -1000.0).shape == (20, 20)
