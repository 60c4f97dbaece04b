"""Checks that the data rows still equal what the audit trail and the signatures recorded.

The hash chain proves the trail itself is intact; this proves the reads are: a measurement or a signed
timepoint changed or deleted with raw SQL no longer matches its last audit event or its signature hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sfrt_reader.reading import audit
from sfrt_reader.reading.models import (
    AuditEvent,
    Measurement,
    Signature,
    TimepointAssessment,
)
from sfrt_reader.reading.records import assessment_content, measurement_snapshot


def data_problem(s: Session) -> str | None:
    """The first data row that differs from its audit record or its signature (changed behind the application)."""
    for sig in s.scalars(select(Signature).order_by(Signature.id)):
        a = s.get(TimepointAssessment, sig.assessment_id)
        if a is None:
            return f"signature {sig.id}: its timepoint was deleted behind the application"
        digest = hashlib.sha256(audit.canonical_json(assessment_content(s, a)).encode("utf-8")).hexdigest()
        if digest != sig.content_hash:
            return (
                f"timepoint {a.label} version {a.version} of read {a.read_id} no longer matches its signature: "
                "changed behind the application after signing"
            )
    last: dict[str, dict[str, Any] | None] = {}
    for event in s.scalars(select(AuditEvent).where(AuditEvent.entity == "measurement").order_by(AuditEvent.id)):
        if event.entity_id is not None:
            last[event.entity_id] = None if event.action == "delete" else json.loads(event.after or "null")
    present = set()
    for m in s.scalars(select(Measurement).order_by(Measurement.id)):
        present.add(str(m.id))
        recorded = last.get(str(m.id))
        snapshot = json.loads(audit.canonical_json(measurement_snapshot(m)))
        if recorded is None or any(recorded.get(k) != v for k, v in snapshot.items()):
            return (
                f"measurement {m.id} (lesion {m.lesion.code}) differs from its last audited value: "
                "changed behind the application"
            )
    for key, recorded in last.items():
        if recorded is not None and key not in present:
            return f"measurement {key} (lesion {recorded.get('lesion')}) is missing: deleted behind the application"
    return None
