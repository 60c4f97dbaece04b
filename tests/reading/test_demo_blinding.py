"""The demo trial (realistic names, IDs, dates) imported for central review: nothing identifying reaches a blinded
session or a de-identified file. Identifiers are taken from the demo's ground truth and its DICOM headers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pydicom
import pytest

from sfrt_reader.imaging.demo_trial import generate_demo_trial
from sfrt_reader.reading import ReadingService, open_database
from sfrt_reader.reading.importer import import_folder
from sfrt_reader.trial import load_protocol
from tests.reading.conftest import PASSWORD
from tests.reading.dicom_leaks import leaks
from tests.reading.test_central import everything_visible

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_trial(out, seed=0, size=128)
    return out


def identifiers(demo: Path) -> list[str]:
    """Every identifying value of the demo subjects, from the ground truth and from the original headers."""
    truth = json.loads((demo / "ground_truth.json").read_text())
    found: set[str] = set()
    for subject in truth["subjects"]:
        ident = subject["identity"]
        name_parts = [p for p in ident["patient_name"].split("^") if len(p) > 2]
        found |= {ident["patient_name"], ident["patient_id"], ident["birth_date"], ident["institution"], *name_parts}
        found |= {p for p in ident["referring_physician"].split("^") if len(p) > 2}
        found |= set(ident["accession_numbers"])
        found.add(
            date.fromisoformat(
                f"{ident['birth_date'][:4]}-{ident['birth_date'][4:6]}-{ident['birth_date'][6:]}"
            ).isoformat()
        )
        found.add(subject["rt_end_date"])
        found.add(subject["rt_end_date"].replace("-", ""))
        for tp in subject["timepoints"]:
            found |= {tp["study_date"], tp["study_date"].replace("-", ""), tp["study_instance_uid"]}
        first = next((demo / subject["subject"]).glob("*_*/*"))
        ds = pydicom.dcmread(first, stop_before_pixels=True)
        found |= {str(ds.InstitutionAddress), str(ds.StationName)}
    return sorted(found)


def test_demo_trial_blinded_end_to_end(demo: Path, tmp_path: Path) -> None:
    truth = json.loads((demo / "ground_truth.json").read_text())
    service = ReadingService(open_database(tmp_path / "bicr.sqlite"))
    service.init_trial(load_protocol("NCT06980259"), "central", actor="test")
    service.add_site("NB01", "Northbridge University Hospital", actor="test")
    deid = tmp_path / "deid"
    for subject in truth["subjects"]:
        ident = subject["identity"]
        code = subject["subject"]
        service.add_subject(
            code,
            "NB01",
            date.fromisoformat(subject["rt_end_date"]),
            actor="test",
            arm=subject["arm"],
            patient_id=ident["patient_id"],
            patient_name=ident["patient_name"],
        )
        report = import_folder(service, demo / code, code, actor="test", deidentify_to=deid)
        # Every visit lands in its protocol window automatically.
        assert sorted(s.label for s in report.studies) == sorted(tp["label"] for tp in subject["timepoints"])
        assert report.refused == [] and report.copied == sum(1 for _ in (demo / code).glob("*_*/*"))
    for name in ("reader1", "reader2"):
        service.add_reader(name, name, "reader", PASSWORD, actor="test")
    service.add_reader("adj", "adj", "adjudicator", PASSWORD, actor="test")

    # Two blinded readers read demo-01 differently at baseline; the adjudicator looks at the worklist.
    for name, diameter in (("reader1", 92.0), ("reader2", 88.0)):
        session = service.login(name, PASSWORD)
        read_id = session.open_read("demo-01").read_id
        session.start_timepoint(read_id, "baseline")
        session.add_lesion(read_id, "T1", "target", "thigh")
        session.record_measurement(read_id, "baseline", "T1", diameter_mm=diameter, mean_hu=45.0, unit="HU")
        session.sign(read_id, "baseline", PASSWORD)
        session.start_timepoint(read_id, "3m")
        session.record_measurement(read_id, "3m", "T1", diameter_mm=diameter - 10, mean_hu=30.0, unit="HU")
        session.open_read("demo-03")

    secrets = identifiers(demo)
    assert (
        "HARTMANN^KLAUS^PETER" in secrets and "NBH0043817" in secrets and "Northbridge University Hospital" in secrets
    )
    for name in ("reader1", "reader2", "adj"):
        session = service.login(name, PASSWORD)
        assert session.blinded
        text = everything_visible(session)
        assert "demo-01" in text
        assert [s for s in secrets if s in text] == []
        assert '"SFRT"' not in text and '"CRT"' not in text

    # The de-identified copies: byte for byte, none of the identifiers.
    files = list(deid.rglob("*.dcm"))
    assert len(files) == 640
    for path in files:
        assert leaks(path, secrets) == [], path.name
