"""One-click segmentation against the demo trial's ground truth, at every timepoint of every subject.

Targets (issue "Measurement core"): Dice >= 0.90 against the true mask, longest axial diameter within 2 mm, volume
within 5 %, mean HU within 3 HU (CT; on MR the mean is signal intensity and only reported). The click is the
tumour centre recorded in ground_truth.json. Reference from the same run: SimpleITK's textbook seeded
segmentation (curvature flow + ConfidenceConnected) from the same click, Dice only.

    PYTHONPATH=. python bench/segmentation_accuracy.py [DEMO_DIR]

Without DEMO_DIR the demo trial is generated (256 matrix) into a temporary folder first (about two minutes).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _reference_dice(volume: Any, seed_lps: list[float], truth: np.ndarray) -> float:
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(np.asarray(volume.array, dtype=np.float32))
    image.SetSpacing((*volume.pixel_spacing, volume.slice_spacing_mm))
    i, j, k = (round(float(c)) for c in volume.lps_to_index(np.asarray(seed_lps)))
    smooth = sitk.CurvatureFlow(image, timeStep=0.125, numberOfIterations=5)
    mask = sitk.ConfidenceConnected(
        smooth, seedList=[(i, j, k)], numberOfIterations=2, multiplier=2.5, initialNeighborhoodRadius=2, replaceValue=1
    )
    m = sitk.GetArrayFromImage(mask).astype(bool)
    return float(2 * (m & truth).sum() / (m.sum() + truth.sum()))


def evaluate(root: Path) -> int:
    from sfrt_reader.imaging import load_path
    from sfrt_reader.measurement.errors import MeasurementError
    from sfrt_reader.measurement.lesion_metrics import measure_segmentation
    from sfrt_reader.measurement.segmentation import segment_lesion

    truth_doc = json.loads((root / "ground_truth.json").read_text())
    met = total = 0
    print(
        f"{'subject':8} {'visit':8} {'mod':3} {'Dice':>6} {'LD mm (true)':>15} {'vol %':>7} {'mean (true)':>17} "
        f"{'time s':>6} {'ref Dice':>8}  targets"
    )
    for subject in truth_doc["subjects"]:
        for tp in subject["timepoints"]:
            total += 1
            lesion = tp["lesions"]["T1"]
            volume = load_path(root / tp["series_dir"])
            truth = np.load(root / tp["mask"])["labels"] == lesion["label_value"]
            t0 = time.perf_counter()
            try:
                seg = segment_lesion(volume, lesion["centre_lps"])
            except MeasurementError as error:
                print(f"{subject['subject']:8} {tp['label']:8} {tp['modality']:3} refused: {error}")
                continue
            seconds = time.perf_counter() - t0
            res = measure_segmentation(volume, seg)
            mask = seg.full_mask()
            dice = float(2 * (mask & truth).sum() / (mask.sum() + truth.sum()))
            d_ld = res.longest_axial_diameter_mm - lesion["longest_axial_diameter_mm"]
            d_vol = res.volume_ml / lesion["volume_ml"] - 1
            d_mean = res.mean - lesion["mean"]
            checks = [dice >= 0.90, abs(d_ld) <= 2.0, abs(d_vol) <= 0.05]
            if tp["modality"] == "CT":
                checks.append(abs(d_mean) <= 3.0)
            ok = all(checks)
            met += ok
            ref = _reference_dice(volume, lesion["centre_lps"], truth)
            print(
                f"{subject['subject']:8} {tp['label']:8} {tp['modality']:3} {dice:6.3f} "
                f"{res.longest_axial_diameter_mm:6.1f} ({lesion['longest_axial_diameter_mm']:5.1f}) "
                f"{100 * d_vol:+6.1f}% "
                f"{res.mean:7.1f} ({lesion['mean']:6.1f}) {res.unit:6} {seconds:5.1f} {ref:8.3f}  "
                f"{'MET' if ok else 'NOT MET'}"
            )
    print(f"\n{met} of {total} timepoints meet every target")
    return 0


def main() -> int:
    if len(sys.argv) > 1:
        return evaluate(Path(sys.argv[1]))
    from sfrt_reader.imaging.demo_trial import generate_demo_trial

    with tempfile.TemporaryDirectory() as tmp:
        generate_demo_trial(Path(tmp), seed=0, size=256)
        return evaluate(Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
