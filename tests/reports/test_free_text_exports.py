"""Defence in depth: free text stored before the screen existed (here, stored with the screen switched off, as the
previous release stored it) goes out of a blinded export with markers instead of identifiers, counted, and with
no identifier written anywhere: PDF form and summary, CSV, DICOM SR, the log line and the audit event."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sfrt_reader.reading import ReaderSession
from sfrt_reader.reports import content as C
from sfrt_reader.reports.forms import write_form, write_summary
from sfrt_reader.reports.sr import write_sr
from sfrt_reader.reports.verify import verify_form
from tests.reports.conftest import PASSWORD, DemoRead, build_read
from tests.reports.test_reports import identifiers

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def leaky_texts(subject: dict[str, Any]) -> tuple[str, str, list[str]]:
    """A comment and an organ carrying the demo subject's name, ID, birth date, a study date and institution
    (in spellings a reader would type), and every such string to look for in the exports."""
    ident = subject["identity"]
    family, given_name = ident["patient_name"].split("^")[:2]
    name = f"{given_name.title()} {family.title()}"
    birth = date.fromisoformat(f"{ident['birth_date'][:4]}-{ident['birth_date'][4:6]}-{ident['birth_date'][6:]}")
    born = f"{birth.day} {MONTHS[birth.month - 1]} {birth.year}"
    scan = date.fromisoformat(next(t for t in subject["timepoints"] if t["label"] == "3m")["study_date"])
    scanned = f"{scan:%d.%m.%Y}"
    comment = (
        f"Compared with {name}'s outside CT of {scanned} (ID {ident['patient_id']}), born {born}, "
        f"at {ident['institution']}."
    )
    organ = f"thigh, {ident['institution']}"
    return comment, organ, [*identifiers(subject), name, scanned, born, family, given_name]


def assert_absent(text: str, secrets: list[str], what: str) -> None:
    flat = re.sub(r"\s+", "", text).lower()
    for secret in secrets:
        assert re.sub(r"\s+", "", secret).lower() not in flat, f"{what} still carries an identifier"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def leaky_central_read(
    demo_trial: Path, truth: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[DemoRead, str, list[str]]]:
    comment, organ, secrets = leaky_texts(truth["subjects"][0])
    with monkeypatch.context() as unscreened:
        unscreened.setattr(ReaderSession, "_refuse_identifying", lambda *args: None)
        read = build_read(demo_trial, truth, tmp_path, "central", comments={"3m": comment}, t1_organ=organ)
    yield read, comment, secrets
    read.service.db.close()


def test_blinded_form_and_summary_carry_markers_not_identifiers(
    leaky_central_read: tuple[DemoRead, str, list[str]], tmp_path: Path
) -> None:
    read, comment, secrets = leaky_central_read
    s, rid = read.session, read.read_id
    form = write_form(s, rid, "3m", tmp_path / "form.pdf")
    text = pdf_text(form.path)
    assert_absent(text, secrets, "the blinded form")
    flat = " ".join(text.split())
    for marker in ("patient name", "patient ID", "birth date", "date", "institution"):
        assert f"[removed: {marker}]" in flat
    # comment: name, scan date, ID, birth date, institution; the T1 row's organ: institution
    assert form.removed == 6
    event = read.service.audit_events(last=1)[0]
    assert event["after"]["free_text_removed"] == 6 and event["after"]["form_version"] == "1.2"
    assert_absent(json.dumps(event), secrets, "the export's audit event")
    # the redacted form is what the hash covers, and it verifies; a 1.1 form was printed with the text as stored
    assert verify_form(s, rid, "3m", form.sha256).ok
    ctx = C.gather(s, rid, with_images=False)
    assert C.form_content(s, ctx, "3m", "1.1")["comment"] == comment
    summary = write_summary(s, rid, tmp_path / "summary.pdf")
    assert_absent(pdf_text(summary.path), secrets, "the blinded summary")
    assert summary.removed == 1 and "[removed: institution]" in " ".join(pdf_text(summary.path).split())


def test_blinded_sr_carries_markers_not_identifiers(
    leaky_central_read: tuple[DemoRead, str, list[str]], tmp_path: Path
) -> None:
    read, _, secrets = leaky_central_read
    paths = write_sr(read.session, read.read_id, tmp_path / "sr")
    # the organ (finding site) of T1 in every timepoint's SR, and the 3m comment's five identifiers
    assert paths.removed == len(read.labels) + 5
    for path in paths:
        dump = subprocess.run(["dcmdump", "+U8", "+L", str(path)], capture_output=True, text=True, check=True).stdout
        assert_absent(dump, secrets, path.name)
        assert "[removed: institution]" in dump
    three = next(p for p in paths if "_3m_" in p.name)
    dump = subprocess.run(["dcmdump", "+U8", "+L", str(three)], capture_output=True, text=True, check=True).stdout
    assert "[removed: patient name]" in dump and "[removed: birth date]" in dump


def test_blinded_csv_and_the_log_lines_carry_no_identifier(
    leaky_central_read: tuple[DemoRead, str, list[str]], tmp_path: Path
) -> None:
    read, _, secrets = leaky_central_read
    read.service.db.close()
    base = ["--user", "reader1", "--password-stdin", "--db", str(read.db_path)]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sfrt_reader", *args, *base],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            env=os.environ,
        )

    export = cli("export", "--format", "csv", "--read", str(read.read_id), "-o", str(tmp_path / "out.csv"))
    assert export.returncode == 0, export.stderr
    lesions = (tmp_path / "out_lesions.csv").read_text()
    assert_absent(lesions + (tmp_path / "out_timepoints.csv").read_text(), secrets, "the blinded CSV")
    assert lesions.count("[removed: institution]") == len(read.labels)  # T1's organ, one row per timepoint
    assert f"{len(read.labels)} identifier(s) removed from free text" in export.stdout
    report = cli("report", "--read", str(read.read_id), "--timepoint", "3m", "-o", str(tmp_path / "f.pdf"))
    assert report.returncode == 0, report.stderr
    assert "6 identifier(s) removed from free text" in report.stdout
    assert_absent(export.stdout + export.stderr + report.stdout + report.stderr, secrets, "the log lines")


def test_a_local_form_keeps_the_text_as_typed(
    demo_trial: Path, truth: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    comment, organ, _ = leaky_texts(truth["subjects"][0])
    with monkeypatch.context() as unscreened:
        unscreened.setattr(ReaderSession, "_refuse_identifying", lambda *args: None)
        read = build_read(demo_trial, truth, tmp_path, "local", comments={"3m": comment}, t1_organ=organ)
    try:
        ctx = C.gather(read.session, read.read_id, with_images=False)
        content = C.form_content(read.session, ctx, "3m")
        # an unblinded (site) form is an identified document: the screen refuses new identifiers at entry only
        assert content["comment"] == comment and content["targets"][0]["organ"] == organ
        assert ctx.screen is None and ctx.removed == [0]
    finally:
        read.service.db.close()
