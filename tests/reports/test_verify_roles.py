"""verify-form by every role that may see a read: the reader, a manager and the adjudicator of its subject (who
sees the readers as "A" and "B") each verify the forms printed by any of them, with the same answers (verified, no
export with this hash, superseded by an amendment, read changed since), and no answer names a reader the checking
user may not see."""

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
from argon2 import PasswordHasher

from sfrt_reader.commands.demo import prepare_demo
from sfrt_reader.reading import ReaderSession, ReadingService, open_database, passwords
from sfrt_reader.reading.errors import AccessDeniedError
from sfrt_reader.reports.forms import write_form, write_summary
from sfrt_reader.reports.verify import verify_form
from tests.ui.adjudication_helpers import PASSWORDS, make_discordant

MANAGER, MANAGER_PASSWORD = "boss", "trial manager password"
SUBJECT = "demo-02"


@dataclass
class Adjudicated:
    service: ReadingService
    database: Path
    read_a: int  # reader1's read, "A" to the adjudicator
    read_b: int

    def login(self, user: str) -> ReaderSession:
        return self.service.login(user, MANAGER_PASSWORD if user == MANAGER else PASSWORDS[user])


@pytest.fixture
def adjudicated(tmp_path: Path, demo_trial: Path) -> Iterator[Adjudicated]:
    """Two complete central reads of demo-02 that disagree (an adjudication pending), and a trial manager."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
        root = tmp_path / "demo-db"
        root.mkdir()
        (root / "trial").symlink_to(demo_trial, target_is_directory=True)
        setup = prepare_demo(root, "central", 128, quiet=True)
        truth = json.loads((demo_trial / "ground_truth.json").read_text())
        service = ReadingService(open_database(setup.database))
        service.add_reader(MANAGER, "Trial Manager", "manager", MANAGER_PASSWORD, actor="test")
        read_a, read_b = make_discordant(service, truth, SUBJECT)
        adjudicator = service.login("adjudicator", PASSWORDS["adjudicator"])
        assert [a.pseudonym for a in adjudicator.adjudications()] == [SUBJECT]
        yield Adjudicated(service, Path(setup.database), read_a, read_b)
        service.db.close()


def _flip(digest: str) -> str:
    return digest[:-1] + ("0" if digest[-1] != "0" else "1")


def test_every_role_that_sees_the_read_verifies_every_form_of_it(adjudicated: Adjudicated, tmp_path: Path) -> None:
    rid = adjudicated.read_a
    users = ["reader1", "adjudicator", MANAGER]
    sessions = {u: adjudicated.login(u) for u in users}
    forms = {u: write_form(sessions[u], rid, "3m", tmp_path / f"{u}.pdf").sha256 for u in users}
    summaries = {u: write_summary(sessions[u], rid, tmp_path / f"{u}-summary.pdf").sha256 for u in users}
    # the adjudicator's form names the reader "A": its content (so its hash) differs from the reader's
    assert forms["adjudicator"] != forms["reader1"] and summaries["adjudicator"] != summaries["reader1"]
    assert forms[MANAGER] == forms["reader1"]  # a manager sees the reader's name, as the reader does
    for checker in users:
        for maker in users:
            check = verify_form(sessions[checker], rid, "3m", forms[maker])
            assert check.ok, (checker, maker, check.message)
            assert check.message.startswith("VERIFIED: the response form of timepoint 3m")
            assert verify_form(sessions[checker], rid, None, summaries[maker]).ok, (checker, maker)
            if checker == "adjudicator":  # he never learns who reader A is
                assert "reader1" not in check.message
    # the answer names the latest export with that hash (the manager's form is the reader's, byte for byte)
    assert "exported by the adjudicator on" in verify_form(sessions["reader1"], rid, "3m", forms["adjudicator"]).message
    assert "exported by a manager on" in verify_form(sessions["adjudicator"], rid, "3m", forms[MANAGER]).message
    assert "exported by adjudicator on" in verify_form(sessions["adjudicator"], rid, "3m", forms["adjudicator"]).message

    # the other reader may not see this read, nor its forms
    with pytest.raises(AccessDeniedError, match="belongs to another reader"):
        verify_form(adjudicated.login("reader2"), rid, "3m", forms["reader1"])

    # no export with this hash
    for checker in users:
        check = verify_form(sessions[checker], rid, "3m", _flip(forms["reader1"]))
        assert not check.ok and check.message.startswith("NOT VERIFIED: no export of the response form")


def test_the_adjudicator_is_told_a_reader_s_form_is_superseded(adjudicated: Adjudicated, tmp_path: Path) -> None:
    rid = adjudicated.read_a
    reader = adjudicated.login("reader1")
    adjudicator = adjudicated.login("adjudicator")
    printed = write_form(reader, rid, "3m", tmp_path / "form.pdf").sha256
    check = verify_form(adjudicator, rid, "3m", printed)
    assert check.ok and "exported by reader A on" in check.message and "reader1" not in check.message
    reader.amend(rid, "3m", "comment corrected after review")
    reader.set_timepoint(rid, "3m", comment="corrected")
    reader.sign(rid, "3m", PASSWORDS["reader1"])
    for session in (adjudicator, reader):
        check = verify_form(session, rid, "3m", printed)
        assert not check.ok and "superseded" in check.message and "version 1 printed, version 2" in check.message
    assert "reader1" not in verify_form(adjudicator, rid, "3m", printed).message


def test_the_adjudicator_is_told_a_read_changed_since_and_the_command_answers_him(
    adjudicated: Adjudicated, tmp_path: Path
) -> None:
    rid = adjudicated.read_a
    reader = adjudicated.login("reader1")
    printed = write_form(reader, rid, "3m", tmp_path / "form.pdf").sha256
    mine = write_form(adjudicated.login("adjudicator"), rid, "3m", tmp_path / "adj.pdf").sha256

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "sfrt_reader", "verify-form", "--read", str(rid), "--db"]
        command += [str(adjudicated.database), "--user", "adjudicator", "--password-stdin", *extra]
        return subprocess.run(
            command, input=PASSWORDS["adjudicator"] + "\n", capture_output=True, text=True, env=os.environ
        )

    for digest in (printed, mine):
        ok = run("--timepoint", "3m", "--sha256", digest)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert ok.stdout.startswith("VERIFIED") and "reader1" not in ok.stdout
    missing = run("--timepoint", "3m", "--sha256", _flip(printed))
    assert missing.returncode == 1 and missing.stdout.startswith("NOT VERIFIED: no export")

    # a baseline measurement changed behind the application: the 3m form's change from baseline no longer holds
    adjudicated.service.db.close()
    connection = sqlite3.connect(adjudicated.database)
    changed = connection.execute(
        "UPDATE measurement SET diameter_mm = diameter_mm + 7 WHERE assessment_id IN (SELECT id FROM "
        "timepoint_assessment WHERE label = 'baseline' AND read_id = ?)",
        (rid,),
    ).rowcount
    connection.commit()
    connection.close()
    assert changed >= 1
    for digest in (printed, mine):
        stale = run("--timepoint", "3m", "--sha256", digest)
        assert stale.returncode == 1, stale.stdout + stale.stderr
        assert "no longer gives it" in stale.stdout and "read changed after the export" in stale.stdout
        assert "reader1" not in stale.stdout and "Traceback" not in stale.stderr
