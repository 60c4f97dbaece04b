"""A small local read built through the public reading API only (no DICOM files), so that the same builder runs
on the release that printed form version 1.0 and on today's code.

`tests/reports/data/form-1.0.sql` was made by running this module as a script with the 1.0 release in place
(the commit before "Forms 1.1", dace1e6^): it built this read, printed the 3m response form and the subject
summary with that release's `write_form` / `write_summary` (which recorded their hashes in the audit trail), and
dumped the database as SQL. `form-1.0.json` holds the footer hashes that release printed. The test suite loads the
dump with today's code and checks that those printed forms still verify.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

PASSWORD = "correct horse battery"
PSEUDONYM = "S-0107"
PATIENT = {"patient_id": "PAT-884213", "patient_name": "DOE^JOHN", "birth_date": date(1961, 7, 4)}
STUDIES = [
    ("baseline", "1.2.826.0.1.3680043.10.1001.1", date(2025, 11, 3), 80.0, 40.0, 52.0),
    ("3m", "1.2.826.0.1.3680043.10.1001.2", date(2026, 3, 24), 62.0, 31.0, 30.5),
]


def line(length: float, z: float, sop: str) -> dict[str, object]:
    return {
        "kind": "line",
        "start": [0.0, 0.0, z],
        "end": [length, 0.0, z],
        "length_mm": length,
        "series_uid": sop + ".0",
        "sop_instance_uid": sop,
        "frame_number": None,
    }


def build(db_path: Path) -> int:
    """Trial (local), site, subject with identity, two CT studies, a reader; baseline and 3m read and signed."""
    from sfrt_reader.reading import ReadingService, open_database
    from sfrt_reader.reading.service import StudyRecord
    from sfrt_reader.trial import load_protocol

    service = ReadingService(open_database(str(db_path)))
    service.init_trial(load_protocol("NCT06980259"), "local", actor="manager")
    service.add_site("NB07", "Northbridge General Hospital", actor="manager")
    service.add_subject(PSEUDONYM, "NB07", date(2025, 12, 20), actor="manager", arm="SFRT")
    service.link_identity(PSEUDONYM, actor="manager", **PATIENT)  # type: ignore[arg-type]
    for _label, uid, day, *_ in STUDIES:
        service.add_study(
            PSEUDONYM,
            StudyRecord(uid, day, "CT", True, 3.0, accession_number=f"ACC{uid[-1]}7731", institution="NGH Imaging"),
            actor="manager",
        )
    service.add_reader("reader1", "Dr Reader One", "reader", PASSWORD, actor="manager")
    session = service.login("reader1", PASSWORD)
    read_id = session.open_read(PSEUDONYM).read_id
    for label, uid, _day, long_mm, short_mm, hu in STUDIES:
        session.start_timepoint(read_id, label)
        if label == "baseline":
            session.add_lesion(read_id, "T1", "target", "thigh", description="irradiated sarcoma")
            session.add_lesion(read_id, "NT1", "non-target", "inguinal lymph node", nodal=True)
        sop = uid + ".7"
        session.record_measurement(
            read_id,
            label,
            "T1",
            diameter_mm=long_mm,
            short_axis_mm=short_mm,
            mean_hu=hu,
            unit="HU",
            objects=[line(long_mm, -40.0, sop)],
        )
        session.set_non_target(read_id, label, "NT1", "present")
        session.set_timepoint(read_id, label, comment=f"{label}: margins well defined, no new lesion")
        session.sign(read_id, label, PASSWORD)
    service.db.close()
    return read_id


def main(out_dir: Path) -> None:
    """Build the read, print the 3m form and the summary with the code in place, dump the database."""
    from sfrt_reader.reading import ReadingService, open_database
    from sfrt_reader.reports.forms import write_form, write_summary

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "reads.sqlite"
        read_id = build(db_path)
        service = ReadingService(open_database(str(db_path)))
        session = service.login("reader1", PASSWORD)
        form = write_form(session, read_id, "3m", Path(tmp) / "form.pdf")
        summary = write_summary(session, read_id, Path(tmp) / "summary.pdf")
        service.db.close()
        connection = sqlite3.connect(db_path)
        dump = "\n".join(connection.iterdump()) + "\n"
        connection.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "form-1.0.sql").write_text(dump, encoding="utf-8")
    printed = {"read": read_id, "timepoint": "3m", "form_sha256": form.sha256, "summary_sha256": summary.sha256}
    (out_dir / "form-1.0.json").write_text(json.dumps(printed, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
