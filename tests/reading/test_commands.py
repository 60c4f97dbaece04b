"""The read-database commands, end to end through the command line."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sfrt_reader.cli import main

PASSWORD = "correct horse battery"


def sfrt(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "trial.sqlite")
    assert sfrt(capsys, "trial", "init", "--protocol", "NCT06980259", "--paradigm", "central", "--db", path)[0] == 0
    assert sfrt(capsys, "site", "add", "SD01", "--name", "Shandong Cancer Hospital", "--db", path)[0] == 0
    code, out, _ = sfrt(
        capsys,
        "subject",
        "add",
        "P-001",
        "--site",
        "SD01",
        "--rt-end",
        "2026-01-31",
        "--rt-start",
        "2026-01-05",
        "--arm",
        "SFRT",
        "--patient-id",
        "ZL0048213",
        "--db",
        path,
    )
    assert (code, out) == (0, "subject P-001 added\n")
    return path


def test_set_up_commands(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = sfrt(
        capsys, "reader", "add", "r1", "--name", "Dr One", "--password-stdin", "--db", db, stdin=PASSWORD
    )
    assert (code, out) == (0, "reader r1 added\n")
    assert sfrt(capsys, "reader", "list", "--db", db)[1] == "r1\treader\tDr One\n"
    assert sfrt(capsys, "site", "list", "--db", db)[1] == "SD01\tShandong Cancer Hospital\n"
    code, out, _ = sfrt(capsys, "trial", "show", "--db", db)
    assert code == 0 and "reading: central" in out and "3m        3 months after RT end +/- 21 days" in out
    assert sfrt(capsys, "reads", "list", "--db", db)[1] == "no reads yet\n"
    code, out, _ = sfrt(capsys, "audit", "verify", "--db", db)
    assert code == 0 and out.startswith("audit trail intact: 4 events")
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT password_hash FROM reader").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trial", "init", "--protocol", "NCT06980259"], "already holds trial NCT06980259"),
        (["trial", "init", "--protocol", "NCT000"], "no bundled protocol named 'NCT000'"),
        (["site", "add", "SD01", "--name", "x"], "site 'SD01' already exists"),
        (["subject", "add", "P-002", "--site", "XX", "--rt-end", "2026-01-31"], "no site 'XX'"),
        (["subject", "add", "P-002", "--site", "SD01", "--rt-end", "31/01/2026"], "is not a date: use YYYY-MM-DD"),
        (["subject", "add", "P-002", "--site", "SD01", "--rt-end", "2026-01-31", "--arm", "X"], "not an arm"),
        (["assign", "--subject", "P-001", "--study", "9", "--timepoint", "3m", "--reason", "moved"], "no study"),
        (["assign", "--subject", "P-001", "--study", "1", "--timepoint", "5m", "--reason", "moved"], "not in protocol"),
        (["reader", "add", "r9", "--name", "x"], "pipe it with --password-stdin"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = sfrt(capsys, *argv, "--db", db, stdin="")
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_short_password_is_refused(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = sfrt(capsys, "reader", "add", "r2", "--name", "x", "--password-stdin", "--db", db, stdin="short")
    assert code == 2 and "at least 8 characters" in err


def test_audit_verify_exits_1_with_the_first_broken_link(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_event SET after = replace(after, 'SD01', 'SD02') WHERE id = 2")
    result = subprocess.run(
        [sys.executable, "-m", "sfrt_reader", "audit", "verify", "--db", db],
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == "audit trail BROKEN: event 2 (create site): changed after it was written\n"


def test_audit_show_prints_events_without_identifiers(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = sfrt(capsys, "audit", "show", "--last", "0", "--db", db)
    assert code == 0
    assert "create     subject 1" in out and "'pseudonym': 'P-001'" in out and "identity_sha256" in out
    assert "ZL0048213" not in out
    assert out.strip().splitlines()[-1].startswith("head hash ")


def test_reads_list_shows_progress_and_best_responses(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    from sfrt_reader.reading import ReadingService, StudyRecord, open_database
    from tests.reading.conftest import ArithmeticAssessor

    service = ReadingService(open_database(db), assessor=ArithmeticAssessor())
    for uid, day in (("1.2.3.1", date(2025, 12, 20)), ("1.2.3.2", date(2026, 4, 28))):
        service.add_study("P-001", StudyRecord(uid, day, "CT", True, 3.0), actor="test")
    service.add_reader("r1", "Dr One", "reader", PASSWORD, actor="test")
    session = service.login("r1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=100.0)
    session.sign(read_id, "baseline", PASSWORD)
    session.start_timepoint(read_id, "3m")
    session.record_measurement(read_id, "3m", "T1", diameter_mm=60.0)
    code, out, _ = sfrt(capsys, "reads", "list", "--db", db)
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["read", "subject", "reader", "kind", "signed", "open", "RECIST", "Choi", "adjudication"]
    assert row.split() == [str(read_id), "P-001", "r1", "central", "baseline", "3m", "PR", "PR", "-"]
    code, out, _ = sfrt(capsys, "reads", "list", "--json", "--db", db)
    assert json.loads(out)[0]["signed"] == ["baseline"]
