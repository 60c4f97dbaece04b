"""Index <-> LPS mapping of Volume, including gantry tilt and uneven gaps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.volume import Volume


def _volume(positions: np.ndarray, row=(1.0, 0.0, 0.0), col=(0.0, 1.0, 0.0), spacing=(0.7, 0.9)) -> Volume:
    nz = len(positions)
    return Volume(
        array=np.zeros((nz, 8, 10), dtype=np.int16),
        pixel_spacing=spacing,
        row_direction=row,
        column_direction=col,
        positions=positions,
    )


def test_regular_axial_grid_maps_like_an_affine() -> None:
    positions = np.array([[-10.0, -20.0, 5.0 + 2.5 * k] for k in range(6)])
    vol = _volume(positions)
    assert vol.spacing == pytest.approx((0.7, 0.9, 2.5))
    p = vol.index_to_lps([3, 4, 2])
    assert p == pytest.approx([-10 + 3 * 0.7, -20 + 4 * 0.9, 10.0])
    assert vol.lps_to_index(p) == pytest.approx([3, 4, 2])
    assert vol.tilt_degrees == pytest.approx(0.0)
    assert vol.is_uniform


def test_gantry_tilt_keeps_true_millimetres() -> None:
    # Slice planes 2.0 mm apart along z, each origin shifted 0.5 mm in y: a sheared stack.
    positions = np.array([[0.0, 0.5 * k, 2.0 * k] for k in range(5)])
    vol = _volume(positions, spacing=(1.0, 1.0))
    assert vol.slice_spacing_mm == pytest.approx(2.0)
    assert vol.stack_step_mm == pytest.approx(np.hypot(2.0, 0.5))
    assert vol.tilt_degrees == pytest.approx(np.degrees(np.arctan2(0.5, 2.0)))
    a = vol.index_to_lps([0, 0, 0])
    b = vol.index_to_lps([0, 0, 4])
    assert np.linalg.norm(b - a) == pytest.approx(np.hypot(8.0, 2.0))


def test_uneven_gaps_interpolate_between_true_positions() -> None:
    zs = [0.0, 1.0, 2.0, 9.0, 10.0]
    vol = _volume(np.array([[0.0, 0.0, z] for z in zs]))
    assert not vol.is_uniform
    assert vol.index_to_lps([0, 0, 2.5])[2] == pytest.approx(5.5)
    assert vol.lps_to_index([0, 0, 9.5])[2] == pytest.approx(3.5)
    assert vol.nearest_slice([0, 0, 6.0]) == 3


def test_refuses_unsorted_slices() -> None:
    with pytest.raises(ValueError, match="strictly increase"):
        _volume(np.array([[0, 0, 0.0], [0, 0, 2.0], [0, 0, 1.0]]))


@settings(max_examples=60, deadline=None)
@given(
    angle=st.floats(min_value=-3.0, max_value=3.0),
    tilt=st.floats(min_value=-0.4, max_value=0.4),
    ijk=st.tuples(
        st.floats(min_value=-2, max_value=12),
        st.floats(min_value=-2, max_value=10),
        st.floats(min_value=-1, max_value=6),
    ),
)
def test_round_trip_any_orientation(angle: float, tilt: float, ijk: tuple[float, float, float]) -> None:
    c, s = np.cos(angle), np.sin(angle)
    row = np.array([c, s, 0.0])
    col = np.array([-s * 0.6, c * 0.6, 0.8])
    normal = np.cross(row, col)
    positions = np.array([[3.0, -4.0, 1.0] + k * (2.5 * normal + tilt * col) for k in range(6)])
    vol = _volume(positions, row=tuple(row), col=tuple(col))
    back = vol.lps_to_index(vol.index_to_lps(ijk))
    assert back == pytest.approx(ijk, abs=1e-9)
