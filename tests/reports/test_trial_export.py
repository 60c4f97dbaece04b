"""What leaves the workstation from the demo's central review: the trial manager's `export --all`, the SR of an
adjudicated read, and every export of a blinded read walked for identifiers.

The scenario is the `sfrt-reader demo` database (three subjects, readers reader1 and reader2, an adjudicator)
plus a trial manager, read through the session API (set-up, not what is tested):
- demo-02: both readers read every timepoint and disagree at 6 months; the adjudicator chooses reader 2's read.
- demo-01: reader 1 signs baseline, 3m and 6m, drafts 9m with T1 drawn twice as long as the truth (a progression
  nobody has signed), then amends 3m (T1 drawn 10% longer, still a draft).
- demo-03: reader 2 has measured the baseline but not signed it.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pydicom
import pytest
from argon2 import PasswordHasher

from sfrt_reader.commands.demo import DEMO_SITES, prepare_demo
from sfrt_reader.measurement.lines import Line
from sfrt_reader.reading import ReadingService, open_database, passwords
from sfrt_reader.reports.forms import write_form, write_summary
from sfrt_reader.reports.sr import write_sr
from sfrt_reader.reports.tables import adjudication_states, build_tables, contexts_for, write_csv, write_xlsx
from tests.reading.dicom_leaks import leaks
from tests.reports.test_reports import identifiers
from tests.ui.adjudication_helpers import PASSWORDS, make_discordant

MANAGER, MANAGER_PASSWORD = "boss", "trial manager password"
RATIONALE = "Reader B follows the enhancing margin at 6 months; reader A stops short of the posterior edge"
AMEND_FACTOR, DRAFT_FACTOR = 1.1, 2.0


@dataclass
class Scenario:
    service: ReadingService
    database: Path
    truth: dict[str, Any]
    reads: dict[tuple[str, str], int]  # (subject, reader) -> read number


def _subject(truth: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    return next(s for s in truth["subjects"] if s["subject"] == pseudonym)


def _ld(subject: dict[str, Any], label: str, factor: float = 1.0) -> float:
    tp = next(t for t in subject["timepoints"] if t["label"] == label)
    return round(factor * math.dist(*tp["lesions"]["T1"]["longest_axial_line_lps"]), 1)


def _measure(session: Any, read_id: int, subject: dict[str, Any], label: str, factor: float = 1.0) -> None:
    tp = next(t for t in subject["timepoints"] if t["label"] == label)
    a, b = (np.asarray(p, dtype=float) for p in tp["lesions"]["T1"]["longest_axial_line_lps"])
    c = (a + b) / 2
    line = Line(tuple((c + (a - c) * factor).tolist()), tuple((c + (b - c) * factor).tolist()))
    session.record_measurement(
        read_id,
        label,
        "T1",
        diameter_mm=_ld(subject, label, factor),
        mean_hu=round(float(tp["lesions"]["T1"]["mean"]), 1),
        unit="HU",
        objects=[line.to_dict()],
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, demo_trial: Path) -> Iterator[Scenario]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
        root = tmp_path_factory.mktemp("demo-db")
        (root / "trial").symlink_to(demo_trial, target_is_directory=True)
        setup = prepare_demo(root, "central", 128, quiet=True)
        truth = json.loads((demo_trial / "ground_truth.json").read_text())
        service = ReadingService(open_database(setup.database))
        service.add_reader(MANAGER, "Trial Manager", "manager", MANAGER_PASSWORD, actor="test")
        reads: dict[tuple[str, str], int] = {}
        a, b = make_discordant(service, truth, "demo-02")
        reads[("demo-02", "reader1")], reads[("demo-02", "reader2")] = a, b
        adjudicator = service.login("adjudicator", PASSWORDS["adjudicator"])
        (adj,) = adjudicator.adjudications()
        adjudicator.adjudicate(adj.adjudication_id, "B", RATIONALE, PASSWORDS["adjudicator"])

        r1 = service.login("reader1", PASSWORDS["reader1"])
        s01 = _subject(truth, "demo-01")
        rid = r1.open_read("demo-01").read_id
        reads[("demo-01", "reader1")] = rid
        for label in ("baseline", "3m", "6m"):
            r1.start_timepoint(rid, label)
            if label == "baseline":
                r1.add_lesion(rid, "T1", "target", "thigh")
            _measure(r1, rid, s01, label)
            r1.sign(rid, label, PASSWORDS["reader1"])
        r1.start_timepoint(rid, "9m")
        _measure(r1, rid, s01, "9m", DRAFT_FACTOR)
        r1.amend(rid, "3m", "T1 re-measured along the enhancing margin")
        _measure(r1, rid, s01, "3m", AMEND_FACTOR)

        r2 = service.login("reader2", PASSWORDS["reader2"])
        rid3 = r2.open_read("demo-03").read_id
        reads[("demo-03", "reader2")] = rid3
        r2.start_timepoint(rid3, "baseline")
        r2.add_lesion(rid3, "T1", "target", "thigh")
        _measure(r2, rid3, _subject(truth, "demo-03"), "baseline")
        yield Scenario(service, setup.database, truth, reads)
        service.db.close()


def _export(scenario: Scenario, tmp: Path, *extra: str, user: str = MANAGER) -> subprocess.CompletedProcess[str]:
    password = MANAGER_PASSWORD if user == MANAGER else PASSWORDS[user]
    args = ["export", *extra, "--user", user, "--password-stdin", "--db", str(scenario.database)]
    done = subprocess.run(
        [sys.executable, "-m", "sfrt_reader", *args],
        input=password + "\n",
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_all_gives_the_latest_signed_version_per_subject_reader_and_timepoint(
    scenario: Scenario, tmp_path: Path
) -> None:
    done = _export(scenario, tmp_path, "--format", "csv", "--all", "-o", str(tmp_path / "trial.csv"))
    lesions = pd.read_csv(tmp_path / "trial_lesions.csv")
    tps = pd.read_csv(tmp_path / "trial_timepoints.csv")
    # Central reads: no identifier columns at all; only signed rows; one row per subject, reader and timepoint.
    assert "patient_id" not in tps.columns and "study_date" not in tps.columns
    assert set(tps["status"]) == {"signed"} and set(lesions["status"]) == {"signed"}
    assert not tps.duplicated(["subject", "reader", "timepoint"]).any()
    got = {key: list(frame["timepoint"]) for key, frame in tps.groupby(["subject", "reader"], sort=True)}
    labels = [t["label"] for t in _subject(scenario.truth, "demo-02")["timepoints"]]
    assert got == {
        ("demo-01", "reader1"): ["baseline", "3m", "6m"],
        ("demo-02", "reader1"): labels,
        ("demo-02", "reader2"): labels,
    }
    # The adjudicated subject: reader 2's read chosen, reader 1's not, in both tables; nobody else adjudicated.
    for frame in (tps, lesions):
        flags = {key: set(g["adjudication"].fillna("")) for key, g in frame.groupby(["subject", "reader"])}
        assert flags == {
            ("demo-01", "reader1"): {""},
            ("demo-02", "reader1"): {"not chosen"},
            ("demo-02", "reader2"): {"chosen"},
        }
    # demo-01 3m: the signed version 1 with the truth's diameter, flagged as being amended; 9m (draft) absent.
    s01 = _subject(scenario.truth, "demo-01")
    row = lesions[(lesions["subject"] == "demo-01") & (lesions["timepoint"] == "3m")].iloc[0]
    assert (row["timepoint_version"], bool(row["amendment_open"])) == (1, True)
    assert row["longest_diameter_mm"] == pytest.approx(_ld(s01, "3m"), abs=1e-9)
    assert not lesions[lesions["subject"] == "demo-01"].query("timepoint != '3m'")["amendment_open"].any()
    # Best response from the signed timepoints only: SD without progression, although the read's stored result
    # (which counts the 9m draft) already says progression at day 323.
    stored = scenario.service.login(MANAGER, MANAGER_PASSWORD).view(scenario.reads[("demo-01", "reader1")]).results
    assert stored is not None and stored["recist1.1"]["progression_day"] == 323
    mine = tps[tps["subject"] == "demo-01"]
    assert set(mine["recist_best_overall_response"]) == {"SD"}
    assert mine["recist_progression_day"].isna().all() and mine["choi_progression_day"].isna().all()
    # The manager is told what was left out.
    unsigned = scenario.reads[("demo-03", "reader2")]
    assert f"read(s) {unsigned} have no signed timepoint yet: no rows" in done.stdout
    # demo-01's 3m amendment and 9m, demo-03's baseline.
    assert "3 draft timepoint(s) left out (add --include-drafts to see them)" in done.stdout


def test_include_drafts_adds_marked_draft_rows_and_keeps_the_signed_ones(scenario: Scenario, tmp_path: Path) -> None:
    _export(scenario, tmp_path, "--format", "xlsx", "--all", "--include-drafts", "-o", str(tmp_path / "t.xlsx"))
    sheets = pd.read_excel(tmp_path / "t.xlsx", sheet_name=None)
    lesions, tps = sheets["lesions"], sheets["timepoints"]
    s01 = _subject(scenario.truth, "demo-01")
    mine = lesions[lesions["subject"] == "demo-01"]
    columns = ["timepoint", "timepoint_version", "status", "longest_diameter_mm"]
    rows = sorted(tuple(r) for r in mine[columns].itertuples(index=False))
    assert rows == sorted(
        [
            ("baseline", 1, "signed", _ld(s01, "baseline")),
            ("3m", 1, "signed", _ld(s01, "3m")),
            ("3m", 2, "draft", _ld(s01, "3m", AMEND_FACTOR)),
            ("6m", 1, "signed", _ld(s01, "6m")),
            ("9m", 1, "draft", _ld(s01, "9m", DRAFT_FACTOR)),
        ]
    )
    # The draft 9m row has its own provisional response (PD), but the read's best response stays the signed one.
    nine = tps[(tps["subject"] == "demo-01") & (tps["timepoint"] == "9m")].iloc[0]
    assert (nine["status"], nine["recist_overall"], nine["recist_best_overall_response"]) == ("draft", "PD", "SD")
    # demo-03's unsigned baseline appears now, as a draft.
    three = tps[tps["subject"] == "demo-03"]
    assert list(zip(three["timepoint"], three["status"], strict=True)) == [("baseline", "draft")]
    # The dictionary explains the status and amendment columns.
    dictionary = sheets["dictionary"].set_index(["table", "column"])
    assert "include-drafts" in dictionary.loc[("timepoints", "status"), "meaning"]
    assert "amended" in dictionary.loc[("lesions", "amendment_open"), "meaning"]


def test_include_drafts_is_refused_for_sr(scenario: Scenario, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sfrt_reader", "export", "--format", "sr", "--all", "--include-drafts", "-o",
         str(tmp_path / "sr"), "--user", MANAGER, "--password-stdin", "--db", str(scenario.database)],
        input=MANAGER_PASSWORD + "\n", capture_output=True, text=True, env=os.environ,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--include-drafts is for csv and xlsx" in done.stderr
    assert not (tmp_path / "sr").exists()


def test_adjudicator_all_is_the_adjudicated_reads(scenario: Scenario, tmp_path: Path) -> None:
    _export(scenario, tmp_path, "--format", "csv", "--all", "-o", str(tmp_path / "adj.csv"), user="adjudicator")
    tps = pd.read_csv(tmp_path / "adj_timepoints.csv")
    # The adjudicator sees the two reads as A and B, not the readers' names.
    assert set(tps["subject"]) == {"demo-02"} and set(tps["reader"]) == {"A", "B"}
    assert dict(zip(tps["reader"], tps["adjudication"], strict=False)) == {"A": "not chosen", "B": "chosen"}


def _sr_tree(path: Path) -> str:
    return subprocess.run(["dsrdump", "+Pl", str(path)], capture_output=True, text=True, check=True).stdout


def test_sr_of_an_adjudicated_read_says_chosen_or_not_with_the_rationale(scenario: Scenario, tmp_path: Path) -> None:
    manager = scenario.service.login(MANAGER, MANAGER_PASSWORD)
    for reader, state, code in (("reader2", "Chosen", "CHOSEN"), ("reader1", "Not chosen", "NOTCHOSEN")):
        paths = write_sr(manager, scenario.reads[("demo-02", reader)], tmp_path / reader, record=False)
        for path in paths:
            check = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
            assert [x for x in (check.stdout + check.stderr).splitlines() if x.startswith("Error")] == []
            tree = _sr_tree(path)
            assert f'"Central review adjudication of this read")=({code},99SFRT,"{state} by the adjudicator")' in tree
            assert f'<contains TEXT:(,,"Adjudication rationale")="{RATIONALE}">' in tree
    # The reader's own export says nothing about it.
    reader = scenario.service.login("reader1", PASSWORDS["reader1"])
    for path in write_sr(reader, scenario.reads[("demo-02", "reader1")], tmp_path / "own", record=False):
        tree = _sr_tree(path)
        assert "adjudicat" not in tree.lower() and RATIONALE not in tree


# ----- blinding: every exported value of a blinded central read -----


def _secrets(subject: dict[str, Any]) -> list[str]:
    """Identifiers, calendar dates, the site (code and name) and the referring physician of the subject."""
    out = identifiers(subject)
    ident = subject["identity"]
    out += [part for part in ident["referring_physician"].split("^") if len(part) > 2]
    out += [ident["institution"], DEMO_SITES[ident["institution"]]]
    return out


def _check_value(value: Any, subject: dict[str, Any], where: str) -> None:
    text = str(value).strip()
    if not text:
        return
    low = text.lower()
    for secret in _secrets(subject):
        assert secret.lower() not in low, f"{where}: {text!r} holds {secret!r}"
    # The arm: no value is or holds an arm name as a word of its own (the form's identifier SFRT-RF and the
    # private coding scheme 99SFRT are not), no value gives an arm ("arm: SFRT").
    assert text != subject["arm"], f"{where}: {text!r} names the arm"
    assert not re.search(r"(?<![\w-])(sfrt|crt)(?![\w-])", low), f"{where}: {text!r} names an arm"
    assert not re.search(r"\barm\b\W*(sfrt|crt|conventional|spatially)", low), f"{where}: {text!r} gives the arm"


def test_blinded_exports_hold_no_identifier_date_site_or_arm(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario.service.login("reader2", PASSWORDS["reader2"])
    assert s.blinded
    rid = scenario.reads[("demo-02", "reader2")]
    subject = _subject(scenario.truth, "demo-02")
    tables = build_tables(contexts_for(s, [rid]), adjudication_states(s))
    checked = 0
    for path in write_csv(tables, tmp_path / "t.csv"):
        for column, values in pd.read_csv(path, dtype=str, keep_default_na=False).items():
            _check_value(column, subject, path.name)
            for value in values:
                _check_value(value, subject, f"{path.name}:{column}")
                checked += 1
    write_xlsx(tables, tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                _check_value("" if value is None else value, subject, f"t.xlsx:{sheet.title}")
                checked += 1
    for path in write_sr(s, rid, tmp_path / "sr", record=False):
        assert leaks(path, _secrets(subject)) == []
        ds = pydicom.dcmread(path)
        for element in [*ds.file_meta.iterall(), *ds.iterall()]:
            if element.VR in ("SQ", "UI", "OB", "OW"):
                continue
            _check_value(element.value, subject, f"{path.name}:{element.keyword}")
            checked += 1
        # The pseudonym stands for the patient; the study date is the de-identified copy's (shifted).
        assert str(ds.PatientID) == "demo-02" and str(ds.PatientName).rstrip("^") == "demo-02"
    for name, write in (
        ("form.pdf", lambda p: write_form(s, rid, "6m", p)),
        ("summary.pdf", lambda p: write_summary(s, rid, p)),
    ):
        write(tmp_path / name)
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / name), "-"], capture_output=True, text=True)
        lines = text.stdout.splitlines()
        assert any("demo-02" in line for line in lines)
        for line in lines:
            for token in line.split():
                _check_value(token, subject, name)
            _check_value(line, subject, name)
            checked += 1
    assert checked > 500  # every table cell, every DICOM element, every PDF line was looked at
