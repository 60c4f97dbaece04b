"""Import of a real longitudinal pair (TCIA COVID-19-NY-SBU, GE LightSpeed): two studies of one patient."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pydicom
import pytest

from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.reading.importer import import_folder
from sfrt_reader.trial import load_protocol

PATIENT = "A002304"


@pytest.mark.realdata
def test_real_longitudinal_pair(realdata: Path, tmp_path: Path) -> None:
    manifest = json.loads((realdata / "MANIFEST.json").read_text())
    entry = next(d for d in manifest["datasets"] if d["id"].endswith(PATIENT))
    references = entry["reference"]["series"]
    study_uids = {s["StudyInstanceUID"]: s["StudyDate"] for s in references}
    assert len(study_uids) == 2

    service = ReadingService(open_database(tmp_path / "trial.sqlite"))
    service.init_trial(load_protocol("NCT06980259"), "central", actor="test")
    service.add_site("S1", "Site", actor="test")
    # RT from 1 to 5 January 1901: the first study (31 Dec 1900) is baseline, the second (12 Jan 1901) fits no window.
    service.add_subject("P-RD", "S1", date(1901, 1, 5), actor="test", rt_start_date=date(1901, 1, 1))
    out = tmp_path / "deid"
    report = import_folder(service, realdata / entry["path"], "P-RD", actor="test", deidentify_to=out)
    labels = sorted((s.label or "-") for s in report.studies)
    assert labels == ["-", "baseline"]
    unassigned = next(s for s in report.studies if s.label is None)
    assert unassigned.message is not None and "day +7 from RT end falls in no protocol window" in unassigned.message
    studies = service.studies("P-RD")
    assert sorted(day for *_, day in studies) == [-5, 7]
    assert {modality for _, _, _, modality, _ in studies} == {"CT"}

    _, shift = service.subject_secrets("P-RD")
    copies = [pydicom.dcmread(p) for p in sorted(out.rglob("*.dcm"))]
    assert len(copies) == 2 and report.copied == 2
    original_dates = sorted(date.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in study_uids.values())
    shifted = sorted(date.fromisoformat(f"{c.StudyDate[:4]}-{c.StudyDate[4:6]}-{c.StudyDate[6:]}") for c in copies)
    assert [(d - original_dates[0]).days for d in original_dates] == [(d - shifted[0]).days for d in shifted]
    assert (shifted[0] - original_dates[0]).days == shift
    for copy in copies:
        assert copy.PatientID == "P-RD" and copy.StudyInstanceUID not in study_uids
        assert PATIENT.encode() not in Path(copy.filename).read_bytes()
        assert copy.pixel_array.shape == (512, 512)
