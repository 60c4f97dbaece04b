"""The append-only audit trail: each event hashes the previous one (a SHA-256 chain).

The hash covers the event's number, time, actor, action, entity, before/after values and reason, plus the previous
event's hash, so that changing, deleting or inserting any row behind the application's back breaks the chain at
that row. The `audit_head` row keeps the number and hash of the last event, so deleting the newest events is
caught too. (Someone who rewrites the whole chain and the head can defeat any unkeyed chain: record the head hash
printed by `sfrt-reader audit show` in the trial master file to pin it.)

Identifiers never enter the trail: events about a subject's identity record a hash of the identifiers only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sfrt_reader.reading.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling for one value: sorted keys, no spaces, dates as ISO text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(
    prev_hash: str,
    number: int,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    before: str | None,
    after: str | None,
    reason: str | None,
) -> str:
    payload = canonical_json([prev_hash, number, at, actor, action, entity, entity_id, before, after, reason])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def utc_stamp(moment: datetime | None = None) -> str:
    """UTC time as ISO 8601 with microseconds and a Z, the form stored and hashed."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's (write) transaction, so the change and its record commit together."""
    head = session.get(AuditHead, 1)
    if head is None:
        raise RuntimeError("audit_head row missing: the database was not created by open_database")
    number = head.last_id + 1
    at = utc_stamp()
    before_text = None if before is None else canonical_json(before)
    after_text = None if after is None else canonical_json(after)
    key = None if entity_id is None else str(entity_id)
    digest = event_hash(head.last_hash, number, at, actor, action, entity, key, before_text, after_text, reason)
    event = AuditEvent(
        id=number,
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=key,
        before=before_text,
        after=after_text,
        reason=reason,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(event)
    head.last_id = number
    head.last_hash = digest
    session.flush()
    return event


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `verify`: `problem` is the first broken link in words, None when the chain is intact."""

    events: int
    head_hash: str
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _events(session: Session) -> Iterator[AuditEvent]:
    yield from session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000))


def verify(session: Session) -> VerifyReport:
    """Walk the chain from the first event; report the first row that was changed, deleted or inserted."""
    expected_prev = GENESIS
    expected_number = 1
    count = 0
    for event in _events(session):
        count += 1
        if event.id != expected_number:
            if event.id > expected_number:
                gap = f"{expected_number}" if event.id == expected_number + 1 else f"{expected_number}-{event.id - 1}"
                return VerifyReport(count, expected_prev, f"event {gap} is missing: deleted behind the application")
            return VerifyReport(count, expected_prev, f"event {event.id} is out of sequence: inserted from outside")
        if event.prev_hash != expected_prev:
            return VerifyReport(
                count,
                expected_prev,
                f"event {event.id}: its link to event {event.id - 1} is broken "
                "(an event was inserted, deleted or altered before it)",
            )
        digest = event_hash(
            event.prev_hash,
            event.id,
            event.at,
            event.actor,
            event.action,
            event.entity,
            event.entity_id,
            event.before,
            event.after,
            event.reason,
        )
        if digest != event.hash:
            return VerifyReport(
                count, expected_prev, f"event {event.id} ({event.action} {event.entity}): changed after it was written"
            )
        expected_prev = event.hash
        expected_number += 1
    head = session.get(AuditHead, 1)
    if head is None:
        return VerifyReport(count, expected_prev, "the audit head row is missing: deleted behind the application")
    if head.last_id != count or head.last_hash != expected_prev:
        return VerifyReport(
            count,
            expected_prev,
            f"the chain ends at event {count} but the audit head records event {head.last_id}: "
            "the newest events were deleted or the head was altered",
        )
    return VerifyReport(count, expected_prev, None)
