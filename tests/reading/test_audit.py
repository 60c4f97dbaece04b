"""The audit trail: every change recorded with who, when, before/after and why; tampering caught by verify."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from sfrt_reader.reading import ReadingService
from sfrt_reader.reading.models import AuditEvent
from tests.reading.conftest import IDENTITIES, PASSWORD
from tests.reading.test_workflow import read_baseline


@pytest.fixture
def signed_service(local_service: ReadingService) -> ReadingService:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    read_baseline(session, read_id)
    session.sign(read_id, "baseline", PASSWORD)
    session.amend(read_id, "baseline", "T1 measured on the wrong slice")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=82.0, mean_hu=45.0, unit="HU")
    return local_service


def events(service: ReadingService) -> list[AuditEvent]:
    return service.db.read(lambda s: list(s.query(AuditEvent).order_by(AuditEvent.id)))


def test_events_record_who_when_what_and_why(signed_service: ReadingService) -> None:
    log = events(signed_service)
    assert signed_service.audit_verify().ok
    actions = [(e.actor, e.action, e.entity) for e in log]
    assert ("reader1", "sign", "timepoint") in actions
    amend = next(e for e in log if e.action == "amend")
    assert amend.reason == "T1 measured on the wrong slice"
    assert json.loads(amend.before)["status"] == "signed" and json.loads(amend.after)["version"] == 2
    change = log[-1]
    assert (change.action, change.entity) == ("update", "measurement")
    assert json.loads(change.before)["diameter_mm"] == 80.0 and json.loads(change.after)["diameter_mm"] == 82.0
    stamp = datetime.strptime(change.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 3600
    assert [e.id for e in log] == list(range(1, len(log) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(log))


def test_audit_trail_holds_no_identifier(signed_service: ReadingService) -> None:
    dump = json.dumps([[e.before, e.after, e.reason, e.entity_id] for e in events(signed_service)])
    for pid, name, birth, _arm in IDENTITIES.values():
        for value in (pid, name, name.split("^")[0], birth.isoformat()):
            assert value not in dump


def _raw(service: ReadingService, sql: str, **params: object) -> None:
    with service.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_row_changed_behind_the_application_is_caught(signed_service: ReadingService) -> None:
    sign = next(e for e in events(signed_service) if e.action == "sign")
    _raw(signed_service, f"UPDATE audit_event SET actor = 'reader2' WHERE id = {sign.id}")
    report = signed_service.audit_verify()
    assert not report.ok
    assert report.problem == f"event {sign.id} (sign timepoint): changed after it was written"


def test_value_edited_in_before_after_is_caught(signed_service: ReadingService) -> None:
    last = events(signed_service)[-1]
    forged = last.after.replace("82.0", "60.0")
    _raw(signed_service, "UPDATE audit_event SET after = :forged WHERE id = :id", forged=forged, id=last.id)
    assert signed_service.audit_verify().problem.startswith(f"event {last.id} (update measurement): changed")


def test_deleted_row_is_caught(signed_service: ReadingService) -> None:
    _raw(signed_service, "DELETE FROM audit_event WHERE id = 5")
    assert signed_service.audit_verify().problem == "event 5 is missing: deleted behind the application"


def test_deleted_newest_rows_are_caught(signed_service: ReadingService) -> None:
    n = len(events(signed_service))
    _raw(signed_service, f"DELETE FROM audit_event WHERE id >= {n - 1}")
    problem = signed_service.audit_verify().problem
    assert problem is not None and f"ends at event {n - 2} but the audit head records event {n}" in problem


def test_inserted_row_is_caught(signed_service: ReadingService) -> None:
    log = events(signed_service)
    # Renumber to make room, then insert a forged event that links to its predecessor's real hash.
    _raw(signed_service, "UPDATE audit_event SET id = id + 1000 WHERE id >= 4")
    _raw(
        signed_service,
        "INSERT INTO audit_event (id, at, actor, action, entity, entity_id, before, after, reason, prev_hash, hash) "
        f"VALUES (4, '{log[3].at}', 'boss', 'sign', 'timepoint', '1', NULL, NULL, NULL, '{log[2].hash}', "
        f"'{'f' * 64}')",
    )
    problem = signed_service.audit_verify().problem
    assert problem == "event 4 (sign timepoint): changed after it was written"


def test_measurement_changed_behind_the_application_is_caught(signed_service: ReadingService) -> None:
    last = events(signed_service)[-1]
    assert signed_service.audit_verify().ok
    _raw(signed_service, "UPDATE measurement SET diameter_mm = 60.0 WHERE id = :id", id=int(last.entity_id))
    problem = signed_service.audit_verify().problem
    assert problem == (
        f"measurement {last.entity_id} (lesion T1) differs from its last audited value: changed behind the application"
    )


def test_signed_timepoint_changed_behind_the_application_is_caught(signed_service: ReadingService) -> None:
    # Version 1 of baseline is signed (and superseded); alter its comment directly.
    _raw(signed_service, "UPDATE timepoint_assessment SET comment = 'forged' WHERE version = 1")
    problem = signed_service.audit_verify().problem
    assert problem is not None and "timepoint baseline version 1 of read" in problem and "after signing" in problem


def test_measurement_deleted_behind_the_application_is_caught(signed_service: ReadingService) -> None:
    last = events(signed_service)[-1]
    _raw(signed_service, "DELETE FROM measurement WHERE id = :id", id=int(last.entity_id))
    problem = signed_service.audit_verify().problem
    assert problem == f"measurement {last.entity_id} (lesion T1) is missing: deleted behind the application"
