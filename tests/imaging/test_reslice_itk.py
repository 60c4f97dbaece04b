"""Oblique planes through SimpleITK on regular stacks, through `Volume.lps_to_index` on irregular ones.

On a regular phantom both paths must give the same pixels (trilinear both; ITK interpolates in float32, so an
integer value may differ by one at a rounding tie). On a tilted or unevenly spaced stack SimpleITK's grid cannot
describe the geometry, so the plane must not use it; there, and on a regular stack, the values of a field that is
linear in LPS (value = a . lps + b, computed here from voxel positions by the DICOM formula, not through `Volume`)
must come out as the field at each pixel's LPS: trilinear interpolation reproduces a linear field exactly, so any
geometric error shows.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging import reslice
from sfrt_reader.imaging.reslice import itk_image, needs_resampling, oblique_through_axis, orthogonal_reformat
from sfrt_reader.imaging.volume import Volume
from tests.ui.reformat_phantoms import ellipsoid_ct, uneven_z, voxel_lps

FIELD = np.array([3.0, -2.0, 5.0])  # HU per mm along L, P, S


def _linear_field(volume: Volume) -> Volume:
    lps = voxel_lps(volume.shape, volume.pixel_spacing, volume.row_direction, volume.column_direction, volume.positions)
    volume.array = np.rint(lps @ FIELD).astype(np.int16)
    return volume


def _regular(n: int = 48, yaw: float = 0.0, pitch: float = 0.0, seed: int = 0) -> Volume:
    """An evenly spaced, untilted stack of n x n x 25 voxels (0.9 x 0.9 x 2.5 mm) whose rows and columns are turned
    by `yaw` about z and `pitch` about the row (an oblique acquisition), filled with noise on a 200 HU block so that
    interpolation has something to differ on."""
    cy, sy, cp, sp = (
        np.cos(np.radians(yaw)),
        np.sin(np.radians(yaw)),
        np.cos(np.radians(pitch)),
        np.sin(np.radians(pitch)),
    )
    row = np.array([cy, sy, 0.0])
    col = cp * np.array([-sy, cy, 0.0]) + sp * np.array([0.0, 0.0, -1.0])
    normal = np.cross(row, col)
    first = np.array([4.0, -3.0, 2.0]) - 0.45 * (n - 1) * (row + col) - 12 * 2.5 * normal
    positions = np.array([first + k * 2.5 * normal for k in range(25)])
    rng = np.random.default_rng(seed)
    array = rng.integers(-200, 200, size=(25, n, n)).astype(np.int16)
    array[6:19, 10:38, 12:36] += 200
    return Volume(array, (0.9, 0.9), tuple(row), tuple(col), positions, modality="CT", unit="HU")


def _count_itk_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []
    original = reslice.itk_plane

    def spy(*args: object, **kwargs: object) -> np.ndarray | None:
        out = original(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(out is not None)
        return out

    monkeypatch.setattr(reslice, "itk_plane", spy)
    return calls


@settings(max_examples=25, deadline=None)
@given(
    azimuth=st.floats(0.0, 180.0),
    perpendicular=st.booleans(),
    yaw=st.sampled_from([0.0, 30.0, 180.0]),
    pitch=st.sampled_from([0.0, 20.0, 90.0]),
    offset=st.integers(-6, 6),
)
def test_regular_stack_itk_plane_equals_ours(
    azimuth: float, perpendicular: bool, yaw: float, pitch: float, offset: int
) -> None:
    volume = _regular(yaw=yaw, pitch=pitch)
    assert not needs_resampling(volume) and itk_image(volume) is not None
    centre = np.array([4.0, -3.0, 2.0])
    a = np.radians(azimuth)
    direction = np.array([np.cos(a), np.sin(a), 0.3])
    plane = oblique_through_axis(volume, "oblique", centre - 20 * direction, centre + 20 * direction, perpendicular)
    s = int(np.clip(plane.centre_slice + offset, 0, plane.slice_count - 1))
    fast = plane.resample(s)
    ours = plane.resample_through_index(s)
    assert fast.dtype == ours.dtype == np.int16 and fast.shape == ours.shape == (plane.height, plane.width)
    diff = np.abs(fast.astype(np.int32) - ours.astype(np.int32))
    assert diff.max() <= 1  # float32 against float64 at a rounding tie (x.5, common on axis-aligned planes)
    # without the rounding (a float series), the two interpolations agree to float32 precision
    floats = Volume(
        volume.array.astype(np.float32), volume.pixel_spacing, volume.row_direction, volume.column_direction,
        volume.positions, modality="CT", unit="HU",
    )  # fmt: skip
    same = oblique_through_axis(floats, "oblique", centre - 20 * direction, centre + 20 * direction, perpendicular)
    np.testing.assert_allclose(same.resample(s), same.resample_through_index(s), atol=2e-3)
    assert np.array_equal(fast == -1000, ours == -1000)  # outside the scan (air on CT): the same pixels


def test_regular_stack_uses_itk_and_shows_the_true_field(monkeypatch: pytest.MonkeyPatch) -> None:
    volume = _linear_field(_regular(yaw=25.0, pitch=10.0))
    calls = _count_itk_calls(monkeypatch)
    plane = oblique_through_axis(volume, "oblique", (-15.0, -10.0, -6.0), (18.0, 9.0, 8.0))
    s = plane.centre_slice
    image = plane.extract(None, s)
    assert calls == [True]
    _assert_field(volume, plane, s, image)


@pytest.mark.parametrize(("tilt", "zs"), [(14.0, list(np.arange(-24.0, 24.1, 3.0))), (0.0, uneven_z(-24.0, 0.0, 24.0))])
def test_irregular_stack_keeps_the_true_geometry(monkeypatch: pytest.MonkeyPatch, tilt: float, zs: list[float]) -> None:
    volume = _linear_field(ellipsoid_ct((0, 0, 0), (10, 10, 10), n=48, pixel=0.9, z_positions=zs, tilt_deg=tilt))
    assert needs_resampling(volume) and itk_image(volume) is None
    calls = _count_itk_calls(monkeypatch)
    for plane in (
        oblique_through_axis(volume, "oblique", (-12.0, -8.0, -4.0), (14.0, 6.0, 5.0)),
        orthogonal_reformat(volume, "coronal", "coronal"),
    ):
        s = plane.centre_slice
        image = plane.extract(None, s)
        assert np.array_equal(image, plane.resample_through_index(s))
        _assert_field(volume, plane, s, image)
    assert calls == [False, False]  # asked, and refused: the stack is no ITK grid


def _assert_field(volume: Volume, plane: reslice.ResampledPlane, s: int, image: np.ndarray) -> None:
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
