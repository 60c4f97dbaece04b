"""Import of a subject's DICOM folder: timepoint assignment, identity check, PS3.15 de-identified copies."""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from sfrt_reader.cli import main
from sfrt_reader.imaging.deidentify import remap_uid, shift_date, shift_datetime
from sfrt_reader.reading import ReadingService, open_database
from tests.imaging.dicom_factory import (
    ACCESSION,
    BIRTH_DATE,
    INSTITUTION,
    PATIENT_ID,
    PATIENT_NAME,
    SeriesSpec,
    write_series,
)
from tests.reading.dicom_leaks import leaks

STUDIES = {"baseline": "20251220", "3m": "20260428", "odd": "20260301"}


def sfrt(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    sys.stdin = io.StringIO("")
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """One patient, three CT studies (baseline, 3 months, and one outside every window) plus a burned-in series."""
    root = tmp_path / f"{PATIENT_NAME.replace('^', ' ')}"  # clinical media name folders after the patient
    uids: dict[str, str] = {}
    for label, day in STUDIES.items():
        uids[label] = generate_uid()
        spec = SeriesSpec(
            n=4,
            study_uid=uids[label],
            extra={"StudyDate": day, "AcquisitionDate": day, "ContrastBolusAgent": "Iohexol", "SeriesDate": day},
        )
        write_series(root / label / "ct", spec)
    burned = SeriesSpec(
        n=3,
        study_uid=uids["baseline"],
        series_number=99,
        description="dose report screenshot",
        extra={"StudyDate": STUDIES["baseline"], "BurnedInAnnotation": "YES"},
    )
    write_series(root / "baseline" / "capture", burned)
    return root, uids


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "trial.sqlite")
    for argv in (
        ["trial", "init", "--protocol", "NCT06980259", "--paradigm", "central"],
        ["site", "add", "SD01", "--name", "Site"],
        ["subject", "add", "P-007", "--site", "SD01", "--rt-end", "2026-01-31", "--rt-start", "2026-01-05"],
    ):
        assert sfrt(capsys, *argv, "--db", path)[0] == 0
    return path


def test_shift_helpers() -> None:
    assert shift_date("20260105", -400) == (date(2026, 1, 5) - timedelta(days=400)).strftime("%Y%m%d")
    assert shift_date("2026", 3) == ""  # partial dates are emptied, not guessed
    assert shift_datetime("20260105101700.5+0800", 1) == "20260106101700.5+0800"
    assert remap_uid("1.2.3", "a") == remap_uid("1.2.3", "a") != remap_uid("1.2.3", "b")
    assert remap_uid("1.2.3", "a").startswith("2.25.")


def test_import_assigns_timepoints_and_writes_deidentified_copies(
    folder: tuple[Path, dict[str, str]], db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, uids = folder
    out_dir = tmp_path / "deid"
    code, out, err = sfrt(capsys, "import", str(root), "--subject", "P-007", "--deidentify", str(out_dir), "--db", db)
    assert code == 0, err
    lines = out.splitlines()
    assert "-> baseline" in lines[0] or any("-> baseline" in x for x in lines)
    assert any("-> 3m" in x for x in lines)
    assert any("-> UNASSIGNED: a study on day +29 from RT end falls in no protocol window" in x for x in lines)
    assert "12 de-identified file(s) written" in out
    assert out.count("not copied:") == 3 and "BurnedInAnnotation is YES" in out
    for identifier in (PATIENT_NAME, PATIENT_ID, "Testperson", ACCESSION, INSTITUTION, BIRTH_DATE, "20251220"):
        assert identifier not in out + err

    service = ReadingService(open_database(db))
    secret, shift = service.subject_secrets("P-007")
    assert -5 * 365 <= shift <= -365
    files = sorted(out_dir.rglob("*.dcm"))
    assert len(files) == 12
    forbidden = [PATIENT_NAME, PATIENT_ID, ACCESSION, INSTITUTION, BIRTH_DATE, "Testperson"]
    forbidden += [*STUDIES.values(), *uids.values()]
    # The detector finds every one of them in an original file.
    original = next(root.glob("baseline/ct/*.dcm"))
    assert set(leaks(original, forbidden)) == {
        PATIENT_NAME,
        "Testperson",
        PATIENT_ID,
        ACCESSION,
        INSTITUTION,
        BIRTH_DATE,
        STUDIES["baseline"],
        uids["baseline"],
    }
    by_study: dict[str, set[str]] = {}
    for path in files:
        assert leaks(path, forbidden) == []
        ds = pydicom.dcmread(path)
        assert str(ds.PatientName) == "P-007" and ds.PatientID == "P-007"
        assert ds.get("PatientBirthDate", "") == "" and ds.PatientIdentityRemoved == "YES"
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
        assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100", "113107"]
        assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
        original = next(label for label, uid in uids.items() if remap_uid(uid, secret) == ds.StudyInstanceUID)
        expected_day = date.fromisoformat(
            f"{STUDIES[original][:4]}-{STUDIES[original][4:6]}-{STUDIES[original][6:]}"
        ) + timedelta(days=shift)
        assert ds.StudyDate == expected_day.strftime("%Y%m%d") == ds.AcquisitionDate
        assert "PixelData" in ds and ds.pixel_array.shape == (16, 20)
        by_study.setdefault(ds.StudyInstanceUID, set()).add(ds.FrameOfReferenceUID)
        assert path.parent.name == ds.SeriesInstanceUID and path.parent.parent.name == ds.StudyInstanceUID
    assert len(by_study) == 3 and all(len(f) == 1 for f in by_study.values())

    # Importing again maps every UID and date the same way.
    first = {p.relative_to(out_dir) for p in files}
    code, out, _ = sfrt(capsys, "import", str(root), "--subject", "P-007", "--deidentify", str(out_dir), "--db", db)
    assert code == 0 and out.count("(known)") == 3
    assert {p.relative_to(out_dir) for p in out_dir.rglob("*.dcm")} == first

    # The study outside every window is assigned by hand, with its reason in the audit trail.
    code, out, _ = sfrt(capsys, "subject", "list", "--db", db)
    odd = next(x for x in out.splitlines() if "UNASSIGNED" in x)
    number = odd.split("study ")[1].split(":")[0]
    assert "day +29 from RT end" in odd
    code, _, err = sfrt(
        capsys,
        "assign",
        "--subject",
        "P-007",
        "--study",
        number,
        "--timepoint",
        "3m",
        "--reason",
        "unscheduled scan",
        "--db",
        db,
    )
    assert code == 0, err
    events = service.audit_events()
    assert events[-1]["action"] == "assign" and events[-1]["reason"] == "unscheduled scan"
    assert events[-1]["after"] == {"timepoint": "3m", "assignment": "manual"}


def test_folder_of_another_patient_is_refused(
    folder: tuple[Path, dict[str, str]], db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        sfrt(
            capsys,
            "subject",
            "add",
            "P-008",
            "--site",
            "SD01",
            "--rt-end",
            "2026-01-31",
            "--patient-id",
            "ZL999",
            "--db",
            db,
        )[0]
        == 0
    )
    code, out, err = sfrt(capsys, "import", str(folder[0]), "--subject", "P-008", "--db", db)
    assert (code, out) == (2, "")
    assert "differs from the one recorded for subject P-008" in err
    assert PATIENT_ID not in err and "ZL999" not in err


def test_deidentified_copy_adds_no_dciodvfy_error(tmp_path: Path) -> None:
    """dciodvfy (dicom3tools) reports on the copy exactly the errors it reports on the original, no new one."""
    import shutil
    import subprocess

    from sfrt_reader.imaging.deidentify import deidentify_file

    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (dicom3tools) is not installed")
    [source] = write_series(tmp_path / "in", SeriesSpec(n=1, extra={"StudyDate": "20251220"}))
    result = deidentify_file(source, tmp_path / "out", "P-1", "secret", -400)
    assert result.output is not None

    def errors(path: Path) -> list[str]:
        run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
        return sorted(line for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error"))

    assert errors(result.output) == errors(source)
