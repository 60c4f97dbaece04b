"""Printed forms stay verifiable across form versions.

The 1.0 fixture (`data/form-1.0.sql`, `data/form-1.0.json`) is the database and the footer hashes written by the
release that printed form version 1.0 (see `legacy_forms.py`): nothing in it was computed by today's code.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sfrt_reader.reading import ReaderSession, ReadingService, open_database
from sfrt_reader.reports import content as C
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.forms import write_form, write_summary
from sfrt_reader.reports.verify import verify_form
from tests.reports.conftest import PASSWORD, DemoRead
from tests.reports.legacy_forms import PASSWORD as LEGACY_PASSWORD

DATA = Path(__file__).parent / "data"
PRINTED = json.loads((DATA / "form-1.0.json").read_text())


@dataclass
class Legacy:
    db_path: Path
    service: ReadingService
    session: ReaderSession


def load_legacy(tmp_path: Path) -> Path:
    db_path = tmp_path / "legacy.sqlite"
    connection = sqlite3.connect(db_path)
    connection.executescript((DATA / "form-1.0.sql").read_text(encoding="utf-8"))
    connection.close()
    return db_path


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[Legacy]:
    db_path = load_legacy(tmp_path)
    service = ReadingService(open_database(str(db_path)))
    yield Legacy(db_path, service, service.login("reader1", LEGACY_PASSWORD))
    service.db.close()


def flip(digest: str) -> str:
    """The same hash with its last digit changed: a footer altered by one character."""
    return digest[:-1] + ("0" if digest[-1] != "0" else "1")


def test_the_fixture_is_an_intact_1_0_database(legacy: Legacy) -> None:
    assert legacy.service.audit_verify().ok
    exports = legacy.service.exported_documents(PRINTED["read"])
    assert [(e.kind, e.label, e.sha256, e.details) for e in exports] == [
        ("response-form-pdf", "3m", PRINTED["form_sha256"], {}),
        ("subject-summary-pdf", None, PRINTED["summary_sha256"], {}),
    ]


def test_a_form_printed_as_1_0_differs_from_todays_content_but_still_verifies(legacy: Legacy) -> None:
    ctx = C.gather(legacy.session, PRINTED["read"], with_images=False)
    today = C.form_content(legacy.session, ctx, "3m")
    assert C.sha256_of(today) != PRINTED["form_sha256"]  # the problem: today's rules give another hash
    old = C.form_content(legacy.session, ctx, "3m", "1.0")
    assert C.sha256_of(old) == PRINTED["form_sha256"]
    assert "protocol" not in old and "blinding" not in old and old["form"]["version"] == "1.0"
    check = verify_form(legacy.session, PRINTED["read"], "3m", PRINTED["form_sha256"])
    assert check.ok and check.form_version == "1.0"
    assert check.message.startswith("VERIFIED") and "version 1.0" in check.message


def test_a_summary_printed_as_1_0_still_verifies(legacy: Legacy) -> None:
    check = verify_form(legacy.session, PRINTED["read"], None, PRINTED["summary_sha256"].upper())
    assert check.ok and check.form_version == "1.0"


def test_an_altered_footer_hash_does_not_verify(legacy: Legacy) -> None:
    check = verify_form(legacy.session, PRINTED["read"], "3m", flip(PRINTED["form_sha256"]))
    assert not check.ok and "no export" in check.message
    # the summary's hash is not the 3m form's
    assert not verify_form(legacy.session, PRINTED["read"], "3m", PRINTED["summary_sha256"]).ok


def test_a_1_0_form_whose_database_row_was_changed_does_not_verify(tmp_path: Path) -> None:
    db_path = load_legacy(tmp_path)
    connection = sqlite3.connect(db_path)
    changed = connection.execute(
        "UPDATE measurement SET diameter_mm = 60.0 WHERE diameter_mm = 62.0 AND assessment_id = "
        "(SELECT id FROM timepoint_assessment WHERE label = '3m')"
    ).rowcount
    connection.commit()
    connection.close()
    assert changed == 1
    service = ReadingService(open_database(str(db_path)))
    try:
        session = service.login("reader1", LEGACY_PASSWORD)
        check = verify_form(session, PRINTED["read"], "3m", PRINTED["form_sha256"])
        assert not check.ok
        assert "no longer gives it" in check.message and "audit verify" in check.message
        assert not service.audit_verify().ok  # the same change, seen by the audit trail's data check
    finally:
        service.db.close()


def test_a_mistyped_hash_or_unknown_timepoint_is_a_clear_error(legacy: Legacy) -> None:
    with pytest.raises(ReportError, match="64 hexadecimal digits"):
        verify_form(legacy.session, PRINTED["read"], "3m", "34174bd8")
    with pytest.raises(ReportError, match="no timepoint '6m'"):
        verify_form(legacy.session, PRINTED["read"], "6m", PRINTED["form_sha256"])
    with pytest.raises(ReportError, match=r"form version '0\.9'"):
        C.form_content(legacy.session, C.gather(legacy.session, 1, with_images=False), "3m", "0.9")


def test_a_new_form_records_its_version_and_verifies_by_it(local_read: DemoRead, tmp_path: Path) -> None:
    s, rid = local_read.session, local_read.read_id
    written = write_form(s, rid, "3m", tmp_path / "form.pdf")
    event = local_read.service.audit_events(last=1)[0]
    assert event["action"] == "export" and event["after"]["form_version"] == C.FORM_VERSION
    check = verify_form(s, rid, "3m", written.sha256)
    assert check.ok and check.form_version == C.FORM_VERSION and "as recorded with the export" in check.message
    summary = write_summary(s, rid, tmp_path / "summary.pdf")
    assert verify_form(s, rid, None, summary.sha256).ok


def test_an_amended_timepoint_makes_its_old_form_superseded(local_read: DemoRead, tmp_path: Path) -> None:
    s, rid = local_read.session, local_read.read_id
    written = write_form(s, rid, "3m", tmp_path / "form.pdf")
    s.amend(rid, "3m", "comment corrected after review")
    assert verify_form(s, rid, "3m", written.sha256).ok  # the amendment is a draft: v1 is still the record
    s.set_timepoint(rid, "3m", comment="corrected")
    s.sign(rid, "3m", PASSWORD)
    check = verify_form(s, rid, "3m", written.sha256)
    assert not check.ok and "superseded" in check.message and "version 1 printed, version 2" in check.message


def test_a_version_this_release_cannot_build_is_named(local_read: DemoRead) -> None:
    s, rid = local_read.session, local_read.read_id
    digest = "ab" * 32
    s.service.record_export(rid, "3m", "response-form-pdf", digest, s.reader_id, {"form_version": "9.9"})
    with pytest.raises(ReportError, match=r"form version 9\.9, which this release cannot rebuild"):
        verify_form(s, rid, "3m", digest)


def test_verify_form_command(tmp_path: Path) -> None:
    db_path = load_legacy(tmp_path)
    base = [sys.executable, "-m", "sfrt_reader", "verify-form", "--read", "1", "--db", str(db_path)]
    base += ["--user", "reader1", "--password-stdin"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *extra], input=LEGACY_PASSWORD + "\n", capture_output=True, text=True, env=os.environ
        )

    ok = run("--timepoint", "3m", "--sha256", PRINTED["form_sha256"])
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("VERIFIED") and "version 1.0" in ok.stdout
    bad = run("--summary", "--sha256", flip(PRINTED["summary_sha256"]))
    assert bad.returncode == 1 and bad.stdout.startswith("NOT VERIFIED")
    typo = run("--timepoint", "3m", "--sha256", "xyz")
    assert typo.returncode == 2 and "Traceback" not in typo.stderr and "64 hexadecimal digits" in typo.stderr
