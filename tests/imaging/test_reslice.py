"""Resampled planes: true geometry on irregular stacks, exact display <-> LPS, oblique planes through a long axis.

Expected values come from the phantoms' analytic shapes and from voxel positions computed by hand (DICOM formula),
not from `Volume` or the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.reslice import (
    ResampledPlane,
    needs_resampling,
    oblique_through_axis,
    orthogonal_reformat,
)
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.plane_regions import region_statistics_in_plane
from sfrt_reader.measurement.regions import EllipseRegion
from tests.ui.reformat_phantoms import INSIDE_HU, OUTSIDE_HU, ellipsoid_ct, tilted_axes, uneven_z, voxel_lps


def _z_ramp(tilt_deg: float, z_positions: list[float]) -> Volume:
    """Voxel value = round(2 * z) of the voxel centre (z in LPS mm), on a possibly tilted, uneven stack."""
    template = ellipsoid_ct((0, 0, 0), (1, 1, 1), n=40, z_positions=z_positions, tilt_deg=tilt_deg)
    lps = voxel_lps(
        template.shape, template.pixel_spacing, template.row_direction, template.column_direction, template.positions
    )
    template.array = np.rint(2.0 * lps[..., 2]).astype(np.int16)
    return template


@pytest.mark.parametrize(("tilt", "zs"), [(0.0, uneven_z(-20, 0, 20)), (15.0, list(np.arange(-20.0, 20.1, 2.5)))])
def test_coronal_of_irregular_stack_shows_true_z(tilt: float, zs: list[float]) -> None:
    volume = _z_ramp(tilt, zs)
    assert needs_resampling(volume)
    plane = orthogonal_reformat(volume, "coronal", "coronal")
    assert plane.right == (1.0, 0.0, 0.0) and plane.down == (0.0, 0.0, -1.0)
    s = plane.centre_slice
    image = plane.extract(volume.array, s)
    v = np.arange(plane.height)
    lps = plane.display_to_lps(np.full_like(v, plane.width // 2, dtype=float), v, s)
    z = lps[:, 2]
    # Rows well inside the stack (the tilt moves the stack's z range with y): value = 2 z, up to rounding.
    inside = (z > min(zs) + 8) & (z < max(zs) - 8)
    assert inside.sum() >= 6  # enough rows to compare (rows are one slice step apart)
    np.testing.assert_allclose(image[inside, plane.width // 2], np.rint(2 * z[inside]), atol=1.0)
    # Columns 1 mm apart (the pixel spacing along x), rows as far apart as the slices sample z: the finest gap
    # (2 mm) on the uneven stack; on the tilted one the finer of the tilted rows (1 mm, sin 15 along z) and the
    # slice planes (2.5 cos 15 mm apart along their normal, which is cos 15 along z).
    assert plane.spacing_u == 1.0
    c15, s15 = math.cos(math.radians(15)), math.sin(math.radians(15))
    expected_v = 2.0 if tilt == 0.0 else 1.0 / max(s15 / 1.0, c15 / (2.5 * c15))
    assert plane.spacing_v == pytest.approx(expected_v)


def test_sphere_on_uneven_stack_keeps_its_diameter_in_the_coronal() -> None:
    radius = 20.0
    volume = ellipsoid_ct((0.0, 0.0, 0.0), (radius, radius, radius), n=64, z_positions=uneven_z())
    plane = orthogonal_reformat(volume, "coronal", "coronal", centre=(0.0, 0.0, 0.0))
    image = plane.extract(None, plane.centre_slice)
    inside = image > (INSIDE_HU - 125)
    rows = np.nonzero(inside.any(axis=1))[0]
    cols = np.nonzero(inside.any(axis=0))[0]
    height_mm = (rows.max() - rows.min() + 1) * plane.spacing_v
    width_mm = (cols.max() - cols.min() + 1) * plane.spacing_u
    assert width_mm == pytest.approx(2 * radius, abs=2.0)
    # Above z = 0 the slices are 6 mm apart: the boundary is known to within half that gap.
    assert height_mm == pytest.approx(2 * radius, abs=6.0)
    # Upper and lower halves equally tall (an index permutation with the mean gap would squash the upper half).
    centre_row = plane.lps_to_display(np.zeros(3))[1]
    upper = centre_row - rows.min()
    lower = rows.max() - centre_row
    assert abs(upper - lower) * plane.spacing_v <= 6.0


@settings(max_examples=40, deadline=None)
@given(u=st.floats(-50, 200), v=st.floats(-50, 200), s=st.floats(-10, 80))
def test_display_lps_round_trip(u: float, v: float, s: float) -> None:
    volume = ellipsoid_ct((0, 0, 0), (5, 5, 5), n=32, z_positions=uneven_z(-20, 0, 20), tilt_deg=10.0)
    plane = orthogonal_reformat(volume, "sagittal", "sagittal")
    lps = plane.display_to_lps(u, v, s)
    np.testing.assert_allclose(plane.lps_to_display(lps), (u, v, s), atol=1e-9)
    ijk = plane.display_to_index(u, v, s)
    np.testing.assert_allclose(plane.index_to_display(ijk), (u, v, s), atol=1e-6)


def test_oblique_plane_of_tilted_ellipsoid_shows_its_true_long_axis() -> None:
    centre = np.array([3.0, -4.0, 2.0])
    axes = tilted_axes(azimuth_deg=30.0, elevation_deg=25.0)
    semi = (40.0, 15.0, 12.0)
    volume = ellipsoid_ct(centre, semi, axes, n=120, z_positions=list(np.arange(-50.0, 50.1, 2.0)))
    # The reader's axial longest diameter: along the long axis' axial direction, through the centre.
    axial_dir = np.array([math.cos(math.radians(30)), math.sin(math.radians(30)), 0.0])
    start, end = centre - 20 * axial_dir, centre + 20 * axial_dir
    plane = oblique_through_axis(volume, "oblique", start, end)
    # The plane contains the slice normal and the true 3-D long axis.
    assert abs(np.dot(plane.normal_vector, volume.normal)) < 1e-9
    for tip in (centre + semi[0] * axes[0], centre - semi[0] * axes[0]):
        assert plane.lps_to_display(tip)[2] == pytest.approx(plane.centre_slice, abs=1e-6)
    image = plane.extract(None, plane.centre_slice)
    rows, cols = np.nonzero(image > INSIDE_HU - 125)
    mm = np.stack([cols * plane.spacing_u, rows * plane.spacing_v], axis=1)
    far = mm[np.argmax(np.linalg.norm(mm - mm.mean(axis=0), axis=1))]
    longest = float(np.linalg.norm(mm - far, axis=1).max())
    assert longest == pytest.approx(2 * semi[0], abs=3.0)
    # The axial slice through the centre cannot show it: its chord of the tilted ellipsoid is shorter.
    k = volume.nearest_slice(centre)
    axial = volume.array[k] > INSIDE_HU - 125
    r, c = np.nonzero(axial)
    axial_mm = np.stack([c * 1.0, r * 1.0], axis=1)
    far2 = axial_mm[np.argmax(np.linalg.norm(axial_mm - axial_mm.mean(axis=0), axis=1))]
    assert float(np.linalg.norm(axial_mm - far2, axis=1).max()) < 2 * semi[0] - 5.0


def test_perpendicular_oblique_contains_the_normal_and_crosses_the_axis() -> None:
    volume = ellipsoid_ct((0, 0, 0), (30, 10, 10), n=80)
    start, end = np.array([-20.0, -20.0, 0.0]), np.array([20.0, 20.0, 0.0])
    plane = oblique_through_axis(volume, "oblique perpendicular", start, end, perpendicular=True)
    axis = (end - start) / np.linalg.norm(end - start)
    assert abs(float(np.dot(plane.right_vector, axis))) < 1e-9
    assert abs(float(np.dot(plane.right_vector, volume.normal))) < 1e-9
    assert abs(abs(float(np.dot(plane.normal_vector, axis))) - 1.0) < 1e-9
    assert plane.down == (0.0, 0.0, -1.0)  # head up


def test_oblique_refuses_an_axis_along_the_normal() -> None:
    volume = ellipsoid_ct((0, 0, 0), (5, 5, 5), n=20)
    with pytest.raises(ValueError, match="slice normal"):
        oblique_through_axis(volume, "oblique", (0, 0, -5), (0, 0, 5))
    with pytest.raises(ValueError, match="zero length"):
        oblique_through_axis(volume, "oblique", (1, 1, 1), (1, 1, 1))


def test_region_in_a_coronal_plane_of_a_sphere() -> None:
    volume = ellipsoid_ct((0.0, 0.0, 0.0), (25.0, 25.0, 25.0), n=72, z_positions=uneven_z())
    plane: ResampledPlane = orthogonal_reformat(volume, "coronal", "coronal", centre=(0.0, 0.0, 0.0))
    r = 10.0  # a circle of 10 mm in the coronal plane through the centre: all inside the sphere
    circle = EllipseRegion((0.0, 0.0, 0.0), (r, 0.0, 0.0), (0.0, 0.0, r))
    stats = region_statistics_in_plane(
        volume, circle, plane.lps_to_display, lambda s: plane.extract(None, s), (plane.spacing_u, plane.spacing_v)
    )
    assert stats.mean == INSIDE_HU and stats.sd == 0.0
    assert stats.area_mm2 == pytest.approx(math.pi * r * r, rel=0.06)
    assert stats.ref.sop_instance_uid == ""  # spans several acquired slices: refers to the series
    tilted = EllipseRegion((0.0, 0.0, 0.0), (r, 0.0, 0.0), (0.0, 5.0, r))
    with pytest.raises(MeasurementError):
        region_statistics_in_plane(volume, tilted, plane.lps_to_display, lambda s: plane.extract(None, s), (1.0, 1.0))


@settings(max_examples=30, deadline=None)
@given(
    tilt=st.floats(-25.0, 25.0),
    gaps=st.lists(st.floats(0.5, 7.0), min_size=1, max_size=12),
    origin=st.tuples(st.floats(-80, 80), st.floats(-80, 80), st.floats(-80, 80)),
    angles=st.tuples(st.floats(0, 2 * math.pi), st.floats(-1.2, 1.2)),
    counts=st.tuples(st.integers(1, 9), st.integers(1, 7), st.integers(1, 4)),
)
def test_grid_mapping_equals_point_mapping(
    tilt: float,
    gaps: list[float],
    origin: tuple[float, float, float],
    angles: tuple[float, float],
    counts: tuple[int, int, int],
) -> None:
    """Volume.grid_lps_to_index gives exactly lps_to_index of the same grid points (also outside the stack)."""
    zs = list(np.cumsum([-20.0, *gaps]))
    volume = ellipsoid_ct((0, 0, 0), (5, 5, 5), n=8, z_positions=zs, tilt_deg=tilt)
    a, e = angles
    u = np.array([math.cos(a) * math.cos(e), math.sin(a) * math.cos(e), math.sin(e)]) * 1.3
    v = np.cross(u, [0.0, 0.0, 1.0]) if abs(math.sin(e)) < 0.99 else np.array([1.0, 0.0, 0.0])
    w = np.cross(u, v)
    axes = [(u, counts[0]), (v * 0.7, counts[1]), (w * 2.1, counts[2])]
    grid = volume.grid_lps_to_index(origin, axes)
    c, b, a_ = np.meshgrid(*(np.arange(n) for n in counts[::-1]), indexing="ij")
    points = np.asarray(origin) + a_[..., None] * axes[0][0] + b[..., None] * axes[1][0] + c[..., None] * axes[2][0]
    np.testing.assert_allclose(grid, volume.lps_to_index(points), atol=1e-9)


@settings(max_examples=8, deadline=None)
@given(azimuth=st.floats(0.0, 180.0), elevation=st.floats(-40.0, 40.0), long_semi=st.floats(25.0, 38.0))
def test_oblique_long_axis_of_any_tilted_ellipsoid(azimuth: float, elevation: float, long_semi: float) -> None:
    axes = tilted_axes(azimuth, elevation)
    volume = ellipsoid_ct(
        (0.0, 0.0, 0.0), (long_semi, 10.0, 8.0), axes, n=96, z_positions=list(np.arange(-45, 45.1, 2.0))
    )
    horizontal = np.array([math.cos(math.radians(azimuth)), math.sin(math.radians(azimuth)), 0.0])
    plane = oblique_through_axis(volume, "oblique", -10 * horizontal, 10 * horizontal)
    image = plane.extract(None, plane.centre_slice)
    # Inside: at least half-way between the two values (the boundary is half-way between voxels).
    rows, cols = np.nonzero(image >= (INSIDE_HU + OUTSIDE_HU) / 2)
    mm = np.stack([cols * plane.spacing_u, rows * plane.spacing_v], axis=1)
    far = mm[np.argmax(np.linalg.norm(mm - mm.mean(axis=0), axis=1))]
    # Chord between the extreme pixel centres plus half a pixel at each end (their footprint).
    chord = float(np.linalg.norm(mm - far, axis=1).max()) + plane.spacing_u
    assert chord == pytest.approx(2 * long_semi, abs=3.0)
