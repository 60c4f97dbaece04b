"""Mask outlines and the brush size, without a screen: perimeters counted on simple shapes, cuts in every plane."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.errors import SfrtError
from sfrt_reader.ui.lesion_masks import painted_mask
from sfrt_reader.ui.state.masks import (
    BRUSH_MAX_MM,
    BRUSH_MIN_MM,
    BrushSettings,
    mask_slice,
    outline_length,
    outline_segments,
)
from sfrt_reader.ui.state.planes import ORTHOGONAL_PLANES, Plane, slice_geometry
from tests.ui.volumes import axial_ct


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 6), st.integers(0, 6), st.integers(1, 8), st.integers(1, 8))
def test_a_rectangle_outline_is_its_perimeter_in_four_segments(r: int, c: int, h: int, w: int) -> None:
    mask = np.zeros((16, 16), bool)
    mask[r : r + h, c : c + w] = True
    segments = outline_segments(mask)
    assert len(segments) == 4
    assert outline_length(segments) == 2 * (h + w)
    us = [x for s in segments for x in (s[0], s[2])]
    vs = [y for s in segments for y in (s[1], s[3])]
    assert (min(us), max(us), min(vs), max(vs)) == (c - 0.5, c + w - 0.5, r - 0.5, r + h - 0.5)


def test_a_ring_has_an_inner_and_an_outer_outline() -> None:
    mask = np.zeros((10, 10), bool)
    mask[2:8, 2:8] = True
    mask[4:6, 4:6] = False
    assert outline_length(outline_segments(mask)) == 4 * 6 + 4 * 2
    assert outline_segments(np.zeros((4, 4), bool)) == []


def test_mask_cut_follows_the_plane_layout_of_the_image() -> None:
    volume = axial_ct()
    full = np.zeros(volume.shape, bool)  # [z, y, x]
    full[3, 10:14, 20:30] = True
    for plane in ORTHOGONAL_PLANES:
        g = slice_geometry(volume, plane)
        marker = np.zeros(volume.shape, np.int16)
        marker[full] = 1
        for k in (0, 3, g.slice_count // 2):
            cut = mask_slice(full, g, k)
            assert cut.shape == (g.height, g.width)
            assert np.array_equal(cut, g.extract(marker, k) == 1)  # the same layout as the image shown
    assert not mask_slice(full, slice_geometry(volume, Plane.AXIAL), 10_000).any()


def test_brush_size_steps_geometrically_and_stays_in_range() -> None:
    brush = BrushSettings(5.0)
    assert brush.grow() == pytest.approx(6.0)
    assert brush.grow(-2) == pytest.approx(5.0 / 1.2)
    assert brush.set_radius(1000) == BRUSH_MAX_MM
    assert brush.set_radius(0) == BRUSH_MIN_MM


def test_a_lesion_without_a_mask_gets_the_stroke_as_its_mask() -> None:
    volume = axial_ct()
    centre = volume.index_to_lps(np.array([20.0, 30.0, 4.0]))
    mask = painted_mask(volume, None, np.asarray([centre]), 4.0, erase=False)
    sx, sy = volume.pixel_spacing
    jj, ii = np.mgrid[0 : volume.shape[1], 0 : volume.shape[2]].astype(float)
    disc = ((ii - 20.0) * sx) ** 2 + ((jj - 30.0) * sy) ** 2 <= 16.0 * (1 + 1e-9)
    expected = np.zeros(volume.shape, bool)
    expected[4] = disc
    assert np.array_equal(mask.full_mask(), expected) and mask.method == "brush"
    with pytest.raises(SfrtError, match="no mask to erase"):
        painted_mask(volume, None, np.asarray([centre]), 4.0, erase=True)


def test_on_a_resampled_plane_the_cut_is_the_nearest_voxel_of_each_pixel() -> None:
    from sfrt_reader.imaging.reslice import orthogonal_reformat

    volume = axial_ct()
    full = np.zeros(volume.shape, bool)
    full[3:6, 10:14, 20:30] = True
    # an axial reformat through the volume: pixel centres fall on voxel centres, so the cut is slice k itself
    plane = orthogonal_reformat(volume, Plane.AXIAL, "axial")
    for s in range(plane.slice_count):
        cut = mask_slice(full, plane, s)
        assert cut.shape == (plane.height, plane.width)
        lps = plane.display_to_lps(*np.meshgrid(np.arange(plane.width), np.arange(plane.height)), float(s))
        ijk = np.rint(volume.lps_to_index(lps.reshape(-1, 3))).astype(int)
        ok = np.all((ijk >= 0) & (ijk < np.array(volume.size)), axis=1)
        expected = np.zeros(len(ijk), bool)
        expected[ok] = full[ijk[ok, 2], ijk[ok, 1], ijk[ok, 0]]
        assert np.array_equal(cut.ravel(), expected)
    assert any(mask_slice(full, plane, s).sum() == 40 for s in range(plane.slice_count))
