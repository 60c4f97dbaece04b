"""`sfrt-reader measure` through the real command line, on DICOM files written to disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sfrt_reader.imaging import load_path
from sfrt_reader.imaging.dicom_write import PatientIdentity, SeriesHeader, write_series
from tests.measurement.phantoms import sarcoma_phantom

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = PatientIdentity(
    name="QUIGLEY^HORTENSE",
    patient_id="MRN-55120-ZZ",
    birth_date="19550101",
    sex="F",
    institution="Saint Nowhere Infirmary",
    institution_address="1 Test Lane",
    referring_physician="DOE^JANE",
    weight_kg=70.0,
    height_m=1.70,
)


def _header(series_uid: str, modality: str, number: int) -> SeriesHeader:
    return SeriesHeader(
        patient=IDENTITY,
        study_instance_uid="1.2.826.0.1.3680043.8.498.77",
        series_instance_uid=series_uid,
        frame_of_reference_uid="1.2.826.0.1.3680043.8.498.78",
        study_date="20260101",
        study_time="101500",
        accession_number="ACC99120",
        study_id="1",
        study_description="THIGH",
        series_description=f"{modality} test",
        series_number=number,
        patient_age="070Y",
        station_name="ST1",
        manufacturer="TEST",
        model_name="TEST",
        contrast_agent="IOHEXOL" if modality == "CT" else "GADOTERATE",
    )


CT_UID = "1.2.826.0.1.3680043.8.498.101"
MR_UID = "1.2.826.0.1.3680043.8.498.102"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("measure")
    ct, ct_truth, centre = sarcoma_phantom("CT", (30.0, 22.0, 35.0), 0.5)
    mr, _, _ = sarcoma_phantom("MR", (30.0, 22.0, 35.0), 0.5, noise=15.0)
    write_series(ct, _header(CT_UID, "CT", 3), root / "ct")
    write_series(mr, _header(MR_UID, "MR", 9), root / "mr")
    return {"root": root, "ct_dir": root / "ct", "truth": ct_truth, "centre": centre, "phantom": ct}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sfrt_reader", "measure", *args],
        capture_output=True,
        text=True,
        env=os.environ,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def _csv(*values: float) -> str:
    return ",".join(f"{v:g}" for v in values)


@pytest.mark.parametrize("glued", [False, True])
def test_line_with_negative_coordinates_in_both_spellings(study: dict, glued: bool) -> None:
    a = (-20.5, -31.0, -4.7)
    b = (12.25, 18.0, -4.7)
    value = _csv(*a, *b)
    args = [f"--line={value}"] if glued else ["--line", value]
    done = _cli(str(study["ct_dir"]), *args, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"length_mm"}
    assert out["length_mm"] == pytest.approx(float(np.hypot(32.75, 49.0)), abs=0.01)


@pytest.mark.parametrize("glued", [False, True])
def test_circle_statistics_equal_numpy_on_the_loaded_pixels(study: dict, glued: bool) -> None:
    c = study["centre"] + np.array([-10.0, 3.0, 1.0])  # 1 mm off slice plane: nearest slice is used
    value = _csv(*c, 6.0)
    args = [f"--circle={value}"] if glued else ["--circle", value]
    done = _cli(str(study["root"]), "--series", CT_UID, *args, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {"mean", "sd", "median", "min", "max", "pixels", "area_mm2", "unit"}
    vol = load_path(study["ct_dir"])
    k = round(float(vol.lps_to_index(c)[2]))
    centre_on_slice = vol.lps_to_index(c)
    jj, ii = np.mgrid[0 : vol.shape[1], 0 : vol.shape[2]]
    sx, sy = vol.pixel_spacing
    sel = ((ii - centre_on_slice[0]) * sx) ** 2 + ((jj - centre_on_slice[1]) * sy) ** 2 <= 36.0
    values = vol.array[k][sel].astype(float)
    assert out["pixels"] == sel.sum()
    assert out["mean"] == pytest.approx(values.mean(), abs=1e-9)
    assert out["sd"] == pytest.approx(values.std(), abs=1e-9)
    assert out["median"] == pytest.approx(np.median(values))
    assert out["area_mm2"] == pytest.approx(sel.sum() * sx * sy)
    assert out["unit"] == "HU"


def test_seed_gives_the_lesion_with_the_listed_keys(study: dict) -> None:
    c = study["centre"]
    done = _cli(str(study["ct_dir"]), "--seed", _csv(*c), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {
        "volume_ml",
        "mean",
        "sd",
        "unit",
        "longest_axial_diameter_mm",
        "short_axis_mm",
        "max_3d_diameter_mm",
        "longest_axial_line",
        "short_axis_line",
        "voxels",
    }
    truth = study["truth"]
    vol = study["phantom"]
    true_ml = truth.sum() * vol.voxel_volume_mm3 / 1000
    assert out["volume_ml"] == pytest.approx(true_ml, rel=0.05)
    assert out["unit"] == "HU"
    (a, b) = out["longest_axial_line"]
    assert float(np.linalg.norm(np.subtract(a, b))) == pytest.approx(out["longest_axial_diameter_mm"], abs=1e-6)
    assert len(out["short_axis_line"]) == 2


def test_mr_series_reports_signal_and_text_output(study: dict) -> None:
    c = study["centre"]
    done = _cli(str(study["root"]), "--series", MR_UID, "--circle", _csv(*c, 5.0))
    assert done.returncode == 0, done.stderr
    assert "MR signal intensity, not HU" in done.stdout
    assert done.stdout.startswith("mean: ")


def test_errors_are_one_line_without_identifiers(study: dict) -> None:
    outside = _cli(str(study["ct_dir"]), "--seed", "-12.5,30,900")
    wrong_count = _cli(str(study["ct_dir"]), "--line", "1,2,3")
    not_numbers = _cli(str(study["ct_dir"]), "--circle", "1,2,x,4")
    for done, words in (
        (outside, "outside the image"),
        (wrong_count, "--line expects 6 numbers"),
        (not_numbers, "--circle expects X,Y,Z,R"),
    ):
        assert done.returncode == 2, done.stdout
        assert words in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert "Traceback" not in done.stderr
        for secret in ("QUIGLEY", "HORTENSE", "MRN-55120-ZZ", "19550101", "Saint Nowhere", "ACC99120"):
            assert secret not in done.stderr


def test_a_folder_with_two_series_asks_for_one(study: dict) -> None:
    done = _cli(str(study["root"]), "--line", "0,0,0,10,0,0")
    assert done.returncode == 2
    first = done.stderr.splitlines()[0]
    assert "pick one with --series" in first  # the loader then lists the series, one a line
    assert CT_UID in done.stderr and MR_UID in done.stderr
    for secret in ("QUIGLEY", "HORTENSE", "MRN-55120-ZZ", "19550101", "Saint Nowhere", "ACC99120"):
        assert secret not in done.stderr
