"""One click on every demo timepoint against the demo trial's ground truth (issue "Measurement core", accuracy).

The demo trial is generated once per session at 256 x 256 (the size `sfrt-reader demo` uses by default). The
click is the tumour's centre (`centre_lps` in ground_truth.json, the model centre, checked to lie inside the true
mask), as a reader clicks the middle of the tumour. Limits: Dice >= 0.90 against the true mask, longest axial
diameter within 2 mm, volume within 5 %, and on CT the mean within 3 HU; on MR the mean is signal intensity,
flagged as such (unit "signal", not HU), and has no HU limit. Timepoints where the method is known not to meet
every limit yet are marked xfail(strict): the test fails the day they start passing, so the list (and the
README's table) is kept true.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sfrt_reader.imaging import load_path
from sfrt_reader.imaging.demo_trial import SUBJECTS, TIMEPOINT_LABELS, generate_demo_trial
from sfrt_reader.measurement.lesion_metrics import measure_segmentation
from sfrt_reader.measurement.segmentation import segment_lesion

SIZE = 256
DICE_MIN = 0.90
DIAMETER_MM = 2.0
VOLUME_FRACTION = 0.05
MEAN_HU = 3.0

# Measured at 256 (bench/segmentation_accuracy.py); the README's table gives each one's numbers.
KNOWN_SHORT: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="session")
def demo_trial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo_segmentation")
    generate_demo_trial(out, seed=0, size=SIZE)
    return out, json.loads((out / "ground_truth.json").read_text())


def _cases() -> list[Any]:
    cases = []
    for subject in SUBJECTS:
        for label in TIMEPOINT_LABELS:
            reason = KNOWN_SHORT.get((subject.code, label))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(subject.code, label, marks=marks, id=f"{subject.code}-{label}"))
    return cases


@pytest.mark.slow
@pytest.mark.parametrize(("code", "label"), _cases())
def test_one_click_meets_the_accuracy_limits(demo_trial: tuple[Path, dict[str, Any]], code: str, label: str) -> None:
    root, truth = demo_trial
    subject = next(s for s in truth["subjects"] if s["subject"] == code)
    tp = next(t for t in subject["timepoints"] if t["label"] == label)
    lesion = tp["lesions"]["T1"]
    volume = load_path(root / tp["series_dir"])
    true_mask = np.load(root / tp["mask"])["labels"] == lesion["label_value"]
    # The click: the tumour's centre, checked here to lie inside the true mask (a click on the tumour).
    i, j, k = (round(float(c)) for c in volume.lps_to_index(np.asarray(lesion["centre_lps"], dtype=float)))
    assert true_mask[k, j, i]

    result = measure_segmentation(volume, segment_lesion(volume, lesion["centre_lps"]))

    mask = result.segmentation.full_mask()
    dice = 2.0 * float((mask & true_mask).sum()) / float(mask.sum() + true_mask.sum())
    true_ml = float(true_mask.sum()) * volume.pixel_spacing[0] * volume.pixel_spacing[1] * volume.slice_spacing_mm / 1e3
    assert lesion["volume_ml"] == pytest.approx(true_ml, abs=1e-4)  # the truth file (0.0001 mL) and the mask agree
    problems = []
    if dice < DICE_MIN:
        problems.append(f"Dice {dice:.3f} < {DICE_MIN}")
    if abs(result.longest_axial_diameter_mm - lesion["longest_axial_diameter_mm"]) > DIAMETER_MM:
        problems.append(f"diameter {result.longest_axial_diameter_mm:.1f} vs {lesion['longest_axial_diameter_mm']}")
    if abs(result.volume_ml / lesion["volume_ml"] - 1.0) > VOLUME_FRACTION:
        problems.append(f"volume {result.volume_ml:.1f} mL vs {lesion['volume_ml']:.1f}")
    if tp["modality"] == "CT":
        assert (result.unit, result.is_hu) == ("HU", True)
        if abs(result.mean - lesion["mean"]) > MEAN_HU:
            problems.append(f"mean {result.mean:.1f} HU vs {lesion['mean']:.1f}")
    else:
        assert (result.unit, result.is_hu) == ("signal", False)
        assert lesion["unit"] == "signal"
    assert not problems, "; ".join(problems)
