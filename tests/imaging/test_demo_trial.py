"""The written demo trial: valid DICOM, geometry read back with pydicom, truth consistent with the files,
identities present, deterministic output, and the `demo-data` command's behaviour.

One quick trial (`--size 128`) is generated once per session through the command line and shared."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from sfrt_reader.imaging.demo_trial import SUBJECTS, generate_demo_trial, load_mask, visit_specs

SEED = 3


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sfrt_reader", *args], capture_output=True, text=True, env=os.environ, check=False
    )


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "trial"
    proc = _cli("demo-data", str(out), "--size", "128", "--seed", str(SEED), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "3 subjects, 15 series" in proc.stdout
    return out


@pytest.fixture(scope="module")
def truth(trial: Path) -> dict[str, Any]:
    return json.loads((trial / "ground_truth.json").read_text())


def _read_series(folder: Path) -> list[pydicom.Dataset]:
    datasets = [pydicom.dcmread(p) for p in sorted(folder.glob("*.dcm"))]
    normal = np.cross(
        np.array(datasets[0].ImageOrientationPatient[:3], float),
        np.array(datasets[0].ImageOrientationPatient[3:], float),
    )
    return sorted(datasets, key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_scenario_structure(truth: dict[str, Any]) -> None:
    assert truth["schema"] == "sfrt-reader/demo-truth/1"
    subjects = {s["subject"]: s for s in truth["subjects"]}
    assert [s["arm"] for s in truth["subjects"]] == ["SFRT", "CRT", "SFRT"]
    assert subjects["demo-03"]["modalities"] == ["CT", "MR"]
    for s in truth["subjects"]:
        tps = s["timepoints"]
        assert [t["label"] for t in tps] == ["baseline", "3m", "6m", "9m", "12m"]
        rt_end = date.fromisoformat(s["rt_end_date"])
        assert date.fromisoformat(tps[0]["study_date"]) < rt_end
        for t, months in zip(tps[1:], (3, 6, 9, 12), strict=True):
            after = (date.fromisoformat(t["study_date"]) - rt_end).days
            assert abs(after - months * 365.25 / 12) <= 7
        assert all(date.fromisoformat(t["study_date"]) < date.today() for t in tps)  # every visit has happened
        days = [t["day"] for t in tps]
        assert days[0] == 0 and all(b > a for a, b in itertools.pairwise(days))
        assert all(t["lesions"]["T1"]["longest_axial_diameter_mm"] >= 50.0 for t in tps[:1])  # sarcoma >= 5 cm
    assert all("NT1" in t["lesions"] for t in subjects["demo-01"]["timepoints"])
    new = [("N1" in t["lesions"]) for t in subjects["demo-02"]["timepoints"]]
    assert new == [False, False, False, False, True]


def test_dciodvfy_reports_no_errors(trial: Path, truth: dict[str, Any]) -> None:
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (dicom3tools) is not installed")
    samples = []
    for s in truth["subjects"]:
        for t in (s["timepoints"][0], s["timepoints"][-1]):
            files = sorted((trial / t["series_dir"]).glob("*.dcm"))
            samples += [files[0], files[len(files) // 2]]
    for path in samples:
        proc = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
        lines = (proc.stdout + proc.stderr).splitlines()
        errors = [line for line in lines if line.startswith("Error")]
        assert errors == [], f"{path.name}: {errors}"
        assert not [line for line in lines if line.startswith("Warning")], f"{path.name}: {lines}"


def test_dcmdump_reads_the_files(trial: Path, truth: dict[str, Any]) -> None:
    if shutil.which("dcmdump") is None:
        pytest.skip("dcmdump (dcmtk) is not installed")
    t = truth["subjects"][2]["timepoints"][1]
    path = sorted((trial / t["series_dir"]).glob("*.dcm"))[0]
    proc = subprocess.run(["dcmdump", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "MR Image Storage" in proc.stdout or "MRImageStorage" in proc.stdout


def test_geometry_and_values_read_back_with_pydicom(trial: Path, truth: dict[str, Any]) -> None:
    for s in truth["subjects"]:
        for t in s["timepoints"]:
            datasets = _read_series(trial / t["series_dir"])
            nz, ny, nx = t["shape_zyx"]
            assert len(datasets) == nz
            first = datasets[0]
            assert first.Modality == t["modality"]
            assert first.StudyInstanceUID == t["study_instance_uid"]
            assert first.SeriesInstanceUID == t["series_instance_uid"]
            assert first.FrameOfReferenceUID == t["frame_of_reference_uid"]
            assert (first.Rows, first.Columns) == (ny, nx)
            assert [float(v) for v in first.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
            # PixelSpacing is (row spacing, column spacing) = (y, x).
            assert [float(v) for v in first.PixelSpacing] == [t["pixel_spacing_mm"][1], t["pixel_spacing_mm"][0]]
            z = np.array([float(d.ImagePositionPatient[2]) for d in datasets])
            assert z[0] == pytest.approx(t["table_z_origin_mm"])
            assert np.allclose(np.diff(z), t["slice_thickness_mm"])
            assert float(first.SliceThickness) == t["slice_thickness_mm"]
            # Instance 1 is the most superior slice: files are not in position order.
            assert int(datasets[-1].InstanceNumber) == 1
            assert bool(first.ContrastBolusAgent)
            labels, geometry = load_mask(trial / t["mask"])
            assert labels.shape == (nz, ny, nx)
            assert np.allclose(geometry["positions_lps"][:, 2], z)
            slope = float(getattr(first, "RescaleSlope", 1))
            intercept = float(getattr(first, "RescaleIntercept", 0))
            if t["modality"] == "CT":
                assert (slope, intercept) == (1.0, -1024.0)
            image = np.stack([d.pixel_array.astype(np.float64) * slope + intercept for d in datasets])
            for lesion in t["lesions"].values():
                mask = labels == lesion["label_value"]
                assert int(mask.sum()) == lesion["voxels"]
                assert float(image[mask].mean()) == pytest.approx(lesion["mean"], abs=1e-3)
                # Centroid from the written mask and the DICOM geometry (independent of the generator's Volume).
                kk, jj, ii = np.nonzero(mask)
                sx, sy = float(first.PixelSpacing[1]), float(first.PixelSpacing[0])
                x0, y0 = float(first.ImagePositionPatient[0]), float(first.ImagePositionPatient[1])
                centroid = [x0 + ii.mean() * sx, y0 + jj.mean() * sy, float(z[kk].mean())]
                assert centroid == pytest.approx(lesion["centroid_lps"], abs=1e-3)
                k = lesion["axial_slice_index"]
                assert datasets[k].SOPInstanceUID == lesion["sop_instance_uid"]
                line = np.array(lesion["longest_axial_line_lps"])
                assert np.linalg.norm(line[1] - line[0]) == pytest.approx(lesion["longest_axial_diameter_mm"], abs=1e-3)
                assert np.allclose(line[:, 2], z[k])


def test_limb_transform_is_what_the_images_show(truth: dict[str, Any]) -> None:
    """demo-02 keeps its tumour unchanged from baseline to 3 months: the recorded transform must carry the
    baseline mask's centroid onto the 3-month mask's centroid; and every recorded centre follows its transform."""
    crt = truth["subjects"][1]
    b, f = crt["timepoints"][0], crt["timepoints"][1]
    m = np.array(f["limb_transform"]["baseline_lps_to_this_lps"])
    mapped = m @ np.array([*b["lesions"]["T1"]["centroid_lps"], 1.0])
    assert np.linalg.norm(mapped[:3] - np.array(f["lesions"]["T1"]["centroid_lps"])) < 2.0
    for s in truth["subjects"]:
        base_centre = np.array([*s["timepoints"][0]["lesions"]["T1"]["centre_lps"], 1.0])
        for t in s["timepoints"][1:]:
            lt = t["limb_transform"]
            rot = np.array(lt["anatomy_to_lps"])[:3, :3]
            assert np.allclose(rot @ rot.T, np.eye(3), atol=1e-7)  # rigid
            moved = np.array(lt["baseline_lps_to_this_lps"]) @ base_centre
            assert moved[:3] == pytest.approx(t["lesions"]["T1"]["centre_lps"], abs=1e-3)
            shift = np.linalg.norm(moved[:3] - base_centre[:3])
            assert 2.0 < shift < 30.0  # the limb really moved, by a plausible amount


def test_visit_specs_are_the_written_visits(truth: dict[str, Any]) -> None:
    """`visit_specs` (used by in-memory tests of later layers) gives the poses and grids the files were written
    with: the recorded anatomy-to-LPS matrices and table origins, visit by visit."""
    for subject, recorded in zip(SUBJECTS, truth["subjects"], strict=True):
        planned = visit_specs(subject, SEED, 128)
        assert [v.label for v in planned] == [t["label"] for t in recorded["timepoints"]]
        for v, t in zip(planned, recorded["timepoints"], strict=True):
            assert np.allclose(v.spec.pose.matrix, np.array(t["limb_transform"]["anatomy_to_lps"]), atol=1e-7)
            assert v.spec.grid.first_z == pytest.approx(t["table_z_origin_mm"])
            assert v.spec.modality == t["modality"]
            assert list(v.spec.grid.size[::-1]) == t["shape_zyx"]


def test_identities_are_in_the_headers(trial: Path, truth: dict[str, Any]) -> None:
    for s, subject in zip(truth["subjects"], SUBJECTS, strict=True):
        ident = s["identity"]
        for t, accession in zip(s["timepoints"], ident["accession_numbers"], strict=True):
            ds = pydicom.dcmread(sorted((trial / t["series_dir"]).glob("*.dcm"))[0])
            assert str(ds.PatientName) == ident["patient_name"] == subject.identity.name
            assert ds.PatientID == ident["patient_id"]
            assert ds.PatientBirthDate == ident["birth_date"]
            assert ds.PatientSex == ident["sex"]
            assert ds.InstitutionName == ident["institution"]
            assert str(ds.ReferringPhysicianName) == ident["referring_physician"]
            assert ds.AccessionNumber == accession
            assert ds.StudyDate == t["study_date"].replace("-", "")
            born, seen = (
                date.fromisoformat(f"{ds.PatientBirthDate[:4]}-{ds.PatientBirthDate[4:6]}-{ds.PatientBirthDate[6:]}"),
                date.fromisoformat(t["study_date"]),
            )
            years = seen.year - born.year - (1 if (seen.month, seen.day) < (born.month, born.day) else 0)
            assert ds.PatientAge == f"{years:03d}Y"
    names = {s["identity"]["patient_name"] for s in truth["subjects"]}
    assert len(names) == 3


def test_assess_cases_follow_the_truth_and_reach_the_expected_responses(trial: Path, truth: dict[str, Any]) -> None:
    for s in truth["subjects"]:
        case = json.loads((trial / s["assess_case"]).read_text())
        assert case["lesions"][0] == {"id": "T1", "role": "target", "organ": "thigh", "nodal": False}
        tps = case["timepoints"]
        assert [t["label"] for t in tps] == [t["label"] for t in s["timepoints"]]
        sums = []
        for tp, t in zip(tps, s["timepoints"], strict=True):
            lesion = t["lesions"]["T1"]
            assert tp["targets"]["T1"]["diameter_mm"] == round(lesion["longest_axial_diameter_mm"], 1)
            assert tp["modality"] == t["modality"] and tp["day"] == t["day"]
            if t["modality"] == "MR":
                assert tp["targets"]["T1"]["mean_hu"] is None
            else:
                assert tp["targets"]["T1"]["mean_hu"] == round(lesion["mean"], 1)
            assert tp["new_lesions"] == ("yes" if "N1" in t["lesions"] else "no")
            assert ("non_targets" in tp) == ("NT1" in t["lesions"])
            sums.append(Fraction(str(tp["targets"]["T1"]["diameter_mm"])))
        # RECIST 1.1 by hand, from CRITERIA.md: PR at -30% of baseline, PD at +20% and +5 mm over the nadir.
        nadir, expected = sums[0], []
        for tp, d in zip(tps[1:], sums[1:], strict=True):
            if tp["new_lesions"] == "yes" or (d - nadir >= nadir / 5 and d - nadir >= 5):
                expected.append("PD")
            elif sums[0] - d >= sums[0] * 3 / 10:
                expected.append("PR")
            else:
                expected.append("SD")
            nadir = min(nadir, d)
        assert s["expected"]["recist1.1"]["timepoints"] == expected


def test_scenario_responses(truth: dict[str, Any]) -> None:
    exp = {s["subject"]: s["expected"] for s in truth["subjects"]}
    assert exp["demo-01"]["choi"]["timepoints"][0] == "PR"  # density falls first (necrotic lattice vertices)
    assert exp["demo-01"]["recist1.1"]["timepoints"][0] == "SD"
    assert exp["demo-01"]["recist1.1"]["best_overall_response"] == "PR"
    assert exp["demo-02"]["recist1.1"]["timepoints"][:2] == ["SD", "SD"]
    assert exp["demo-02"]["recist1.1"]["progression_day"] == truth["subjects"][1]["timepoints"][3]["day"]
    assert exp["demo-02"]["recist1.1"]["best_overall_response"] == "SD"
    sfrt = truth["subjects"][0]["timepoints"]
    assert sfrt[1]["lesions"]["T1"]["mean"] <= 0.85 * sfrt[0]["lesions"]["T1"]["mean"]


def test_same_seed_gives_byte_identical_files(trial: Path, tmp_path: Path) -> None:
    """A second run (one subject, to keep the test short) writes the very same bytes: DICOM, masks, assess case."""
    generate_demo_trial(tmp_path, seed=SEED, size=128, subjects=("demo-03",))
    again = _hashes(tmp_path / "demo-03")
    assert len(again) == 4 * 50 + 40 + 5 + 1  # 4 MR series of 50 slices, 1 CT of 40, 5 masks, 1 case
    assert again == _hashes(trial / "demo-03")


def test_cli_refuses_bad_output_folders(tmp_path: Path, trial: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    proc = _cli("demo-data", str(a_file))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "is a file" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _cli("demo-data", str(a_file / "trial"))  # cannot be created, even by root
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "cannot create" in proc.stderr
    proc = _cli("demo-data", str(trial), "--size", "128")
    assert proc.returncode == 2 and "not empty" in proc.stderr and "--force" in proc.stderr
    proc = _cli("demo-data", str(tmp_path / "x"), "--size", "100")
    assert proc.returncode == 2  # argparse: invalid choice
    proc = _cli("demo-data", str(tmp_path / "y"), "--seed", "-1")
    assert proc.returncode == 2 and "--seed" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere: permissions cannot be tested")
def test_cli_unwritable_folder_exits_2(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        proc = _cli("demo-data", str(locked / "trial"))
    finally:
        locked.chmod(0o700)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "write" in proc.stderr


def test_catalogue_and_loader_read_the_trial_as_the_truth_says(trial: Path, truth: dict[str, Any]) -> None:
    """End to end with the DICOM-in layer: every series indexes without problems and loads to the true grid and
    values (CT in HU through the rescale, MR as signal)."""
    from sfrt_reader.imaging.catalog import scan
    from sfrt_reader.imaging.loader import load_path

    catalog = scan([trial])
    assert len(catalog.series()) == 15
    assert all(s.usable for s in catalog.series())
    assert len(catalog.patients) == 3
    assert catalog.problems == []
    for s in truth["subjects"]:
        for t in (s["timepoints"][0], s["timepoints"][-1]):
            volume = load_path(trial / t["series_dir"])
            assert volume.shape == tuple(t["shape_zyx"])
            assert volume.modality == t["modality"] and volume.contrast is True
            assert volume.spacing == pytest.approx((*t["pixel_spacing_mm"], t["slice_thickness_mm"]))
            assert volume.origin[2] == pytest.approx(t["table_z_origin_mm"])
            labels, geometry = load_mask(trial / t["mask"])
            assert np.allclose(volume.positions, geometry["positions_lps"])
            for lesion in t["lesions"].values():
                mask = labels == lesion["label_value"]
                assert float(volume.array[mask].astype(np.float64).mean()) == pytest.approx(lesion["mean"], abs=1e-3)
                k = lesion["axial_slice_index"]
                assert volume.sop_instance_uids[k] == lesion["sop_instance_uid"]


def test_criteria_engine_gives_the_expected_responses(trial: Path, truth: dict[str, Any]) -> None:
    """`sfrt-reader assess` on each subject's case reproduces the ground truth's expected responses."""
    for s in truth["subjects"]:
        proc = _cli("assess", str(trial / s["assess_case"]), "--json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        for criteria in ("recist1.1", "choi"):
            got = result[criteria]
            want = s["expected"][criteria]
            assert [t["overall"] for t in got["timepoints"][1:]] == want["timepoints"], (s["subject"], criteria)
            assert got["best_overall_response"] == want["best_overall_response"]
            assert got["progression_day"] == want["progression_day"]
        modalities = [t["modality"] for t in s["timepoints"]]
        evaluable = [t["density_evaluable"] for t in result["choi"]["timepoints"][1:]]
        assert evaluable == [m == "CT" for m in modalities[1:]]


def test_a_seed_that_breaks_the_scenario_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """If a seed's lobulation moved a response across a threshold, the command says so and exits 2."""
    from sfrt_reader import cli
    from sfrt_reader.imaging import demo_trial
    from sfrt_reader.trial import expected

    original = expected.expected_responses

    def shifted(case: dict[str, Any]) -> dict[str, Any]:
        # Pretend the 9-month tumour came out 10% larger than drawn: demo-01 would no longer reach PR then.
        case["timepoints"][3]["targets"]["T1"]["diameter_mm"] *= 1.1
        return original(case)

    monkeypatch.setattr(expected, "expected_responses", shifted)
    monkeypatch.setattr(demo_trial, "SUBJECTS", demo_trial.SUBJECTS[:1])
    code = cli.main(["demo-data", str(tmp_path / "t"), "--size", "128", "--quiet"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "demo-01" in err[0] and "choose another seed" in err[0]
