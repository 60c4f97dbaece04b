"""Reading stored records: current and past versions of a timepoint, and canonical snapshots of what was
saved (the content a signature covers, a measurement as audited). Shared by the service and the session.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sfrt_reader.reading import audit
from sfrt_reader.reading.errors import WorkflowError
from sfrt_reader.reading.models import (
    Lesion,
    Measurement,
    TimepointAssessment,
)

ROLES = ("reader", "adjudicator", "manager")
LESION_ROLES = ("target", "non-target", "new")
SIGNATURE_MEANING = "I confirm this assessment"
# The meaning of the adjudicator's signature, shown before signing and recorded with the decision in the audit trail.
ADJUDICATION_MEANING = "I confirm this adjudication: the chosen read is the central review's result for this subject"
MIN_REASON_LENGTH = 5


def identity_digest(patient_id: str | None, patient_name: str | None, birth_date: date | None) -> str:
    """A hash standing for the identifiers in the audit trail, which must never hold them."""
    text = audit.canonical_json([patient_id, patient_name, birth_date])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise WorkflowError(f"{what} needs a reason of at least {MIN_REASON_LENGTH} characters")
    return text


def versions_of(s: Session, read_id: int, label: str) -> list[TimepointAssessment]:
    return list(
        s.scalars(
            select(TimepointAssessment)
            .where(TimepointAssessment.read_id == read_id, TimepointAssessment.label == label)
            .order_by(TimepointAssessment.version)
        )
    )


def current_version(s: Session, read_id: int, label: str) -> TimepointAssessment | None:
    versions = versions_of(s, read_id, label)
    return versions[-1] if versions else None


def current_versions(s: Session, read_id: int) -> list[TimepointAssessment]:
    rows = s.scalars(
        select(TimepointAssessment)
        .where(TimepointAssessment.read_id == read_id)
        .order_by(TimepointAssessment.label, TimepointAssessment.version)
    )
    latest: dict[str, TimepointAssessment] = {}
    for row in rows:
        latest[row.label] = row
    return list(latest.values())


def measurements_of(s: Session, assessment_id: int) -> list[Measurement]:
    return list(s.scalars(select(Measurement).where(Measurement.assessment_id == assessment_id)))


def lesions_of(s: Session, read_id: int) -> list[Lesion]:
    return list(s.scalars(select(Lesion).where(Lesion.read_id == read_id).order_by(Lesion.id)))


def assessment_content(s: Session, a: TimepointAssessment) -> dict[str, Any]:
    """What a signature covers, in canonical form: its SHA-256 is stored with the signature."""
    return {
        "read": a.read_id,
        "label": a.label,
        "version": a.version,
        "study": a.study_id,
        "non_targets": a.non_targets,
        "new_lesions": a.new_lesions,
        "new_intratumoral_nodules": a.new_intratumoral_nodules,
        "comment": a.comment,
        "measurements": sorted(
            ({"lesion": m.lesion.code, **_measured_values(m)} for m in measurements_of(s, a.id)),
            key=lambda d: str(d["lesion"]),
        ),
        "results": a.results,
        "engine_version": a.engine_version,
    }


def measurement_snapshot(m: Measurement | None) -> dict[str, Any] | None:
    return None if m is None else _measured_values(m)


def _measured_values(m: Measurement) -> dict[str, Any]:
    """What a reader recorded for one lesion (the audit trail's and the signed snapshot's view of it)."""
    return {
        "status": m.status,
        "diameter_mm": m.diameter_mm,
        "short_axis_mm": m.short_axis_mm,
        "mean_hu": m.mean_hu,
        "volume_ml": m.volume_ml,
        "unit": m.unit,
        "fragments_mm": m.fragments_mm,
        "objects": m.objects,
    }
