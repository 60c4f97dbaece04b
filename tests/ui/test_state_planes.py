"""Plane layout, orientation letters and display <-> index mapping, checked against hand-indexed arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sfrt_reader.ui.state import Plane, ViewportState, acquired_plane, direction_letters, orientation_labels
from sfrt_reader.ui.state.planes import ORTHOGONAL_PLANES, plane_positions_mm, slice_geometry
from tests.ui.volumes import axial_ct


def test_acquired_axial_is_shown_as_stored() -> None:
    volume = axial_ct()
    assert acquired_plane(volume) is Plane.AXIAL
    g = slice_geometry(volume, Plane.AXIAL)
    assert (g.slice_axis, g.u_axis, g.v_axis, g.u_flip, g.v_flip) == (2, 0, 1, False, False)
    np.testing.assert_array_equal(g.extract(volume.array, 7), volume.array[7])


def test_coronal_reformat_head_up_patient_right_on_viewer_left() -> None:
    volume = axial_ct()
    g = slice_geometry(volume, Plane.CORONAL)
    assert g.slice_axis == 1 and g.u_axis == 0 and g.v_axis == 2
    # Stack runs towards +z (superior); head up means the last slice is the top row.
    np.testing.assert_array_equal(g.extract(volume.array, 10), volume.array[::-1, 10, :])
    assert (g.width, g.height, g.slice_count) == (48, 20, 64)
    assert (g.spacing_u, g.spacing_v) == (0.8, 5.0)


def test_sagittal_reformat_anterior_on_the_left() -> None:
    volume = axial_ct()
    g = slice_geometry(volume, Plane.SAGITTAL)
    assert g.slice_axis == 0 and g.u_axis == 1 and g.v_axis == 2
    np.testing.assert_array_equal(g.extract(volume.array, 3), volume.array[::-1, :, 3])


def test_flipped_rows_give_mirrored_letters() -> None:
    normal = orientation_labels(ViewportState(axial_ct()))
    assert normal == {"right": "L", "left": "R", "bottom": "P", "top": "A"}
    mirrored = orientation_labels(ViewportState(axial_ct(row=(-1.0, 0.0, 0.0), col=(0.0, 1.0, 0.0))))
    assert mirrored["right"] == "R" and mirrored["left"] == "L"


def test_coronal_letters() -> None:
    state = ViewportState(axial_ct(), Plane.CORONAL)
    assert orientation_labels(state) == {"right": "L", "left": "R", "bottom": "I", "top": "S"}


def test_direction_letters() -> None:
    assert direction_letters((1.0, 0.0, 0.0)) == "L"
    assert direction_letters((0.0, -1.0, 0.0)) == "A"
    assert direction_letters((0.0, 0.0, -1.0)) == "I"
    assert direction_letters((0.8, 0.6, 0.0)) == "LP"
    assert direction_letters((-0.1, 0.0, 0.99)) == "S"


def test_plane_positions_axial_equal_slice_z() -> None:
    volume = axial_ct(z_positions=[0.0, 2.0, 5.0, 9.0])
    g = slice_geometry(volume, Plane.AXIAL)
    np.testing.assert_allclose(plane_positions_mm(volume, g), [0.0, 2.0, 5.0, 9.0])


def test_plane_positions_coronal_are_lps_y() -> None:
    volume = axial_ct()
    g = slice_geometry(volume, Plane.CORONAL)
    # origin y = -30, row spacing 0.8 along +y
    np.testing.assert_allclose(plane_positions_mm(volume, g), -30.0 + 0.8 * np.arange(64))


@given(
    plane=st.sampled_from(ORTHOGONAL_PLANES),
    u=st.floats(0, 40),
    v=st.floats(0, 15),
    s=st.integers(0, 10),
)
def test_display_index_round_trip(plane: Plane, u: float, v: float, s: int) -> None:
    volume = axial_ct()
    g = slice_geometry(volume, plane)
    ijk = g.display_to_index(u, v, s)
    back = g.index_to_display(ijk)
    np.testing.assert_allclose(back, (u, v, s), atol=1e-9)
    # The voxel value at the rounded display pixel is the one extract() shows there.
    ui, vi = round(u), round(v)
    if ui < g.width and vi < g.height and s < g.slice_count:
        i, j, k = (round(float(c)) for c in g.display_to_index(ui, vi, s))
        assert g.extract(volume.array, s)[vi, ui] == volume.array[k, j, i]
