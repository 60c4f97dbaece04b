"""One-click segmentation of a rim + necrotic core sarcoma phantom on CT and MR, against the true shape."""

from __future__ import annotations

import numpy as np
import pytest

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.measurement.lesion_metrics import SegmentationResult, measure_segmentation
from sfrt_reader.measurement.segmentation import segment_lesion
from tests.measurement.phantoms import sarcoma_phantom


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * (a & b).sum() / (a.sum() + b.sum()))


def _check_against_truth(vol: Volume, seg: LesionSegmentation, truth: np.ndarray) -> SegmentationResult:
    got = measure_segmentation(vol, seg)
    true = measure_segmentation(vol, LesionSegmentation.from_full_mask(vol, truth))
    assert _dice(seg.full_mask(), truth) >= 0.90
    assert abs(got.longest_axial_diameter_mm - true.longest_axial_diameter_mm) <= 2.0
    assert abs(got.volume_ml - true.volume_ml) <= 0.05 * true.volume_ml
    # Density over the TRUE lesion voxels of the same image, computed independently with numpy.
    true_mean = float(vol.array[truth].astype(np.float64).mean())
    tolerance = 3.0 if vol.modality == "CT" else 0.01 * true_mean  # MR: signal units, 1% of the lesion's mean
    assert abs(got.mean - true_mean) <= tolerance
    return got


@pytest.mark.parametrize("modality", ["CT", "MR"])
@pytest.mark.parametrize(("axes", "core"), [((38.0, 26.0, 45.0), 0.55), ((20.0, 15.0, 25.0), 0.4)])
def test_one_click_in_the_necrotic_core(modality: str, axes: tuple[float, float, float], core: float) -> None:
    vol, truth, centre = sarcoma_phantom(modality, axes, core, noise=10.0 if modality == "CT" else 15.0)
    seg = segment_lesion(vol, centre)
    res = _check_against_truth(vol, seg, truth)
    assert res.unit == ("HU" if modality == "CT" else "signal")
    assert seg.seed == tuple(centre)
    assert seg.series_uid == vol.series_instance_uid


def test_one_click_in_the_enhancing_rim() -> None:
    vol, truth, centre = sarcoma_phantom("CT", (38.0, 26.0, 45.0), 0.55)
    t = np.radians(20.0)
    in_rim = centre + 0.8 * 38.0 * np.array([np.cos(t), np.sin(t), 0.0])  # along the long axis, in the rim
    _check_against_truth(vol, segment_lesion(vol, in_rim), truth)


def test_seed_in_muscle_is_refused_with_advice() -> None:
    vol, _, _ = sarcoma_phantom("CT", (20.0, 15.0, 25.0), 0.4)
    muscle = (40.0, 30.0, 0.0)  # postero-medial thigh muscle, far from the tumour
    with pytest.raises(MeasurementError, match="place the seed inside the tumour"):
        segment_lesion(vol, muscle)


def test_seed_in_air_or_outside_the_image_is_refused() -> None:
    vol, _, _ = sarcoma_phantom("CT", (20.0, 15.0, 25.0), 0.4)
    with pytest.raises(MeasurementError, match="place the seed inside the tumour"):
        segment_lesion(vol, (-95.0, -85.0, 0.0))  # air outside the leg
    with pytest.raises(MeasurementError, match="outside the image"):
        segment_lesion(vol, (0.0, 0.0, 500.0))


def test_a_box_bounds_the_segmentation() -> None:
    vol, truth, centre = sarcoma_phantom("MR", (38.0, 26.0, 45.0), 0.55, noise=15.0)
    box = ((centre[0] - 45, centre[1] - 40, centre[2]), (centre[0] + 45, centre[1] + 40, centre[2]))
    seg = segment_lesion(vol, centre, box=box)
    _check_against_truth(vol, seg, truth)
    with pytest.raises(MeasurementError, match="seed lies outside the box"):
        segment_lesion(vol, (centre[0] + 60, centre[1], 0.0), box=box)
    # Inside a box the muscle is a legitimate (if odd) answer: bounded, never the whole limb.
    muscle_box = ((30.0, 20.0, 0.0), (50.0, 40.0, 0.0))
    seg = segment_lesion(vol, (40.0, 30.0, 0.0), box=muscle_box)
    _kk, _jj, ii = np.nonzero(seg.full_mask())
    assert ii.min() >= vol.lps_to_index(np.array(muscle_box[0]))[0] - 1
    assert ii.max() <= vol.lps_to_index(np.array(muscle_box[1]))[0] + 1


def test_a_stroke_across_the_lesion_adds_seeds() -> None:
    vol, truth, centre = sarcoma_phantom("CT", (38.0, 26.0, 45.0), 0.55)
    stroke = [tuple(centre + np.array([dx, 0.0, 0.0])) for dx in (-8.0, -4.0, 0.0, 4.0, 8.0)]
    seg = segment_lesion(vol, centre, stroke=stroke)
    _check_against_truth(vol, seg, truth)
    with pytest.raises(MeasurementError, match=r"stroke point .* outside the image"):
        segment_lesion(vol, centre, stroke=[(0.0, 0.0, 900.0)])
