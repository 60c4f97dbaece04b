"""What a reader's session hands out: plain frozen data, built so that blinding holds by construction.

`SubjectView`, `ReadView` and the views inside them have NO field for a name, patient ID, birth date, institution,
accession number, arm, site or calendar date: time is in days from the baseline scan and identity is the subject's
pseudonym. The identifying data exist only in `IdentityView`, which an unblinded (local or manager) session can ask
for and a blinded session cannot (the session refuses before touching the identity table).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _View:
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (dates as ISO text)."""
        return {k: _plain(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]


@dataclass(frozen=True)
class ScheduledTimepoint(_View):
    """A timepoint of a subject that has a study: day from baseline, modality, this reader's progress."""

    label: str
    day: int | None
    modality: str | None
    contrast: bool | None
    status: str  # not_started, draft, signed


@dataclass(frozen=True)
class SubjectView(_View):
    pseudonym: str
    read_id: int | None
    timepoints: tuple[ScheduledTimepoint, ...]
    adjudication: str | None  # pending, decided, or None


@dataclass(frozen=True)
class LesionView(_View):
    code: str
    role: str
    organ: str
    nodal: bool
    first_label: str
    description: str | None


@dataclass(frozen=True)
class MeasurementView(_View):
    lesion: str
    status: str
    diameter_mm: float | None
    short_axis_mm: float | None
    mean_hu: float | None
    volume_ml: float | None
    unit: str | None
    fragments_mm: tuple[float, ...] | None
    objects: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SignatureView(_View):
    signer: str
    meaning: str
    signed_at: datetime
    content_hash: str


@dataclass(frozen=True)
class AssessmentView(_View):
    label: str
    version: int
    status: str  # draft, signed, superseded
    day: int | None
    modality: str | None
    contrast: bool | None
    slice_thickness_mm: float | None
    non_targets: dict[str, str]
    new_lesions: str
    new_intratumoral_nodules: bool
    comment: str | None
    measurements: tuple[MeasurementView, ...]
    results: dict[str, Any] | None
    problems: tuple[str, ...]
    engine_version: str | None
    amendment_reason: str | None
    signature: SignatureView | None


@dataclass(frozen=True)
class ReadView(_View):
    read_id: int
    pseudonym: str
    kind: str
    reader: str  # the reader's user name for his own read; "A" or "B" for an adjudicator
    lesions: tuple[LesionView, ...]
    timepoints: tuple[AssessmentView, ...]
    results: dict[str, Any] | None
    engine_version: str | None


@dataclass(frozen=True)
class AdjudicationView(_View):
    adjudication_id: int
    pseudonym: str
    status: str
    triggers: tuple[str, ...]
    read_a: int
    read_b: int
    chosen: str | None  # "A" or "B"
    rationale: str | None


@dataclass(frozen=True)
class StudyIdentity(_View):
    label: str | None
    study_date: date | None
    accession_number: str | None
    institution: str | None
    description: str | None

    def __repr__(self) -> str:
        return f"StudyIdentity(label={self.label!r}, identifiers withheld from the repr)"


@dataclass(frozen=True)
class IdentityView(_View):
    """Everything identifying about a subject: only for unblinded sessions."""

    pseudonym: str
    patient_id: str | None
    patient_name: str | None
    birth_date: date | None
    arm: str | None
    site_code: str
    site_name: str
    rt_start_date: date | None
    rt_end_date: date
    studies: tuple[StudyIdentity, ...]

    def __repr__(self) -> str:
        return f"IdentityView(pseudonym={self.pseudonym!r}, identifiers withheld from the repr)"


@dataclass(frozen=True)
class StudyImages:
    """The images a timepoint of a read was measured on: Study Instance UID and folder (None when unknown)."""

    label: str
    study_instance_uid: str | None
    folder: str | None
