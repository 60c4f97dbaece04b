"""A demo subject read through the reading service: real DICOM from the demo-trial generator (so every
measurement points at a real SOP instance), measurements entered from the generator's ground truth, every
timepoint signed. Local reads use the original files; central (blinded) reads the de-identified copies."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from sfrt_reader.imaging.deidentify import remap_uid
from sfrt_reader.imaging.demo_trial import generate_demo_trial
from sfrt_reader.measurement.lines import Bidimensional
from sfrt_reader.measurement.regions import RegionStatistics
from sfrt_reader.reading import ReaderSession, ReadingService, open_database, passwords
from sfrt_reader.reading.importer import import_folder
from sfrt_reader.trial import load_protocol
from sfrt_reader.trial.expected import expected_responses

PASSWORD = "correct horse battery"
PSEUDONYM = "S-0101"


@pytest.fixture(scope="session")
def demo_trial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_trial(out, seed=0, size=128, expected=expected_responses)
    return out


@pytest.fixture(scope="session")
def truth(demo_trial: Path) -> dict[str, Any]:
    return json.loads((demo_trial / "ground_truth.json").read_text())


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def line_dict(start: list[float], end: list[float], series: str, sop: str) -> dict[str, Any]:
    return {
        "kind": "line",
        "start": [float(v) for v in start],
        "end": [float(v) for v in end],
        "length_mm": math.dist(start, end),
        "series_uid": series,
        "sop_instance_uid": sop,
        "frame_number": None,
    }


def measurement_objects(lesion: dict[str, Any], series: str, sop: str) -> list[dict[str, Any]]:
    """A bidimensional (long + short axis) and a polygon ROI around the centre of the long axis, as the
    measurement layer's to_dict() writes them."""
    long_ = line_dict(*lesion["longest_axial_line_lps"], series, sop)
    short = line_dict(*lesion["short_axis_line_lps"], series, sop)
    (x0, y0, z0), (x1, y1, _) = lesion["longest_axial_line_lps"]
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    r = 0.25 * lesion["short_axis_mm"]
    polygon = [[cx + r * math.cos(a * math.pi / 4), cy + r * math.sin(a * math.pi / 4), z0] for a in range(8)]
    return [
        {
            "kind": "bidimensional",
            "long_axis": long_,
            "short_axis": short,
            "long_mm": long_["length_mm"],
            "short_mm": short["length_mm"],
        },
        {
            "kind": "region_statistics",
            "region": {
                "kind": "polygon",
                "points": polygon,
                "series_uid": series,
                "sop_instance_uid": sop,
                "frame_number": None,
            },
            "mean": lesion["mean"],
            "sd": 10.0,
            "median": lesion["mean"],
            "min": lesion["mean"] - 30,
            "max": lesion["mean"] + 30,
            "pixels": 40,
            "area_mm2": 300.0,
            "outline_area_mm2": 300.0,
            "unit": lesion["unit"],
            "is_hu": lesion["unit"] == "HU",
        },
    ]


def record(session: ReaderSession, read_id: int, label: str, code: str, objects: list[dict[str, Any]]) -> None:
    """Save a measurement the way the workstation does: the drawn lengths, the ROI mean, and the objects."""
    bidi = objects[0]
    # The dicts are exactly what the measurement layer writes: its own constructors accept them.
    Bidimensional.from_dict(bidi)
    RegionStatistics.from_dict(objects[1])
    session.record_measurement(
        read_id, label, code, diameter_mm=bidi["long_mm"], short_axis_mm=bidi["short_mm"], objects=objects
    )


@dataclass
class DemoRead:
    service: ReadingService
    session: ReaderSession
    read_id: int
    subject: dict[str, Any]
    db_path: Path
    labels: list[str]


def build_read(
    demo_trial: Path,
    truth: dict[str, Any],
    tmp: Path,
    paradigm: str,
    subject_index: int = 0,
    sign: bool = True,
    second_target: bool = False,
    comments: dict[str, str] | None = None,
    t1_organ: str = "thigh",
) -> DemoRead:
    """Trial, site, subject, import (de-identified for central), a reader, and every timepoint read and signed
    (with sign=False: the baseline only, unsigned). second_target: the inguinal node of demo-01 measured as a
    second target T2 (by its long axis), for forms with four key images. comments: the reader's free-text comment
    per timepoint label, written before signing. t1_organ: the organ typed for T1."""
    subject = truth["subjects"][subject_index]
    db_path = tmp / f"reads-{paradigm}.sqlite"
    service = ReadingService(open_database(str(db_path)))
    service.init_trial(load_protocol("NCT06980259"), paradigm, actor="manager")
    service.add_site("NB01", subject["identity"]["institution"], actor="manager")
    service.add_subject(
        PSEUDONYM, "NB01", date.fromisoformat(subject["rt_end_date"]), actor="manager", arm=subject["arm"]
    )
    deid = tmp / "deid" if paradigm == "central" else None
    import_folder(service, demo_trial / subject["subject"], PSEUDONYM, actor="manager", deidentify_to=deid)
    service.add_reader("reader1", "Dr Reader One", "reader", PASSWORD, actor="manager")
    service.add_reader("boss", "Trial Manager", "manager", PASSWORD, actor="manager")
    session = service.login("reader1", PASSWORD)
    read_id = session.open_read(PSEUDONYM).read_id
    secret, _ = service.subject_secrets(PSEUDONYM)
    labels = []
    for tp in subject["timepoints"]:
        label = tp["label"]
        labels.append(label)
        session.start_timepoint(read_id, label)
        series, sop = tp["series_instance_uid"], tp["lesions"]["T1"]["sop_instance_uid"]
        if paradigm == "central":
            series, sop = remap_uid(series, secret), remap_uid(sop, secret)
        if label == "baseline":
            session.add_lesion(read_id, "T1", "target", t1_organ, description="irradiated sarcoma")
            if second_target:
                session.add_lesion(read_id, "T2", "target", "inguinal soft tissue")
            else:
                session.add_lesion(read_id, "NT1", "non-target", "inguinal lymph node", nodal=True)
        t1 = tp["lesions"]["T1"]
        record(session, read_id, label, "T1", measurement_objects(t1, series, sop))
        if second_target:
            nt1 = tp["lesions"]["NT1"]
            nsop = remap_uid(nt1["sop_instance_uid"], secret) if paradigm == "central" else nt1["sop_instance_uid"]
            record(session, read_id, label, "T2", measurement_objects(nt1, series, nsop))
        else:
            session.set_non_target(read_id, label, "NT1", "present")
        new = [code for code in tp["lesions"] if code == "N1"]
        if new:
            n1 = tp["lesions"]["N1"]
            nsop = remap_uid(n1["sop_instance_uid"], secret) if paradigm == "central" else n1["sop_instance_uid"]
            session.add_lesion(read_id, "N1", "new", "adductor compartment", label=label)
            record(session, read_id, label, "N1", measurement_objects(n1, series, nsop))
        if comments and label in comments:
            session.set_timepoint(read_id, label, comment=comments[label])
        if not sign:
            break  # only the baseline, left unsigned
        session.sign(read_id, label, PASSWORD)
    return DemoRead(service, session, read_id, subject, db_path, labels)


@pytest.fixture
def local_read(demo_trial: Path, truth: dict[str, Any], tmp_path: Path) -> Iterator[DemoRead]:
    read = build_read(demo_trial, truth, tmp_path, "local")
    yield read
    read.service.db.close()


@pytest.fixture
def central_read(demo_trial: Path, truth: dict[str, Any], tmp_path: Path) -> Iterator[DemoRead]:
    read = build_read(demo_trial, truth, tmp_path, "central")
    yield read
    read.service.db.close()
