"""scan(): grouping, non-image objects, non-DICOM files, damaged files, DICOMDIR, and no identifiers in reprs."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from sfrt_reader.imaging import scan
from sfrt_reader.imaging.catalog import contrast_flag
from tests.imaging.dicom_factory import (
    ACCESSION,
    BIRTH_DATE,
    INSTITUTION,
    PATIENT_ID,
    PATIENT_NAME,
    SeriesSpec,
    write_seg,
    write_series,
)

IDENTIFIERS = (PATIENT_NAME, "Testperson", PATIENT_ID, BIRTH_DATE, ACCESSION, INSTITUTION)


def _two_studies(root: Path) -> tuple[SeriesSpec, SeriesSpec, SeriesSpec]:
    study1, study2 = generate_uid(), generate_uid()
    a = SeriesSpec(n=3, series_number=2, study_uid=study1, description="arterial")
    b = SeriesSpec(n=4, series_number=5, study_uid=study1, description="portal venous")
    c = SeriesSpec(n=5, series_number=3, study_uid=study2, description="non-contrast")
    write_series(root / "s1" / "a", a)
    write_series(root / "s1" / "b", b)

    def later(k: int, ds: pydicom.Dataset) -> None:
        ds.StudyDate = "20260405"

    c.per_slice = later
    write_series(root / "s2", c)
    return a, b, c


def test_groups_patient_study_series(tmp_path: Path) -> None:
    a, b, c = _two_studies(tmp_path)
    assert b.series_uid != c.series_uid
    (tmp_path / "readme.txt").write_text("hello")
    (tmp_path / "s1" / "thumbs.db").write_bytes(b"\x00" * 300)
    catalog = scan(tmp_path)
    assert catalog.dicom_files == 12
    assert catalog.non_dicom_files == 2
    assert catalog.problems == []
    assert len(catalog.patients) == 1
    patient = catalog.patients[0]
    assert patient.patient_id == PATIENT_ID  # kept for the read database
    assert [s.study_date for s in patient.studies] == ["20260105", "20260405"]
    first = patient.studies[0]
    assert [(s.series_number, s.description, s.slice_count) for s in first.series] == [
        (2, "arterial", 3),
        (5, "portal venous", 4),
    ]
    assert first.series[0].series_instance_uid == a.series_uid
    assert first.series[1].pixel_spacing == (0.8, 0.7)
    assert first.series[1].slice_spacing_mm == pytest.approx(2.5)
    assert patient.studies[1].series[0].contrast is False


def test_non_image_objects_record_their_references(tmp_path: Path) -> None:
    spec = SeriesSpec(n=3)
    write_series(tmp_path / "ct", spec)
    write_seg(tmp_path / "seg" / "mask.dcm", spec.study_uid, spec.series_uid)
    catalog = scan(tmp_path)
    assert len(catalog.series()) == 1
    (seg,) = catalog.objects()
    assert seg.kind == "SEG"
    assert seg.referenced_series == (spec.series_uid,)
    assert seg.sop_class_name == "Segmentation Storage"
    study = next(catalog.studies())
    assert study.objects == [seg]


def test_damaged_files_become_problems(tmp_path: Path) -> None:
    paths = write_series(tmp_path, SeriesSpec(n=4))
    data = paths[0].read_bytes()
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(data[:200])  # preamble and half a header
    catalog = scan(tmp_path)
    assert catalog.unreadable_files == 1
    assert len(catalog.problems) == 1 and catalog.problems[0].startswith("file broken.dcm:")
    assert catalog.series()[0].slice_count == 4


def test_unusable_series_is_listed_with_its_reason(tmp_path: Path) -> None:
    write_series(tmp_path, SeriesSpec(n=3, offsets=[0.0, 0.0, 0.0]))
    (series,) = scan(tmp_path).series()
    assert not series.usable
    assert series.error is not None and "same plane" in series.error
    assert series.error in series.problems


def test_dicomdir_lists_files_outside_the_scanned_path(tmp_path: Path) -> None:
    spec = SeriesSpec(n=3)
    paths = write_series(tmp_path / "src", spec)
    fs = FileSet()
    for p in paths:
        fs.add(pydicom.dcmread(p))
    fs.write(tmp_path / "media")
    dicomdir = tmp_path / "media" / "DICOMDIR"
    catalog = scan(dicomdir)  # only the DICOMDIR is given: its referenced files are found through it
    assert catalog.series()[0].slice_count == 3
    assert catalog.dicomdirs[0].referenced == 3 and catalog.dicomdirs[0].missing == 0
    # A file listed in the DICOMDIR but gone: reported, the rest still indexed.
    listed = sorted(p for p in (tmp_path / "media").rglob("*") if p.is_file() and p.name != "DICOMDIR")
    listed[0].unlink()
    catalog = scan(tmp_path / "media")
    assert catalog.dicomdirs[0].missing == 1
    assert any("1 of 3 listed files are missing" in p for p in catalog.problems)
    assert catalog.series()[0].slice_count == 2


def test_broken_dicomdir_is_reported_not_raised(tmp_path: Path) -> None:
    write_series(tmp_path, SeriesSpec(n=3))
    fake = pydicom.Dataset()
    fake.file_meta = pydicom.dataset.FileMetaDataset()
    fake.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    fake.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    fake.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    fake.FileSetID = "X"
    fake.save_as(tmp_path / "DICOMDIR", enforce_file_format=False)
    catalog = scan(tmp_path)
    assert catalog.series()[0].slice_count == 3
    assert any(p.startswith("DICOMDIR DICOMDIR cannot be read") for p in catalog.problems)


def test_reprs_and_blinded_json_carry_no_identifiers(tmp_path: Path) -> None:
    _two_studies(tmp_path)
    catalog = scan(tmp_path)
    texts = [repr(catalog), json.dumps(catalog.to_dict(blinded=True))]
    for patient in catalog.patients:
        texts.append(repr(patient))
        for study in patient.studies:
            texts.append(repr(study))
            texts.extend(repr(s) for s in study.series)
    for text in texts:
        for ident in IDENTIFIERS:
            assert ident not in text, (ident, text[:200])
    full = json.dumps(catalog.to_dict())
    assert PATIENT_ID in full and PATIENT_NAME in full  # the unblinded export keeps them


@pytest.mark.parametrize(
    ("agent", "description", "expected"),
    [
        ("OMNIPAQUE 350", "", True),
        ("", "CT abdomen portal venous 3mm", True),
        ("", "Thorax C+", True),
        ("", "non-contrast thorax", False),
        ("", "Abdomen nativ", False),
        ("", "Thigh 3mm", None),
        ("NONE", "", False),
        ("", "Thorax C- 5mm", False),
        ("", "C-spine sagittal", None),
        ("", "non-enhanced thigh", False),
    ],
)
def test_contrast_flag(agent: str, description: str, expected: bool | None) -> None:
    assert contrast_flag(agent, description) is expected


def test_progress_counts_every_file(tmp_path: Path) -> None:
    write_series(tmp_path, SeriesSpec(n=60, rows=4, columns=4))
    calls: list[tuple[int, int]] = []
    scan(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (60, 60)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_threaded_scan_gives_the_same_catalogue(tmp_path: Path) -> None:
    _two_studies(tmp_path)
    write_series(tmp_path / "many", SeriesSpec(n=80, rows=4, columns=4))
    one = scan(tmp_path).to_dict()
    two = scan(tmp_path, workers=2).to_dict()
    assert one == two
