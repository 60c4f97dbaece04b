"""Whole-lesion numbers on shapes of known size: spheres, cylinders and ellipsoids on awkward grids."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import SimpleITK as sitk

from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.lesion_mask import LesionSegmentation, brush_edit
from sfrt_reader.measurement.lesion_metrics import SegmentationResult, measure_segmentation
from sfrt_reader.measurement.lines import Bidimensional
from tests.measurement.phantoms import lps_of, make_volume, oblique_directions

SHAPE = (24, 110, 120)


def _positions(geo: dict) -> np.ndarray:
    kk, jj, ii = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1], 0 : SHAPE[2]].astype(float)
    o = lps_of(0, 0, 0, **geo)
    di = lps_of(1, 0, 0, **geo) - o
    dj = lps_of(0, 1, 0, **geo) - o
    dk = lps_of(0, 0, 1, **geo) - o
    return o + ii[..., None] * di + jj[..., None] * dj + kk[..., None] * dk


def _phantom(geo: dict, inside: np.ndarray, hu_in: int = 60, hu_out: int = -100, modality: str = "CT"):
    rng = np.random.default_rng(3)
    array = np.where(inside, hu_in, hu_out).astype(np.int16) + rng.integers(-20, 21, SHAPE).astype(np.int16)
    vol = make_volume(array, modality=modality, **geo)
    seg = LesionSegmentation.from_full_mask(vol, inside, method="test")
    return vol, seg, array


def _sphere(geo: dict, centre_ijk: tuple[float, float, float], radius: float):
    p = _positions(geo)
    c = lps_of(*centre_ijk, **geo)
    return ((p - c) ** 2).sum(axis=-1) <= radius * radius


GEOMETRIES = {
    "anisotropic_5mm": dict(pixel_spacing=(0.7, 0.9), slice_gap=5.0),
    "oblique": dict(pixel_spacing=(0.8, 0.8), slice_gap=2.5, row=oblique_directions()[0], col=oblique_directions()[1]),
    "tilted": dict(pixel_spacing=(0.75, 0.75), slice_gap=2.5, tilt_degrees=18.5),
}


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_sphere_diameters_volume_and_mean(name: str) -> None:
    geo = GEOMETRIES[name]
    radius = 25.0
    inside = _sphere(geo, (60.3, 55.6, 12.0), radius)  # centre on slice 12's plane
    vol, seg, array = _phantom(geo, inside)
    res = measure_segmentation(vol, seg)
    pixel = max(geo["pixel_spacing"])  # type: ignore[arg-type]
    assert 2 * radius - pixel <= res.longest_axial_diameter_mm <= 2 * radius + 1e-9
    assert 2 * radius - pixel <= res.short_axis_mm <= res.longest_axial_diameter_mm
    assert 2 * radius - pixel <= res.max_3d_diameter_mm <= 2 * radius + 1e-9
    assert res.longest_axial.ref.sop_instance_uid == vol.sop_instance_uids[12]
    # Volume: the voxel count times the voxel volume (uniform stack), and close to 4/3 pi r^3.
    expected_ml = inside.sum() * geo["pixel_spacing"][0] * geo["pixel_spacing"][1] * geo["slice_gap"] / 1000  # type: ignore[index]
    assert res.volume_ml == pytest.approx(expected_ml, rel=1e-12)
    assert res.volume_ml == pytest.approx(4 / 3 * math.pi * radius**3 / 1000, rel=0.03)
    values = array[inside].astype(float)
    assert res.mean == pytest.approx(values.mean(), abs=1e-9)
    assert res.sd == pytest.approx(values.std(), abs=1e-9)
    assert res.unit == "HU" and res.is_hu and res.voxels == inside.sum()


def test_short_axis_is_perpendicular_and_crosses_the_long_axis() -> None:
    geo = GEOMETRIES["oblique"]
    p = _positions(geo)
    c = lps_of(60, 55, 12, **geo)
    row = np.asarray(geo["row"])
    col = np.asarray(geo["col"])
    d = p - c
    u = d @ (np.cos(0.4) * row + np.sin(0.4) * col)
    w = d @ (-np.sin(0.4) * row + np.cos(0.4) * col)
    n = d @ np.cross(row, col)
    inside = (u / 35) ** 2 + (w / 20) ** 2 + (n / 25) ** 2 <= 1  # ellipsoid turned 23 degrees in-plane
    vol, seg, _ = _phantom(geo, inside)
    res = measure_segmentation(vol, seg)
    assert abs(res.longest_axial.direction @ res.short_axis.direction) < 1e-9
    bd = Bidimensional(res.longest_axial, res.short_axis)  # refuses a short axis that does not cross
    assert 70 - 0.8 <= bd.long_mm <= 70 + 1e-9
    # Centres within one-pixel strips across a diagonal direction: up to two pixels short, never longer.
    assert 40 - 2 * 0.8 <= bd.short_mm <= 40 + 1e-9


def test_cylinder_3d_diameter_matches_formula() -> None:
    geo = GEOMETRIES["anisotropic_5mm"]
    p = _positions(geo)
    c = lps_of(60, 55, 0, **geo)
    radius = 20.0
    d = p - c
    inside = (d[..., 0] ** 2 + d[..., 1] ** 2 <= radius**2) & (d[..., 2] >= 2 * 5.0) & (d[..., 2] <= 17 * 5.0)
    vol, seg, _ = _phantom(geo, inside)
    res = measure_segmentation(vol, seg)
    pixel = 0.9
    assert 2 * radius - pixel <= res.longest_axial_diameter_mm <= 2 * radius + 1e-9
    height = 15 * 5.0  # centres of slices 2 and 17
    true_3d = math.hypot(2 * radius, height)
    assert true_3d - pixel <= res.max_3d_diameter_mm <= true_3d + 1e-9


def test_3d_diameter_equals_simpleitk_feret_on_an_axis_aligned_grid() -> None:
    geo = dict(pixel_spacing=(0.7, 0.9), slice_gap=3.0)
    p = _positions(geo)
    c = lps_of(55, 50, 11, **geo)
    d = p - c
    inside = (d[..., 0] / 30) ** 2 + (d[..., 1] / 18) ** 2 + (d[..., 2] / 22) ** 2 <= 1
    vol, seg, _ = _phantom(geo, inside)
    image = sitk.GetImageFromArray(inside.astype(np.uint8))
    image.SetSpacing((0.7, 0.9, 3.0))
    shape = sitk.LabelShapeStatisticsImageFilter()
    shape.ComputeFeretDiameterOn()
    shape.Execute(image)
    assert measure_segmentation(vol, seg).max_3d_diameter_mm == pytest.approx(shape.GetFeretDiameter(1), abs=1e-6)


def test_uneven_slice_gaps_weight_the_volume() -> None:
    array = np.zeros((4, 20, 20), dtype=np.int16)
    mask = np.zeros_like(array, dtype=bool)
    mask[:, 5:15, 5:15] = True
    positions = np.array([[0, 0, z] for z in (0.0, 2.0, 6.0, 8.0)], dtype=float)
    from sfrt_reader.imaging.volume import Volume

    vol = Volume(array, (1.0, 1.0), (1, 0, 0), (0, 1, 0), positions, series_instance_uid="1.2.3")
    res = measure_segmentation(vol, LesionSegmentation.from_full_mask(vol, mask))
    # Slice shares along the normal: 2, 3, 3, 2 mm (half the gaps to each neighbour) -> 100 px * 10 mm.
    assert res.volume_ml == pytest.approx(100 * (2 + 3 + 3 + 2) / 1000)


def test_mr_mask_statistics_are_signal() -> None:
    geo = GEOMETRIES["anisotropic_5mm"]
    vol, seg, _ = _phantom(geo, _sphere(geo, (60, 55, 12), 15.0), hu_in=800, hu_out=300, modality="MR")
    res = measure_segmentation(vol, seg)
    assert res.unit == "signal" and not res.is_hu
    assert res.summary()["unit"] == "signal"


def test_segmentation_and_result_round_trip_compactly() -> None:
    geo = GEOMETRIES["tilted"]
    vol, seg, _ = _phantom(geo, _sphere(geo, (60, 55, 12), 20.0))
    res = measure_segmentation(vol, seg)
    text = json.dumps(res.to_dict())
    back = SegmentationResult.from_dict(json.loads(text))
    assert back == res
    assert np.array_equal(back.segmentation.full_mask(), seg.full_mask())
    assert len(json.dumps(seg.to_dict())) < seg.mask.size / 8 * 1.4 + 400  # packed bits, base64
    bad = seg.to_dict()
    bad["voxels"] += 1
    with pytest.raises(MeasurementError, match="voxels"):
        LesionSegmentation.from_dict(bad)
    truncated = dict(seg.to_dict(), bits=seg.to_dict()["bits"][:-8])
    with pytest.raises(MeasurementError, match="bytes"):
        LesionSegmentation.from_dict(truncated)


def test_empty_or_misplaced_masks_are_refused() -> None:
    geo = GEOMETRIES["anisotropic_5mm"]
    vol = make_volume(np.zeros(SHAPE, np.int16), **geo)  # type: ignore[arg-type]
    with pytest.raises(MeasurementError, match="empty"):
        LesionSegmentation.from_full_mask(vol, np.zeros(SHAPE, bool))
    with pytest.raises(MeasurementError, match="does not fit"):
        LesionSegmentation("1.2", SHAPE, (20, 0, 0), np.ones((5, 2, 2), bool))


def test_brush_adds_a_disc_on_one_slice_and_erases_a_sphere() -> None:
    geo = GEOMETRIES["anisotropic_5mm"]
    vol, seg, _ = _phantom(geo, _sphere(geo, (60, 55, 12), 15.0))
    p = _positions(geo)
    centre = lps_of(85.0, 55.0, 12.0, **geo)  # on the sphere's right edge, slice 12
    added = brush_edit(vol, seg, centre, 6.0, "add", "disc")
    disc = np.zeros(SHAPE, bool)
    disc[12] = ((p[12] - centre) ** 2).sum(axis=-1) <= 36.0 + 1e-9
    assert np.array_equal(added.full_mask(), seg.full_mask() | disc)
    assert added.method == "test + brush edits"
    hole_centre = lps_of(60.0, 55.0, 12.0, **geo)
    erased = brush_edit(vol, added, hole_centre, 7.0, "erase", "sphere")
    ball = ((p - hole_centre) ** 2).sum(axis=-1) <= 49.0 + 1e-9  # boundary inclusive (10 columns of 0.7 mm)
    assert np.array_equal(erased.full_mask(), added.full_mask() & ~ball)
    assert added != seg and erased != added
    with pytest.raises(MeasurementError, match="removed the whole lesion"):
        brush_edit(vol, seg, hole_centre, 40.0, "erase", "sphere")
    with pytest.raises(MeasurementError, match="outside the image"):
        brush_edit(vol, seg, lps_of(500, 0, 0, **geo), 3.0, "add")
    with pytest.raises(MeasurementError, match="positive"):
        brush_edit(vol, seg, centre, -1.0, "add")
