"""Registrations stored with a read: fetched when a subject is opened, stored when computed, rejected by a reader.

Why stored: registering a follow-up to the baseline takes seconds to tens of seconds per pair; a reader opens the
same subject many times. Each row is keyed by the read, the two series and a digest of the registration options
(`options_key`), so a stored result is reused only for exactly what it was computed from.

Why per read: a rejection ("does not line up") is the reader's judgement and, like everything else in a blinded
central read, must not reach the other reader.

Every store, every rejection and every withdrawal of a rejection is one transaction with its audit event (who and
when are the event's actor and time; the rejection's reason stays in the trail after a withdrawal).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sfrt_reader.imaging.errors import RegistrationInputError
from sfrt_reader.imaging.registration_result import Registration
from sfrt_reader.reading import audit
from sfrt_reader.reading.errors import NotFoundError, WorkflowError
from sfrt_reader.reading.models import StoredRegistration, utcnow
from sfrt_reader.reading.records import clean_reason

if TYPE_CHECKING:
    from sfrt_reader.reading.session import ReaderSession


def options_key(options: Any) -> str:
    """A short digest of a registration options dataclass (every field, in a canonical spelling).

    Two runs with equal options give equal keys; any change of a field (a threshold, the affine stage) gives
    another key, so a stored result is never reused for options it was not computed with."""
    if not dataclasses.is_dataclass(options) or isinstance(options, type):
        raise TypeError(f"registration options must be a dataclass instance, not {type(options).__name__}")
    text = audit.canonical_json(dataclasses.asdict(options))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _summary(row: StoredRegistration) -> dict[str, Any]:
    """What the audit trail records of a registration: the pair, verdict and metric, not the whole document."""
    return {
        "read": row.read_id,
        "fixed_series_uid": row.fixed_series_uid,
        "moving_series_uid": row.moving_series_uid,
        "options_key": row.options_key,
        "verdict": row.verdict,
        "metric_value": row.metric_value,
        "rejected": row.rejected,
    }


def _as_registration(row: StoredRegistration) -> Registration:
    reg = Registration.from_dict(row.document)
    return reg.rejected(row.rejected_reason or "no reason recorded") if row.rejected else reg


def _row(s: Session, read_id: int, fixed_uid: str, moving_uid: str, key: str) -> StoredRegistration | None:
    return s.scalar(
        select(StoredRegistration).where(
            StoredRegistration.read_id == read_id,
            StoredRegistration.fixed_series_uid == fixed_uid,
            StoredRegistration.moving_series_uid == moving_uid,
            StoredRegistration.options_key == key,
        )
    )


def stored_registrations(session: ReaderSession, read_id: int, key: str) -> dict[tuple[str, str], Registration]:
    """Every registration stored for the read with these options, by (baseline series UID, follow-up series UID).

    A rejected registration comes back with verdict `poor` and the reader's reason, so linking falls back."""

    def work(s: Session) -> dict[tuple[str, str], Registration]:
        read, _ = session._read_for_view(s, read_id)
        rows = s.scalars(
            select(StoredRegistration).where(
                StoredRegistration.read_id == read.id, StoredRegistration.options_key == key
            )
        )
        out: dict[tuple[str, str], Registration] = {}
        for row in rows:
            try:
                out[(row.fixed_series_uid, row.moving_series_uid)] = _as_registration(row)
            except RegistrationInputError:
                continue  # a document this version cannot read: it is registered again and replaced
        return out

    return session.db.read(work)


def store_registration(session: ReaderSession, read_id: int, registration: Registration, key: str) -> None:
    """Store (or replace) the registration of one pair for the reader's own read; audited.

    A pair the reader has rejected keeps its rejection: a new computation with the same options is refused, since
    it would be the same result."""
    document = registration.to_dict()

    def work(s: Session) -> None:
        read = session._read_for_change(s, read_id)
        row = _row(s, read.id, registration.fixed_series_uid, registration.moving_series_uid, key)
        if row is not None and row.rejected:
            raise WorkflowError(
                "this registration was rejected by the reader; it is not replaced by a new run with the same options"
            )
        before = None if row is None else _summary(row)
        if row is None:
            row = StoredRegistration(
                read_id=read.id,
                fixed_series_uid=registration.fixed_series_uid,
                moving_series_uid=registration.moving_series_uid,
                options_key=key,
                rejected=False,
            )
            s.add(row)
        row.document = document
        row.verdict = registration.verdict
        row.metric_value = registration.metric_value
        row.created_by = session.reader_id
        row.created_at = utcnow()
        s.flush()
        audit.append(
            s, session.username, "create" if before is None else "update", "registration", row.id, before, _summary(row)
        )

    session.db.write(work)


def reject_registration(
    session: ReaderSession, read_id: int, fixed_uid: str, moving_uid: str, key: str, reason: str
) -> Registration:
    """Mark a stored registration as not lining up, with the reader's reason; returns it as `poor`. Audited."""
    text = clean_reason(reason, "rejecting a registration")

    def work(s: Session) -> Registration:
        read = session._read_for_change(s, read_id)
        row = _row(s, read.id, fixed_uid, moving_uid, key)
        if row is None:
            raise NotFoundError("no stored registration of this follow-up: wait until it is computed, then reject it")
        session._refuse_identifying(s, read, {"the reason": text})
        if row.rejected:
            raise WorkflowError("this registration is already rejected")
        before = _summary(row)
        row.rejected = True
        row.rejected_reason = text
        row.rejected_by = session.reader_id
        row.rejected_at = utcnow()
        s.flush()
        audit.append(s, session.username, "reject", "registration", row.id, before, _summary(row), reason=text)
        return _as_registration(row)

    return session.db.write(work)


def withdraw_rejection(session: ReaderSession, read_id: int, fixed_uid: str, moving_uid: str, key: str) -> Registration:
    """The reader takes back a rejection ("use this registration again"): the stored registration is used for
    linking as computed (its own verdict again). Audited as `withdraw_rejection`, with the rejection's reason.

    Why allowed: a rejection may be a slip (the wrong follow-up was active) or a judgement revised after a closer
    look; without a way back, the pair would stay linked by table position for the rest of the read, since a new
    run with the same options is refused."""

    def work(s: Session) -> Registration:
        read = session._read_for_change(s, read_id)
        row = _row(s, read.id, fixed_uid, moving_uid, key)
        if row is None:
            raise NotFoundError("no stored registration of this follow-up: there is no rejection to withdraw")
        if not row.rejected:
            raise WorkflowError("this registration is not rejected: it is already used for linking")
        before = _summary(row)
        was = row.rejected_reason or "no reason recorded"
        row.rejected = False
        row.rejected_reason = None
        row.rejected_by = None
        row.rejected_at = None
        s.flush()
        audit.append(
            s,
            session.username,
            "withdraw_rejection",
            "registration",
            row.id,
            before,
            _summary(row),
            reason=f"rejection withdrawn (it said: {was})",
        )
        return _as_registration(row)

    return session.db.write(work)
