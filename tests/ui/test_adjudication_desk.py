"""The adjudicator's desk, driven through its widgets on a central demo database where the two readers disagree.

The disagreement is set up through the session API (reader B draws T1 30% longer at 6 months); what is tested is
what the adjudicator meets: the worklist, the desk's responses and drawings, the choice, rationale and signature,
the record left in the database and audit trail, the exports, and blinding.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QPushButton

from sfrt_reader.reading import AccessDeniedError, ReadingService, open_database
from sfrt_reader.reading.records import ADJUDICATION_MEANING
from sfrt_reader.ui.adjudication_window import AdjudicationWindow
from sfrt_reader.ui.app import WorklistWindow
from sfrt_reader.ui.login import LoginDialog
from tests.ui.adjudication_helpers import PASSWORDS, STRETCH, STRETCHED_LABEL, make_discordant
from tests.ui.reading_helpers import DEMO_SUBJECT, answer_dialog, click_button, make_demo
from tests.ui.test_reading_workflow import _texts

RATIONALE = "T1 at 6 months: reader B follows the enhancing margin; reader A stops short of the posterior edge"


@pytest.fixture(scope="module")
def discordant(tmp_path_factory: pytest.TempPathFactory, demo_images: Path) -> dict[str, Any]:
    """One discordant database for the module: the tests that follow the decision accept either state."""
    database, truth = make_demo(tmp_path_factory.mktemp("desk") / "demo", demo_images, "central")
    service = ReadingService(open_database(database))
    read_a, read_b = make_discordant(service, truth, DEMO_SUBJECT)
    subject = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)
    return {"database": database, "service": service, "truth": subject, "read_a": read_a, "read_b": read_b}


def _subject_row(home: WorklistWindow, pseudonym: str) -> QModelIndex:
    tree = home.worklist.tree
    model = tree.model()
    for r in range(model.rowCount()):
        index = model.index(r, 0)
        if model.data(index) == pseudonym:
            return index
    raise AssertionError(f"{pseudonym} is not in the worklist")


def _status(home: WorklistWindow, pseudonym: str) -> str:
    index = _subject_row(home, pseudonym)
    return str(home.worklist.tree.model().data(index.siblingAtColumn(3)))


def _log_in(qtbot: Any, service: ReadingService, username: str) -> WorklistWindow:
    dialog = LoginDialog(service)
    qtbot.addWidget(dialog)
    dialog.select_user(username)
    qtbot.keyClicks(dialog.password, PASSWORDS[username])
    [log_in] = [b for b in dialog.findChildren(QPushButton) if b.text() == "Log in"]
    qtbot.mouseClick(log_in, Qt.MouseButton.LeftButton)
    assert dialog.session is not None, dialog.error.text()
    home = WorklistWindow(dialog.session)
    qtbot.addWidget(home)
    home.show()
    qtbot.waitExposed(home)
    return home


def _open_by_double_click(qtbot: Any, home: WorklistWindow, pseudonym: str) -> None:
    tree = home.worklist.tree
    rect = tree.visualRect(_subject_row(home, pseudonym))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _wait_loaded(qtbot: Any, desk: AdjudicationWindow) -> None:
    qtbot.waitUntil(lambda: not desk.tasks and len(desk.volume_of) == len(desk.images), timeout=120_000)


def _day(subject: dict[str, Any], label: str) -> int:
    return int(next(tp["day"] for tp in subject["timepoints"] if tp["label"] == label))


def _cell(desk: AdjudicationWindow, row_label: str, column: int) -> Any:
    table = desk.comparison
    for r, row in enumerate(table.rows):
        if row.label == row_label:
            return table.item(r, column)
    raise AssertionError(f"no row {row_label}")


def test_adjudicator_resolves_a_discordant_subject(qtbot, discordant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service, subject = discordant["service"], discordant["truth"]
    home = _log_in(qtbot, service, "adjudicator")
    assert _status(home, DEMO_SUBJECT) == "awaiting adjudication"
    assert home.worklist.summary.text() == "1 subjects, 1 awaiting adjudication, 0 adjudicated"
    _open_by_double_click(qtbot, home, DEMO_SUBJECT)
    desk = home.desk
    assert desk is not None, home.error.text()
    qtbot.addWidget(desk)
    _wait_loaded(qtbot, desk)
    assert not desk.errors

    # Both reads' responses, as the ground truth and reader B's stretched 6-month line give them.
    expected = subject["expected"]
    pd_a, pd_b = expected["recist1.1"]["progression_day"], _day(subject, STRETCHED_LABEL)
    assert pd_a != pd_b
    for column in (2, 4):  # RECIST A, Choi A
        assert _cell(desk, "Progression day", column).text() == f"day {pd_a}"
        assert (
            _cell(desk, STRETCHED_LABEL, column).text()
            == expected["recist1.1" if column == 2 else "choi"]["timepoints"][1]
        )  # 6m is the second follow-up
    for column in (3, 5):  # RECIST B, Choi B
        assert _cell(desk, "Progression day", column).text() == f"day {pd_b}"
        assert _cell(desk, STRETCHED_LABEL, column).text() == "PD"
    # the disagreements are highlighted, the agreements are not; the triggers are shown
    assert _cell(desk, STRETCHED_LABEL, 2).background().color().name() == "#5a4313"
    assert _cell(desk, "3m", 2).background().style() == Qt.BrushStyle.NoBrush
    assert f"RECIST 1.1 progression day: {pd_a} (A) vs {pd_b} (B)" in desk.triggers.text()
    # each pane shows its own reader's drawing at the timepoint under review, on the measured slice
    true_line = next(tp for tp in subject["timepoints"] if tp["label"] == STRETCHED_LABEL)["lesions"]["T1"]
    a, b = (np.asarray(p) for p in true_line["longest_axial_line_lps"])
    true_length = float(np.linalg.norm(b - a))
    for pane, factor in ((desk.pane_a, 1.0), (desk.pane_b, STRETCH)):
        viewport = next(vp for vp in pane.grid.viewports if vp.info.timepoint_label == STRETCHED_LABEL)
        [item] = viewport.measurements
        assert item.isVisible() and viewport.state.slice_index == item.slice_index
        assert item.value is not None and abs(float(item.value.result.length_mm) - factor * true_length) < 0.5
        assert not item.flags() & item.GraphicsItemFlag.ItemIsSelectable  # read-only
        assert pane.responses.topLevelItem(2).text(1) == ("PD" if factor != 1.0 else "SD")

    # The sign button waits for a choice and a rationale.
    decision = desk.decision
    assert not decision.sign_button.isEnabled()
    click_button(qtbot, decision.choice_b)
    assert not decision.sign_button.isEnabled()
    qtbot.keyClicks(decision.rationale, RATIONALE)
    # A wrong password records nothing and says so.
    answer_dialog(qtbot, "not-my-password")
    click_button(qtbot, decision.sign_button)
    assert "wrong password" in desk.banner.label.text()
    assert service.login("adjudicator", PASSWORDS["adjudicator"]).adjudications()[0].status == "pending"
    answer_dialog(qtbot, PASSWORDS["adjudicator"])
    click_button(qtbot, decision.sign_button)

    # Recorded: the decision, the audit event with the signature's meaning and the rationale.
    [adj] = service.login("adjudicator", PASSWORDS["adjudicator"]).adjudications()
    assert (adj.status, adj.chosen, adj.rationale) == ("decided", "B", RATIONALE)
    [event] = [e for e in service.audit_events() if e["action"] == "adjudicate"]
    assert event["actor"] == "adjudicator" and event["reason"] == RATIONALE
    assert event["after"]["chosen"] == "B" and event["after"]["read"] == discordant["read_b"]
    assert event["after"]["meaning"] == ADJUDICATION_MEANING
    assert service.audit_verify().ok
    # The desk is read-only now, and the worklist says adjudicated.
    assert not decision.sign_button.isEnabled() and not decision.choice_a.isEnabled()
    assert decision.rationale.isReadOnly() and decision.outcome.isVisible()
    assert "chosen" in desk.pane_b.title.text() and "not chosen" in desk.pane_a.title.text()
    assert _status(home, DEMO_SUBJECT) == "adjudicated"
    assert home.worklist.summary.text() == "1 subjects, 0 awaiting adjudication, 1 adjudicated"
    desk.close()
    # Reopened later, it is still decided and read-only.
    home.open_desk(DEMO_SUBJECT)
    assert home.desk is not None and home.desk.read_only and not home.desk.decision.sign_button.isEnabled()
    qtbot.addWidget(home.desk)
    home.desk.close()

    # The exports carry the adjudicated read: read B is "chosen", with its own progression day.
    out = tmp_path / "export" / "central.csv"
    out.parent.mkdir()
    command = [sys.executable, "-m", "sfrt_reader", "export", "--format", "csv", "--all", "-o", str(out)]
    command += ["--db", str(discordant["database"]), "--user", "adjudicator", "--password-stdin"]
    done = subprocess.run(
        command, input=PASSWORDS["adjudicator"] + "\n", capture_output=True, text=True, env=os.environ, check=False
    )
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(out.parent / "central_timepoints.csv")
    chosen = rows[rows["adjudication"] == "chosen"]
    assert set(chosen["read_id"]) == {discordant["read_b"]}
    assert set(rows[rows["adjudication"] == "not chosen"]["read_id"]) == {discordant["read_a"]}
    assert set(chosen["recist_progression_day"]) == {pd_b}
    assert "reader1" not in out.parent.joinpath("central_timepoints.csv").read_text()


def test_the_desk_shows_nothing_identifying(qtbot, discordant) -> None:  # type: ignore[no-untyped-def]
    service, subject = discordant["service"], discordant["truth"]
    desk = AdjudicationWindow(service.login("adjudicator", PASSWORDS["adjudicator"]), DEMO_SUBJECT)
    qtbot.addWidget(desk)
    desk.resize(1700, 1000)
    desk.show()
    _wait_loaded(qtbot, desk)
    desk.pane_a.tabs.setCurrentIndex(1)  # the lesion table too
    texts = "\n".join(_texts(desk))
    assert DEMO_SUBJECT in texts and "Reader B" in texts  # the walk does see the desk
    assert f"day {_day(subject, STRETCHED_LABEL)}" in texts
    ident = subject["identity"]
    secrets = [ident["patient_id"], ident["birth_date"], ident["institution"], *ident["accession_numbers"]]
    secrets += [part for part in ident["patient_name"].split("^") if part]
    secrets += [subject["rt_end_date"], subject["arm"]]
    secrets += [tp["study_date"] for tp in subject["timepoints"]]
    secrets += [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in (tp["study_date"] for tp in subject["timepoints"])]
    secrets += ["reader1", "reader2", "Dr A. Central Reader", "Dr B. Central Reader", "Northbridge"]
    for secret in secrets:
        assert secret.lower() not in texts.lower(), "an identifier reached a widget of the desk"
    desk.close()


def test_a_reader_cannot_open_the_desk(qtbot, discordant) -> None:  # type: ignore[no-untyped-def]
    service = discordant["service"]
    reader = service.login("reader1", PASSWORDS["reader1"])
    with pytest.raises(AccessDeniedError, match="for the adjudicator"):
        AdjudicationWindow(reader, DEMO_SUBJECT)
    home = _log_in(qtbot, service, "reader1")
    assert _status(home, DEMO_SUBJECT) == "signed"  # a reader is not told about the adjudication
    assert home.open_desk(DEMO_SUBJECT) is None
    assert "for the adjudicator" in home.error.text() and home.desk is None


def test_a_subject_without_adjudication_is_refused_in_words(qtbot, tmp_path, demo_images) -> None:  # type: ignore[no-untyped-def]
    database, _truth = make_demo(tmp_path / "demo", demo_images, "central")
    home = _log_in(qtbot, ReadingService(open_database(database)), "adjudicator")
    _open_by_double_click(qtbot, home, DEMO_SUBJECT)
    assert home.desk is None
    assert "has no adjudication" in home.error.text()


def test_a_readers_export_does_not_tell_whether_the_read_was_chosen(discordant) -> None:  # type: ignore[no-untyped-def]
    from sfrt_reader.reports.tables import adjudication_states, build_tables, contexts_for

    reader = discordant["service"].login("reader1", PASSWORDS["reader1"])
    tables = build_tables(contexts_for(reader, reader.my_reads()), adjudication_states(reader))
    assert len(tables.timepoints) == 5 and tables.timepoints["adjudication"].isna().all()
    adjudicator = discordant["service"].login("adjudicator", PASSWORDS["adjudicator"])
    states = adjudication_states(adjudicator)
    assert set(states) == {discordant["read_a"], discordant["read_b"]}
    assert states[discordant["read_a"]] in ("pending", "not chosen")  # the module's first test may have decided
