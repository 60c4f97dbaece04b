"""Central review: blinding by construction, own reads only, adjudication when the two reads disagree."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sfrt_reader.reading import AccessDeniedError, ReaderSession, ReadingService, WorkflowError
from tests.reading.conftest import IDENTITIES, INSTITUTION, PASSWORD, RT_END, RT_START, STUDY_DATES
from tests.reading.test_workflow import read_baseline, read_follow_up


def complete_read(session: ReaderSession, pseudonym: str, sums: tuple[float, float]) -> int:
    """Baseline sum 100 mm (T1 80 + node 20), then 3m and 6m with T1 given, node 12 mm; all signed."""
    read_id = session.open_read(pseudonym).read_id
    read_baseline(session, read_id)
    session.sign(read_id, "baseline", PASSWORD)
    for label, t1 in zip(("3m", "6m"), sums, strict=True):
        read_follow_up(session, read_id, label, t1=t1)
        session.sign(read_id, label, PASSWORD)
    return read_id


def identifier_strings() -> list[str]:
    """Every identifier of the demo subjects, in the spellings a leak could take."""
    out = [INSTITUTION, "SD01"]
    for pid, name, birth, arm in IDENTITIES.values():
        family, given = name.split("^")
        out += [pid, name, family, given, birth.isoformat(), birth.strftime("%Y%m%d"), f'"{arm}"']
    for day in [*STUDY_DATES.values(), RT_END, RT_START]:
        out += [day.isoformat(), day.strftime("%Y%m%d"), day.strftime("%d/%m/%Y")]
    out += [f"ACC{pid[-5:]}" for pid, *_ in IDENTITIES.values()]
    return out


def everything_visible(session: ReaderSession) -> str:
    """All a session can be asked for, serialised: worklist, reads, every version, adjudications."""
    parts: list[object] = [repr(session)]
    for subject in session.worklist():
        parts.append(subject.to_dict())
    read_ids = set(session.my_reads())
    if session.role == "adjudicator":
        for adj in session.adjudications():
            parts.append(adj.to_dict())
            read_ids |= {adj.read_a, adj.read_b}
    for read_id in sorted(read_ids):
        view = session.view(read_id)
        parts.append(view.to_dict())
        for tp in view.timepoints:
            parts.extend(h.to_dict() for h in session.history(read_id, tp.label))
    return json.dumps(parts, default=str)


def test_blinded_sessions_see_no_identifier(central_service: ReadingService) -> None:
    r1 = central_service.login("reader1", PASSWORD)
    r2 = central_service.login("reader2", PASSWORD)
    complete_read(r1, "P-001", (40.0, 40.0))  # PR
    complete_read(r2, "P-001", (75.0, 75.0))  # SD: adjudication
    r1.open_read("P-002")
    adjudicator = central_service.login("adj", PASSWORD)
    assert adjudicator.adjudications(), "the test needs an adjudication to look through"
    for session in (r1, r2, adjudicator):
        assert session.blinded
        text = everything_visible(session)
        assert "P-001" in text and "129" in text  # pseudonyms and days are there...
        leaks = [s for s in identifier_strings() if s in text]
        assert leaks == []  # ...identifiers, arm, site and calendar dates are not
        with pytest.raises(AccessDeniedError, match="blinded"):
            session.identity("P-001")


def test_unblinded_local_session_can_see_identity(local_service: ReadingService) -> None:
    """The control of the leak test: the identifiers are in the database and an unblinded session gets them."""
    session = local_service.login("reader1", PASSWORD)
    assert not session.blinded
    identity = session.identity("P-001")
    assert (identity.patient_id, identity.patient_name, identity.birth_date) == IDENTITIES["P-001"][:3]
    assert identity.arm == "SFRT" and identity.site_name == INSTITUTION
    assert {s.study_date for s in identity.studies} == set(STUDY_DATES.values())
    assert date(2025, 12, 20).isoformat() in json.dumps(identity.to_dict())
    # ...but never in a repr, which may end up in a log or a traceback.
    for text in (repr(identity), repr(identity.studies), repr(session)):
        assert [s for s in identifier_strings() if s in text] == []


def test_central_reader_sees_only_own_reads(central_service: ReadingService) -> None:
    r1 = central_service.login("reader1", PASSWORD)
    r2 = central_service.login("reader2", PASSWORD)
    read1 = r1.open_read("P-001").read_id
    r2.open_read("P-001")
    with pytest.raises(AccessDeniedError, match="only his or her own reads"):
        r2.view(read1)
    with pytest.raises(AccessDeniedError):
        r2.record_measurement(read1, "baseline", "T1", diameter_mm=10.0)
    with pytest.raises(WorkflowError, match="already has 2 read"):
        central_service.login("reader3", PASSWORD).open_read("P-001")
    # The worklist shows each reader his own progress only.
    r1.start_timepoint(read1, "baseline")
    tps1 = {t.label: t.status for t in r1.worklist()[0].timepoints}
    tps2 = {t.label: t.status for t in r2.worklist()[0].timepoints}
    assert tps1["baseline"] == "draft" and tps2["baseline"] == "not_started"


def test_agreeing_reads_need_no_adjudication(central_service: ReadingService) -> None:
    complete_read(central_service.login("reader1", PASSWORD), "P-001", (40.0, 40.0))
    complete_read(central_service.login("reader2", PASSWORD), "P-001", (45.0, 42.0))  # both PR, no PD
    assert central_service.login("adj", PASSWORD).adjudications() == []


def test_discordant_reads_go_to_the_adjudicator(central_service: ReadingService) -> None:
    r1 = central_service.login("reader1", PASSWORD)
    r2 = central_service.login("reader2", PASSWORD)
    read_a = complete_read(r1, "P-001", (40.0, 40.0))  # PR, no progression
    adjudicator = central_service.login("adj", PASSWORD)
    assert adjudicator.adjudications() == []  # one read alone is never adjudicated
    # Reader 2: 3m sum 75 + 12 = 87 (SD against baseline 100), 6m 110 + 12 = 122 >= 1.2 x nadir 87: PD.
    read_b = complete_read(r2, "P-001", (75.0, 110.0))
    [adj] = adjudicator.adjudications()
    assert adj.status == "pending" and (adj.read_a, adj.read_b) == (read_a, read_b)
    # Progression on 30 Jul 2026, 222 days after the baseline scan of 20 Dec 2025.
    assert adj.triggers == (
        "recist1.1 best overall response: PR (A) vs SD (B)",
        "recist1.1 progression day: None (A) vs 222 (B)",
        "choi best overall response: PR (A) vs SD (B)",
        "choi progression day: None (A) vs 222 (B)",
    )
    assert adjudicator.view(read_a).reader == "A" and adjudicator.view(read_b).reader == "B"
    # The adjudicator does not learn who read what: signatures show A and B too.
    assert {tp.signature.signer for tp in adjudicator.view(read_b).timepoints} == {"B"}
    assert "reader1" not in everything_visible(adjudicator) and "reader2" not in everything_visible(adjudicator)
    assert {tp.signature.signer for tp in r2.view(read_b).timepoints} == {"reader2"}
    with pytest.raises(AccessDeniedError):
        r1.adjudicate(adj.adjudication_id, "A", "reader A measured correctly", PASSWORD)
    with pytest.raises(WorkflowError, match="needs a reason"):
        adjudicator.adjudicate(adj.adjudication_id, "A", "ok", PASSWORD)
    decided = adjudicator.adjudicate(
        adj.adjudication_id, "B", "T1 grows on the 6-month scan; reader A measured a necrotic rim", PASSWORD
    )
    assert (decided.status, decided.chosen) == ("decided", "B")
    assert adjudicator.adjudications()[0].rationale.startswith("T1 grows")
    rows = {r.read_id: r for r in central_service.list_reads()}
    assert (rows[read_a].adjudication, rows[read_b].adjudication) == ("not chosen", "chosen")
    assert rows[read_b].signed == ("baseline", "3m", "6m") and rows[read_b].best["recist1.1"] == "SD"
    with pytest.raises(WorkflowError, match="not pending"):
        adjudicator.adjudicate(adj.adjudication_id, "A", "second thoughts here", PASSWORD)
