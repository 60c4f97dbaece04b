"""The reading workflow, enforced below any GUI: one service per database, one session per logged-in reader.

Every change is one transaction that also appends its audit event and recomputes the responses, so the stored
results always match the stored measurements, and a crash leaves either the whole change or none of it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sfrt_reader.reading import audit
from sfrt_reader.reading.database import Database
from sfrt_reader.reading.document import (
    MEASUREMENT_STATUSES,
    NEW_LESION_VALUES,
    NON_TARGET_STATUSES,
    LesionInput,
    MeasurementInput,
    TimepointInput,
    build_engine_document,
)
from sfrt_reader.reading.engine import Assessor, EngineOutcome, assess_with_criteria_engine
from sfrt_reader.reading.errors import (
    AccessDeniedError,
    AuthenticationError,
    LockedReadError,
    NotFoundError,
    ReadingError,
    SignatureError,
    WorkflowError,
)
from sfrt_reader.reading.models import (
    Adjudication,
    AuditEvent,
    ExportedDocument,
    ImagingStudy,
    Lesion,
    Measurement,
    Read,
    Reader,
    Signature,
    Site,
    Subject,
    SubjectIdentity,
    TimepointAssessment,
    Trial,
    utcnow,
)
from sfrt_reader.reading.passwords import check_password, hash_password
from sfrt_reader.reading.views import (
    AdjudicationView,
    AssessmentView,
    IdentityView,
    LesionView,
    MeasurementView,
    ReadView,
    ScheduledTimepoint,
    SignatureView,
    StudyIdentity,
    StudyImages,
    SubjectView,
)
from sfrt_reader.trial import Protocol, ProtocolError, TimepointWindowError, assign_timepoint, parse_protocol

T = TypeVar("T")

ROLES = ("reader", "adjudicator", "manager")
LESION_ROLES = ("target", "non-target", "new")
SIGNATURE_MEANING = "I confirm this assessment"
MIN_REASON_LENGTH = 5


@dataclass(frozen=True)
class StudyRecord:
    """What import knows about one DICOM study (identifying fields stay in the database, never in views)."""

    study_instance_uid: str
    study_date: date | None = field(repr=False)
    modality: str | None
    contrast: bool | None
    slice_thickness_mm: float | None
    # Identifying (or possibly so: clinical folders are often named after the patient): kept out of the repr.
    accession_number: str | None = field(default=None, repr=False)
    institution: str | None = field(default=None, repr=False)
    description: str | None = field(default=None, repr=False)
    source_path: str | None = field(default=None, repr=False)
    deidentified_path: str | None = None
    series_count: int = 0
    instance_count: int = 0
    burned_in_annotation: bool = False


@dataclass(frozen=True)
class StudyAssignment:
    """The outcome of adding a study: its timepoint (None when it fell in no window) and why."""

    study_id: int
    label: str | None
    message: str | None
    created: bool


@dataclass(frozen=True)
class ReadSummary:
    """One row of `reads list` (pseudonym, reader, progress, best responses)."""

    read_id: int
    pseudonym: str
    reader: str
    kind: str
    signed: tuple[str, ...]
    draft: tuple[str, ...]
    best: dict[str, str | None]


def _identity_digest(patient_id: str | None, patient_name: str | None, birth_date: date | None) -> str:
    """A hash standing for the identifiers in the audit trail, which must never hold them."""
    text = audit.canonical_json([patient_id, patient_name, birth_date])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise WorkflowError(f"{what} needs a reason of at least {MIN_REASON_LENGTH} characters")
    return text


class ReadingService:
    """Trial set-up and log-in; the reading itself goes through `ReaderSession`."""

    def __init__(self, database: Database, assessor: Assessor = assess_with_criteria_engine) -> None:
        self.db = database
        self.assessor = assessor

    # ----- trial set-up (manager tasks, from the command line) -----

    def init_trial(self, protocol: Protocol, paradigm: str | None, actor: str) -> int:
        """Create the trial of this database from a protocol; a database holds one trial."""
        chosen = paradigm or protocol.default_paradigm
        if chosen not in ("local", "central"):
            raise WorkflowError(f"paradigm {chosen!r}: use local or central")

        def work(s: Session) -> int:
            existing = s.scalar(select(Trial))
            if existing is not None:
                raise WorkflowError(
                    f"this database already holds trial {existing.protocol_id} ({existing.paradigm} reading); "
                    "use another --db for another trial"
                )
            trial = Trial(
                protocol_id=protocol.trial_id,
                protocol_toml=protocol.source_text,
                paradigm=chosen,
                created_at=utcnow(),
            )
            s.add(trial)
            s.flush()
            audit.append(
                s,
                actor,
                "create",
                "trial",
                trial.id,
                after={
                    "protocol": protocol.trial_id,
                    "paradigm": chosen,
                    "protocol_sha256": hashlib.sha256(protocol.source_text.encode()).hexdigest(),
                },
            )
            return trial.id

        return self.db.write(work)

    def _trial(self, s: Session) -> Trial:
        trial: Trial | None = s.scalar(select(Trial))
        if trial is None:
            raise NotFoundError("this database holds no trial yet: run `sfrt-reader trial init --protocol NAME` first")
        return trial

    @cached_property
    def protocol(self) -> Protocol:
        text = self.db.read(lambda s: self._trial(s).protocol_toml)
        return parse_protocol(text, source="protocol stored in the database")

    @cached_property
    def paradigm(self) -> str:
        return self.db.read(lambda s: self._trial(s).paradigm)

    def add_site(self, code: str, name: str, actor: str) -> int:
        def work(s: Session) -> int:
            trial = self._trial(s)
            if s.scalar(select(Site).where(Site.trial_id == trial.id, Site.code == code)) is not None:
                raise WorkflowError(f"site {code!r} already exists")
            site = Site(trial_id=trial.id, code=code, name=name)
            s.add(site)
            s.flush()
            audit.append(s, actor, "create", "site", site.id, after={"code": code, "name": name})
            return site.id

        return self.db.write(work)

    def add_subject(
        self,
        pseudonym: str,
        site_code: str,
        rt_end_date: date,
        actor: str,
        rt_start_date: date | None = None,
        arm: str | None = None,
        patient_id: str | None = None,
        patient_name: str | None = None,
        birth_date: date | None = None,
    ) -> int:
        """Register a subject under its pseudonym; identifiers go to the separate identity table."""
        protocol = self.protocol
        if not pseudonym.strip():
            raise WorkflowError("the pseudonym must not be empty")
        if arm is not None and protocol.arms and arm not in protocol.arms:
            raise WorkflowError(f"arm {arm!r} is not an arm of {protocol.trial_id} ({', '.join(protocol.arms)})")
        if rt_start_date is not None and rt_start_date > rt_end_date:
            raise WorkflowError("the RT start date is after the RT end date")
        if patient_id is not None and patient_id == pseudonym:
            raise WorkflowError("the pseudonym must differ from the patient ID")

        def work(s: Session) -> int:
            trial = self._trial(s)
            site = s.scalar(select(Site).where(Site.trial_id == trial.id, Site.code == site_code))
            if site is None:
                raise NotFoundError(f"no site {site_code!r}: add it first with `sfrt-reader site add`")
            if s.scalar(select(Subject).where(Subject.trial_id == trial.id, Subject.pseudonym == pseudonym)):
                raise WorkflowError(f"subject {pseudonym!r} already exists")
            subject = Subject(
                trial_id=trial.id,
                site_id=site.id,
                pseudonym=pseudonym,
                arm=arm,
                rt_start_date=rt_start_date,
                rt_end_date=rt_end_date,
                uid_secret=secrets.token_hex(16),
                # PS3.15 leaves the shift to the implementation: 1 to 5 years back, whole days, per subject.
                date_shift_days=-(365 + secrets.randbelow(4 * 365)),
                created_at=utcnow(),
            )
            s.add(subject)
            s.flush()
            s.add(
                SubjectIdentity(
                    subject_id=subject.id, patient_id=patient_id, patient_name=patient_name, birth_date=birth_date
                )
            )
            audit.append(
                s,
                actor,
                "create",
                "subject",
                subject.id,
                after={
                    "pseudonym": pseudonym,
                    "site": site_code,
                    "arm": arm,
                    "rt_start_date": rt_start_date,
                    "rt_end_date": rt_end_date,
                    "identity_sha256": _identity_digest(patient_id, patient_name, birth_date),
                },
            )
            return subject.id

        return self.db.write(work)

    def add_reader(self, username: str, full_name: str, role: str, password: str, actor: str) -> int:
        if role not in ROLES:
            raise WorkflowError(f"role {role!r}: use one of {', '.join(ROLES)}")
        if not username.strip():
            raise WorkflowError("the user name must not be empty")
        password_hash = hash_password(password)

        def work(s: Session) -> int:
            if s.scalar(select(Reader).where(Reader.username == username)) is not None:
                raise WorkflowError(f"reader {username!r} already exists")
            reader = Reader(
                username=username, full_name=full_name, role=role, password_hash=password_hash, created_at=utcnow()
            )
            s.add(reader)
            s.flush()
            audit.append(s, actor, "create", "reader", reader.id, after={"username": username, "role": role})
            return reader.id

        return self.db.write(work)

    def link_identity(
        self,
        pseudonym: str,
        patient_id: str | None,
        patient_name: str | None,
        birth_date: date | None,
        actor: str,
    ) -> None:
        """Check imported files against the subject's recorded patient ID, or record the identifiers when unknown."""

        def work(s: Session) -> None:
            subject = self._subject(s, pseudonym)
            ident = s.get(SubjectIdentity, subject.id)
            if ident is None:
                ident = SubjectIdentity(subject_id=subject.id)
                s.add(ident)
            if ident.patient_id and patient_id and ident.patient_id != patient_id:
                raise WorkflowError(
                    f"the patient ID in these files differs from the one recorded for subject {pseudonym}: "
                    "check that the folder belongs to this subject"
                )
            if ident.patient_id and ident.patient_name and (ident.birth_date or not birth_date):
                return
            before = _identity_digest(ident.patient_id, ident.patient_name, ident.birth_date)
            ident.patient_id = ident.patient_id or patient_id or None
            ident.patient_name = ident.patient_name or patient_name or None
            ident.birth_date = ident.birth_date or birth_date
            after = _identity_digest(ident.patient_id, ident.patient_name, ident.birth_date)
            if after != before:
                audit.append(
                    s,
                    actor,
                    "update",
                    "subject_identity",
                    subject.id,
                    {"identity_sha256": before},
                    {"identity_sha256": after},
                )

        self.db.write(work)

    def subject_secrets(self, pseudonym: str) -> tuple[str, int]:
        """The subject's UID-remapping secret and date shift, for de-identified import."""

        def work(s: Session) -> tuple[str, int]:
            subject = self._subject(s, pseudonym)
            return subject.uid_secret, subject.date_shift_days

        return self.db.read(work)

    def _subject(self, s: Session, pseudonym: str) -> Subject:
        subject = s.scalar(select(Subject).where(Subject.pseudonym == pseudonym))
        if subject is None:
            raise NotFoundError(f"no subject {pseudonym!r}: add it first with `sfrt-reader subject add`")
        return subject

    def add_study(self, pseudonym: str, record: StudyRecord, actor: str) -> StudyAssignment:
        """Link a study to a subject and assign its timepoint from the date; re-importing updates paths only."""
        protocol = self.protocol

        def work(s: Session) -> StudyAssignment:
            subject = self._subject(s, pseudonym)
            study = s.scalar(
                select(ImagingStudy).where(
                    ImagingStudy.subject_id == subject.id,
                    ImagingStudy.study_instance_uid == record.study_instance_uid,
                )
            )
            if study is not None:
                if record.deidentified_path and study.deidentified_path != record.deidentified_path:
                    before = {"deidentified_path": study.deidentified_path}
                    study.deidentified_path = record.deidentified_path
                    audit.append(s, actor, "update", "imaging_study", study.id, before, {"deidentified_path": True})
                return StudyAssignment(study.id, study.timepoint_label, "already imported", False)
            label: str | None = None
            message: str | None = None
            if record.study_date is None:
                message = "the study has no date: assign its timepoint by hand with `sfrt-reader assign`"
            else:
                try:
                    label = assign_timepoint(protocol, record.study_date, subject.rt_end_date, subject.rt_start_date)
                except TimepointWindowError as error:
                    message = str(error)
            study = ImagingStudy(
                subject_id=subject.id,
                study_instance_uid=record.study_instance_uid,
                study_date=record.study_date,
                modality=record.modality,
                contrast=record.contrast,
                slice_thickness_mm=record.slice_thickness_mm,
                accession_number=record.accession_number,
                institution=record.institution,
                description=record.description,
                source_path=record.source_path,
                deidentified_path=record.deidentified_path,
                series_count=record.series_count,
                instance_count=record.instance_count,
                burned_in_annotation=record.burned_in_annotation,
                timepoint_label=label,
                assignment="auto" if label else None,
                created_at=utcnow(),
            )
            s.add(study)
            s.flush()
            # The trail names the study by its database number and timepoint only: dates and accession
            # numbers are identifying.
            audit.append(
                s,
                actor,
                "create",
                "imaging_study",
                study.id,
                after={"subject": pseudonym, "modality": record.modality, "timepoint": label, "assignment": "auto"},
            )
            return StudyAssignment(study.id, label, message, True)

        return self.db.write(work)

    def assign_study(self, pseudonym: str, study_id: int, label: str, reason: str, actor: str) -> None:
        """Assign a study's timepoint by hand (a date outside every window, or a correction)."""
        protocol = self.protocol
        protocol.order_of(label)
        why = _clean_reason(reason, "assigning a timepoint by hand")

        def work(s: Session) -> None:
            subject = self._subject(s, pseudonym)
            study = s.get(ImagingStudy, study_id)
            if study is None or study.subject_id != subject.id:
                raise NotFoundError(
                    f"subject {pseudonym!r} has no study number {study_id} (see `reads list --studies`)"
                )
            used = s.scalar(select(func.count()).where(TimepointAssessment.study_id == study.id))
            if used:
                raise LockedReadError(
                    f"study {study_id} is already being read as {study.timepoint_label}; it cannot be moved"
                )
            before = {"timepoint": study.timepoint_label, "assignment": study.assignment}
            study.timepoint_label = label
            study.assignment = "manual"
            audit.append(
                s, actor, "assign", "imaging_study", study.id, before, {"timepoint": label, "assignment": "manual"}, why
            )

        self.db.write(work)

    def studies(self, pseudonym: str) -> list[tuple[int, str | None, str | None, str | None, int | None]]:
        """(study number, timepoint, assignment, modality, days from RT end) of a subject, for `reads list`."""

        def work(s: Session) -> list[tuple[int, str | None, str | None, str | None, int | None]]:
            subject = self._subject(s, pseudonym)
            rows = s.scalars(
                select(ImagingStudy).where(ImagingStudy.subject_id == subject.id).order_by(ImagingStudy.study_date)
            )
            return [
                (
                    r.id,
                    r.timepoint_label,
                    r.assignment,
                    r.modality,
                    None if r.study_date is None else (r.study_date - subject.rt_end_date).days,
                )
                for r in rows
            ]

        return self.db.read(work)

    def sites(self) -> list[tuple[str, str]]:
        return self.db.read(lambda s: [(x.code, x.name) for x in s.scalars(select(Site).order_by(Site.code))])

    def pseudonyms(self) -> list[str]:
        return self.db.read(lambda s: list(s.scalars(select(Subject.pseudonym).order_by(Subject.pseudonym))))

    def readers(self) -> list[tuple[str, str, str]]:
        return self.db.read(
            lambda s: [(r.username, r.full_name, r.role) for r in s.scalars(select(Reader).order_by(Reader.username))]
        )

    def audit_events(self, last: int = 0) -> list[dict[str, Any]]:
        """Audit events oldest first (the last `last` of them when > 0), with before/after decoded."""

        def work(s: Session) -> list[dict[str, Any]]:
            query = select(AuditEvent).order_by(AuditEvent.id.desc())
            if last > 0:
                query = query.limit(last)
            rows = list(s.scalars(query))[::-1]
            return [
                {
                    "id": e.id,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "entity": e.entity,
                    "entity_id": e.entity_id,
                    "before": None if e.before is None else json.loads(e.before),
                    "after": None if e.after is None else json.loads(e.after),
                    "reason": e.reason,
                    "hash": e.hash,
                }
                for e in rows
            ]

        return self.db.read(work)

    def list_reads(self) -> list[ReadSummary]:
        """Every read with its progress and best responses (a manager's overview; no identifiers)."""

        def work(s: Session) -> list[ReadSummary]:
            out = []
            for read in s.scalars(select(Read).order_by(Read.id)):
                current = _current_versions(s, read.id)
                results = read.results or {}
                out.append(
                    ReadSummary(
                        read_id=read.id,
                        pseudonym=read.subject.pseudonym,
                        reader=read.reader.username,
                        kind=read.kind,
                        signed=tuple(a.label for a in current if a.status == "signed"),
                        draft=tuple(a.label for a in current if a.status == "draft"),
                        best={c: (results.get(c) or {}).get("best_overall_response") for c in ("recist1.1", "choi")},
                    )
                )
            return out

        return self.db.read(work)

    def record_export(self, read_id: int, label: str | None, kind: str, sha256: str, actor_reader_id: int) -> int:
        """Record a form or file that left the workstation with its SHA-256 (the footer of a PDF form)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ReadingError("sha256 must be 64 lower-case hexadecimal digits")

        def work(s: Session) -> int:
            read = s.get(Read, read_id)
            if read is None:
                raise NotFoundError(f"no read {read_id}")
            actor = s.get(Reader, actor_reader_id)
            if actor is None:
                raise NotFoundError(f"no reader number {actor_reader_id}")
            assessment_id = None
            if label is not None:
                current = _current(s, read_id, label)
                if current is None or current.status != "signed":
                    raise WorkflowError(f"timepoint {label} of read {read_id} is not signed: sign it before export")
                assessment_id = current.id
            record = ExportedDocument(
                read_id=read_id,
                assessment_id=assessment_id,
                kind=kind,
                sha256=sha256,
                created_by=actor.id,
                created_at=utcnow(),
            )
            s.add(record)
            s.flush()
            audit.append(
                s,
                actor.username,
                "export",
                "exported_document",
                record.id,
                after={"read": read_id, "timepoint": label, "kind": kind, "sha256": sha256},
            )
            return record.id

        return self.db.write(work)

    # ----- log-in -----

    def login(self, username: str, password: str) -> ReaderSession:
        """A session for a reader whose password checks; the same message for unknown user and bad password."""

        def work(s: Session) -> Reader:
            reader = s.scalar(select(Reader).where(Reader.username == username))
            if reader is None or not check_password(reader.password_hash, password):
                raise AuthenticationError("unknown reader or wrong password")
            return reader

        reader = self.db.read(work)
        return ReaderSession(self, reader.id, reader.username, reader.role)

    def audit_verify(self) -> audit.VerifyReport:
        """The chain first; then that signed timepoints and measurements still equal what was audited."""

        def work(s: Session) -> audit.VerifyReport:
            report = audit.verify(s)
            if not report.ok:
                return report
            problem = _data_problem(s)
            return audit.VerifyReport(report.events, report.head_hash, problem)

        return self.db.read(work)


# ----- helpers shared by the session -----


def _versions(s: Session, read_id: int, label: str) -> list[TimepointAssessment]:
    return list(
        s.scalars(
            select(TimepointAssessment)
            .where(TimepointAssessment.read_id == read_id, TimepointAssessment.label == label)
            .order_by(TimepointAssessment.version)
        )
    )


def _current(s: Session, read_id: int, label: str) -> TimepointAssessment | None:
    versions = _versions(s, read_id, label)
    return versions[-1] if versions else None


def _current_versions(s: Session, read_id: int) -> list[TimepointAssessment]:
    rows = s.scalars(
        select(TimepointAssessment)
        .where(TimepointAssessment.read_id == read_id)
        .order_by(TimepointAssessment.label, TimepointAssessment.version)
    )
    latest: dict[str, TimepointAssessment] = {}
    for row in rows:
        latest[row.label] = row
    return list(latest.values())


def _measurements(s: Session, assessment_id: int) -> list[Measurement]:
    return list(s.scalars(select(Measurement).where(Measurement.assessment_id == assessment_id)))


def _lesions(s: Session, read_id: int) -> list[Lesion]:
    return list(s.scalars(select(Lesion).where(Lesion.read_id == read_id).order_by(Lesion.id)))


def _assessment_content(s: Session, a: TimepointAssessment) -> dict[str, Any]:
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
            (
                {
                    "lesion": m.lesion.code,
                    "status": m.status,
                    "diameter_mm": m.diameter_mm,
                    "short_axis_mm": m.short_axis_mm,
                    "mean_hu": m.mean_hu,
                    "volume_ml": m.volume_ml,
                    "unit": m.unit,
                    "fragments_mm": m.fragments_mm,
                    "objects": m.objects,
                }
                for m in _measurements(s, a.id)
            ),
            key=lambda d: str(d["lesion"]),
        ),
        "results": a.results,
        "engine_version": a.engine_version,
    }


def _measurement_snapshot(m: Measurement | None) -> dict[str, Any] | None:
    if m is None:
        return None
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


def _data_problem(s: Session) -> str | None:
    """The first data row that differs from its audit record or its signature (changed behind the application)."""
    for sig in s.scalars(select(Signature).order_by(Signature.id)):
        a = s.get(TimepointAssessment, sig.assessment_id)
        if a is None:
            return f"signature {sig.id}: its timepoint was deleted behind the application"
        digest = hashlib.sha256(audit.canonical_json(_assessment_content(s, a)).encode("utf-8")).hexdigest()
        if digest != sig.content_hash:
            return (
                f"timepoint {a.label} version {a.version} of read {a.read_id} no longer matches its signature: "
                "changed behind the application after signing"
            )
    last: dict[str, dict[str, Any]] = {}
    for event in s.scalars(select(AuditEvent).where(AuditEvent.entity == "measurement").order_by(AuditEvent.id)):
        if event.entity_id is not None and event.after is not None:
            last[event.entity_id] = json.loads(event.after)
    for m in s.scalars(select(Measurement).order_by(Measurement.id)):
        recorded = last.get(str(m.id))
        snapshot = json.loads(audit.canonical_json(_measurement_snapshot(m)))
        if recorded is None or any(recorded.get(k) != v for k, v in snapshot.items()):
            return (
                f"measurement {m.id} (lesion {m.lesion.code}) differs from its last audited value: "
                "changed behind the application"
            )
    return None


def _number(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise WorkflowError(f"{name} must be a number")
    return float(value)


def _from_objects(objects: list[dict[str, Any]], paths: tuple[tuple[str, ...], ...]) -> float | None:
    """The first number found at one of `paths` in the measurement objects' dicts (their to_dict() form).

    Paths, not classes: the reading layer stores the measurement objects as JSON and must not depend on their
    Python classes; a line has `length_mm`, a bidimensional `long_mm`/`short_mm`, a segmentation's metrics nest
    their `longest_axial` and `short_axis` lines, region statistics and metrics have `mean`.
    """
    for path in paths:
        for obj in objects:
            value: Any = obj
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


DIAMETER_PATHS = (("longest_axial", "length_mm"), ("long_mm",), ("longest_axial_diameter_mm",), ("length_mm",))
SHORT_AXIS_PATHS = (("short_axis", "length_mm"), ("short_mm",), ("short_axis_mm",))
MEAN_PATHS = (("mean",),)
VOLUME_PATHS = (("volume_ml",),)


class ReaderSession:
    """A logged-in reader. Blinded when the trial is read centrally and the reader is not a manager."""

    def __init__(self, service: ReadingService, reader_id: int, username: str, role: str) -> None:
        self.service = service
        self.db = service.db
        self.reader_id = reader_id
        self.username = username
        self.role = role

    def __repr__(self) -> str:
        return f"ReaderSession(reader={self.username!r}, role={self.role!r}, blinded={self.blinded})"

    @property
    def blinded(self) -> bool:
        return self.service.paradigm == "central" and self.role != "manager"

    @property
    def protocol(self) -> Protocol:
        return self.service.protocol

    # ----- access -----

    def _read_for_change(self, s: Session, read_id: int) -> Read:
        read = s.get(Read, read_id)
        if read is None:
            raise NotFoundError(f"no read {read_id}")
        if read.reader_id != self.reader_id:
            raise AccessDeniedError(f"read {read_id} belongs to another reader: only its reader may change it")
        return read

    def _read_for_view(self, s: Session, read_id: int) -> tuple[Read, str]:
        read = s.get(Read, read_id)
        if read is None:
            raise NotFoundError(f"no read {read_id}")
        if read.reader_id == self.reader_id:
            return read, self.username
        if self.role == "adjudicator":
            adj = s.scalar(select(Adjudication).where(Adjudication.subject_id == read.subject_id))
            if adj is not None and read.id in (adj.read_a_id, adj.read_b_id):
                return read, "A" if read.id == adj.read_a_id else "B"
        if self.role == "manager" or (self.service.paradigm == "local" and self.role != "reader"):
            return read, read.reader.username
        raise AccessDeniedError(f"read {read_id} belongs to another reader: a reader sees only his or her own reads")

    def _write(self, work: Callable[[Session], T]) -> T:
        return self.db.write(work)

    # ----- worklist and identity -----

    def worklist(self) -> list[SubjectView]:
        """Subjects with at least one assigned study, with this reader's progress; pseudonyms and days only."""

        def work(s: Session) -> list[SubjectView]:
            out = []
            for subject in s.scalars(select(Subject).order_by(Subject.pseudonym)):
                studies = [
                    st
                    for st in s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id == subject.id))
                    if st.timepoint_label is not None
                ]
                if not studies:
                    continue
                read = s.scalar(select(Read).where(Read.subject_id == subject.id, Read.reader_id == self.reader_id))
                current = {a.label: a for a in _current_versions(s, read.id)} if read else {}
                baseline = self._baseline_date(studies)
                labels = sorted({st.timepoint_label for st in studies if st.timepoint_label}, key=self._order)
                tps = []
                for label in labels:
                    st = next(x for x in studies if x.timepoint_label == label)
                    a = current.get(label)
                    tps.append(
                        ScheduledTimepoint(
                            label=label,
                            day=None if baseline is None or st.study_date is None else (st.study_date - baseline).days,
                            modality=st.modality,
                            contrast=st.contrast,
                            status="not_started" if a is None else ("signed" if a.status == "signed" else "draft"),
                        )
                    )
                adj = s.scalar(select(Adjudication).where(Adjudication.subject_id == subject.id))
                out.append(
                    SubjectView(
                        pseudonym=subject.pseudonym,
                        read_id=read.id if read else None,
                        timepoints=tuple(tps),
                        adjudication=adj.status if adj is not None and self.role != "reader" else None,
                    )
                )
            return out

        return self.db.read(work)

    def _order(self, label: str) -> int:
        try:
            return self.protocol.order_of(label)
        except ProtocolError:
            return 10_000

    def _baseline_date(self, studies: list[ImagingStudy]) -> date | None:
        for st in studies:
            if st.timepoint_label == self.protocol.baseline.label:
                return st.study_date
        return None

    def identity(self, pseudonym: str) -> IdentityView:
        """Identifiers, arm, site and calendar dates of a subject: refused in a blinded session."""
        if self.blinded:
            raise AccessDeniedError("this is a blinded central-review session: identity, arm and dates are withheld")

        def work(s: Session) -> IdentityView:
            subject = self.service._subject(s, pseudonym)
            ident = s.get(SubjectIdentity, subject.id)
            studies = s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id == subject.id))
            return IdentityView(
                pseudonym=subject.pseudonym,
                patient_id=ident.patient_id if ident else None,
                patient_name=ident.patient_name if ident else None,
                birth_date=ident.birth_date if ident else None,
                arm=subject.arm,
                site_code=subject.site.code,
                site_name=subject.site.name,
                rt_start_date=subject.rt_start_date,
                rt_end_date=subject.rt_end_date,
                studies=tuple(
                    StudyIdentity(
                        st.timepoint_label, st.study_date, st.accession_number, st.institution, st.description
                    )
                    for st in studies
                ),
            )

        return self.db.read(work)

    # ----- reads -----

    def open_read(self, pseudonym: str) -> ReadView:
        """This reader's read of a subject, created on first opening."""
        if self.role != "reader":
            raise AccessDeniedError(f"a {self.role} does not read subjects; log in as a reader")
        paradigm = self.service.paradigm
        limit = self.protocol.central.readers_per_subject if paradigm == "central" else 1

        def work(s: Session) -> int:
            subject = self.service._subject(s, pseudonym)
            read = s.scalar(select(Read).where(Read.subject_id == subject.id, Read.reader_id == self.reader_id))
            if read is not None:
                return read.id
            others = s.scalar(select(func.count()).where(Read.subject_id == subject.id)) or 0
            if others >= limit:
                raise WorkflowError(
                    f"subject {pseudonym!r} already has {others} read(s), the most a {paradigm} review allows"
                )
            read = Read(subject_id=subject.id, reader_id=self.reader_id, kind=paradigm, created_at=utcnow())
            s.add(read)
            s.flush()
            audit.append(s, self.username, "create", "read", read.id, after={"subject": pseudonym, "kind": paradigm})
            return read.id

        return self.view(self._write(work))

    def my_reads(self) -> list[int]:
        return self.db.read(
            lambda s: list(s.scalars(select(Read.id).where(Read.reader_id == self.reader_id).order_by(Read.id)))
        )

    def view(self, read_id: int) -> ReadView:
        """Everything about a read this session may see (the read's own reader, or its adjudicator)."""
        return self.db.read(lambda s: self._view(s, *self._read_for_view(s, read_id)))

    def history(self, read_id: int, label: str) -> list[AssessmentView]:
        """Every version of a timepoint, oldest first: amendments never hide what was signed before."""

        def work(s: Session) -> list[AssessmentView]:
            read, who = self._read_for_view(s, read_id)
            baseline = self._baseline_study_date(s, read)
            alias = who if who in ("A", "B") else None
            return [self._assessment_view(s, a, baseline, alias) for a in _versions(s, read.id, label)]

        return self.db.read(work)

    def study_images(self, read_id: int) -> list[StudyImages]:
        """The images of every assigned timepoint of a read's subject, in protocol order, for the viewer.

        A blinded session gets only de-identified copies: an original folder may carry the patient's name in its
        path and identifiers in its headers, so a study without a de-identified copy is refused here.
        """

        def work(s: Session) -> list[StudyImages]:
            read, _who = self._read_for_view(s, read_id)
            studies = [
                st
                for st in s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id == read.subject_id))
                if st.timepoint_label is not None
            ]
            baseline = self._baseline_date(studies)
            out = []
            for st in sorted(studies, key=lambda x: (self._order(x.timepoint_label or ""), x.id)):
                path = st.deidentified_path or (None if self.blinded else st.source_path)
                if path is None and not self.blinded:
                    raise WorkflowError(
                        f"no image folder was recorded for the {st.timepoint_label} study of "
                        f"{read.subject.pseudonym}: import it with `sfrt-reader import`"
                    )
                if path is None:
                    raise AccessDeniedError(
                        f"the {st.timepoint_label} study of {read.subject.pseudonym} has no de-identified copy: a "
                        "blinded session reads de-identified images only; import it with --deidentify"
                    )
                out.append(
                    StudyImages(
                        label=st.timepoint_label or "",
                        day=None if baseline is None or st.study_date is None else (st.study_date - baseline).days,
                        modality=st.modality,
                        study_instance_uid=st.study_instance_uid,
                        path=path,
                        deidentified=st.deidentified_path is not None,
                    )
                )
            return out

        return self.db.read(work)

    def _baseline_study_date(self, s: Session, read: Read) -> date | None:
        base = _current(s, read.id, self.protocol.baseline.label)
        return base.study.study_date if base is not None else None

    def _assessment_view(
        self, s: Session, a: TimepointAssessment, baseline: date | None, signer_label: str | None = None
    ) -> AssessmentView:
        """One version of a timepoint; `signer_label` replaces the signer's name (an adjudicator sees "A"/"B")."""
        sig = s.scalar(select(Signature).where(Signature.assessment_id == a.id))
        signature = None
        if sig is not None:
            signer = s.get(Reader, sig.reader_id)
            signature = SignatureView(
                signer=signer_label or (signer.username if signer else "?"),
                meaning=sig.meaning,
                signed_at=sig.signed_at,
                content_hash=sig.content_hash,
            )
        study = a.study
        return AssessmentView(
            label=a.label,
            version=a.version,
            status=a.status,
            day=None if baseline is None or study.study_date is None else (study.study_date - baseline).days,
            modality=study.modality,
            contrast=study.contrast,
            slice_thickness_mm=study.slice_thickness_mm,
            non_targets=dict(a.non_targets),
            new_lesions=a.new_lesions,
            new_intratumoral_nodules=a.new_intratumoral_nodules,
            comment=a.comment,
            measurements=tuple(
                MeasurementView(
                    lesion=m.lesion.code,
                    status=m.status,
                    diameter_mm=m.diameter_mm,
                    short_axis_mm=m.short_axis_mm,
                    mean_hu=m.mean_hu,
                    volume_ml=m.volume_ml,
                    unit=m.unit,
                    fragments_mm=tuple(m.fragments_mm) if m.fragments_mm else None,
                    objects=tuple(m.objects),
                )
                for m in sorted(_measurements(s, a.id), key=lambda m: m.lesion.code)
            ),
            results=a.results,
            problems=tuple(a.problems or ()),
            engine_version=a.engine_version,
            amendment_reason=a.amendment_reason,
            signature=signature,
        )

    def _view(self, s: Session, read: Read, reader_label: str) -> ReadView:
        baseline = self._baseline_study_date(s, read)
        current = sorted(_current_versions(s, read.id), key=lambda a: self._order(a.label))
        return ReadView(
            read_id=read.id,
            pseudonym=read.subject.pseudonym,
            kind=read.kind,
            reader=reader_label,
            lesions=tuple(
                LesionView(les.code, les.role, les.organ, les.nodal, les.first_label, les.description)
                for les in _lesions(s, read.id)
            ),
            timepoints=tuple(
                self._assessment_view(s, a, baseline, reader_label if reader_label in ("A", "B") else None)
                for a in current
            ),
            results=read.results,
            engine_version=read.engine_version,
        )

    # ----- the workflow -----

    def start_timepoint(self, read_id: int, label: str, study_id: int | None = None) -> AssessmentView:
        """Open a timepoint for reading: baseline first, then each timepoint after the previous is signed."""
        order = self.protocol.order_of(label)

        def work(s: Session) -> AssessmentView:
            read = self._read_for_change(s, read_id)
            if _versions(s, read.id, label):
                raise WorkflowError(f"timepoint {label} is already open in read {read_id}")
            studies = list(
                s.scalars(
                    select(ImagingStudy).where(
                        ImagingStudy.subject_id == read.subject_id, ImagingStudy.timepoint_label == label
                    )
                )
            )
            if not studies:
                raise WorkflowError(f"no study of subject {read.subject.pseudonym} is assigned to {label}")
            if study_id is not None:
                chosen = [st for st in studies if st.id == study_id]
                if not chosen:
                    raise NotFoundError(f"study {study_id} is not assigned to {label}")
                study = chosen[0]
            elif len(studies) > 1:
                numbers = ", ".join(str(st.id) for st in studies)
                raise WorkflowError(f"{label} has several studies ({numbers}): say which one to read")
            else:
                study = studies[0]
            if study.study_date is None:
                raise WorkflowError(f"study {study.id} has no date, so its day from baseline is unknown")
            if order > 0:
                baseline_label = self.protocol.baseline.label
                first = _current(s, read.id, baseline_label)
                if first is None or first.status != "signed":
                    raise WorkflowError(f"timepoints are read in order: sign {baseline_label} before starting {label}")
                # Every earlier timepoint with a study must be read and signed first.
                earlier = {
                    st.timepoint_label
                    for st in s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id == read.subject_id))
                    if st.timepoint_label is not None and self._order(st.timepoint_label) < order
                }
                for previous in sorted(earlier, key=self._order):
                    a = _current(s, read.id, previous)
                    if a is None or a.status != "signed":
                        raise WorkflowError(f"timepoints are read in order: sign {previous} before starting {label}")
                base = _current(s, read.id, self.protocol.baseline.label)
                base_date = base.study.study_date if base is not None else None
                if base_date is not None and study.study_date <= base_date:
                    raise WorkflowError(f"the {label} study is not after the baseline study")
            a = TimepointAssessment(
                read_id=read.id,
                label=label,
                version=1,
                study_id=study.id,
                status="draft",
                non_targets={},
                new_lesions="no",
                new_intratumoral_nodules=False,
                created_at=utcnow(),
            )
            s.add(a)
            s.flush()
            audit.append(s, self.username, "create", "timepoint", a.id, after={"read": read.id, "label": label})
            self._recompute(s, read)
            return self._assessment_view(s, a, self._baseline_study_date(s, read))

        return self._write(work)

    def _draft(self, s: Session, read: Read, label: str) -> TimepointAssessment:
        a = _current(s, read.id, label)
        if a is None:
            raise WorkflowError(f"timepoint {label} has not been started in read {read.id}")
        if a.status != "draft":
            raise LockedReadError(
                f"timepoint {label} of read {read.id} is signed and read-only: amend it with a reason to change it"
            )
        return a

    def add_lesion(
        self,
        read_id: int,
        code: str,
        role: str,
        organ: str,
        nodal: bool = False,
        label: str | None = None,
        description: str | None = None,
    ) -> LesionView:
        """Targets and non-targets are defined at baseline; new lesions at a follow-up."""
        if role not in LESION_ROLES:
            raise WorkflowError(f"lesion role {role!r}: use one of {', '.join(LESION_ROLES)}")
        if not code.strip() or not organ.strip():
            raise WorkflowError("a lesion needs a code (e.g. T1) and an organ")
        baseline = self.protocol.baseline.label
        where = label or baseline
        if role in ("target", "non-target") and where != baseline:
            raise WorkflowError(f"{role} lesions are defined at baseline; a lesion first seen at {where} is new")
        if role == "new" and where == baseline:
            raise WorkflowError("a new lesion is recorded at a follow-up timepoint, not at baseline")

        def work(s: Session) -> LesionView:
            read = self._read_for_change(s, read_id)
            a = self._draft(s, read, where)
            if s.scalar(select(Lesion).where(Lesion.read_id == read.id, Lesion.code == code)) is not None:
                raise WorkflowError(f"lesion {code} already exists in read {read_id}")
            lesion = Lesion(
                read_id=read.id,
                code=code,
                role=role,
                organ=organ,
                nodal=nodal,
                first_label=where,
                description=description,
            )
            s.add(lesion)
            s.flush()
            audit.append(
                s,
                self.username,
                "create",
                "lesion",
                lesion.id,
                after={"read": read.id, "code": code, "role": role, "organ": organ, "nodal": nodal, "label": where},
            )
            if role == "new" and a.new_lesions == "no":
                a.new_lesions = "yes"
            self._recompute(s, read)
            return LesionView(code, role, organ, nodal, where, description)

        return self._write(work)

    def record_measurement(
        self,
        read_id: int,
        label: str,
        lesion_code: str,
        status: str = "measured",
        diameter_mm: float | None = None,
        short_axis_mm: float | None = None,
        mean_hu: float | None = None,
        volume_ml: float | None = None,
        unit: str | None = None,
        fragments_mm: list[float] | None = None,
        objects: list[dict[str, Any]] | None = None,
    ) -> MeasurementView:
        """Save (or replace) one lesion's measurement at one timepoint; saved for good when this returns.

        `objects` are the measurement objects' dicts (each with a "kind"); numbers not given are taken from them
        (length or longest axial diameter, short axis, mean, volume, unit).
        """
        if status not in MEASUREMENT_STATUSES:
            raise WorkflowError(f"measurement status {status!r}: use one of {', '.join(MEASUREMENT_STATUSES)}")
        objs = [dict(o) for o in (objects or [])]
        for o in objs:
            if not isinstance(o.get("kind"), str):
                raise WorkflowError("each measurement object must carry its 'kind'")
        if diameter_mm is None:
            diameter_mm = _from_objects(objs, DIAMETER_PATHS)
        if short_axis_mm is None:
            short_axis_mm = _from_objects(objs, SHORT_AXIS_PATHS)
        if mean_hu is None:
            mean_hu = _from_objects(objs, MEAN_PATHS)
        if volume_ml is None:
            volume_ml = _from_objects(objs, VOLUME_PATHS)
        if unit is None:
            unit = next((o["unit"] for o in objs if isinstance(o.get("unit"), str)), None)
        values = {
            "diameter_mm": _number("diameter_mm", diameter_mm),
            "short_axis_mm": _number("short_axis_mm", short_axis_mm),
            "mean_hu": _number("mean_hu", mean_hu),
            "volume_ml": _number("volume_ml", volume_ml),
        }
        for name in ("diameter_mm", "short_axis_mm", "volume_ml"):
            v = values[name]
            if v is not None and v < 0:
                raise WorkflowError(f"{name} {v} is negative")
        fragments = [float(_number("fragment", f) or 0.0) for f in fragments_mm] if fragments_mm else None
        if fragments is not None and (len(fragments) < 2 or any(f <= 0 for f in fragments)):
            raise WorkflowError("a split lesion needs at least two fragments, each longer than 0 mm")
        if status != "measured" and (values["diameter_mm"] or values["short_axis_mm"] or fragments):
            raise WorkflowError(f"a lesion recorded as {status} carries no diameter; record it as measured instead")

        def work(s: Session) -> MeasurementView:
            read = self._read_for_change(s, read_id)
            a = self._draft(s, read, label)
            lesion = s.scalar(select(Lesion).where(Lesion.read_id == read.id, Lesion.code == lesion_code))
            if lesion is None:
                raise NotFoundError(f"read {read_id} has no lesion {lesion_code}")
            if lesion.role == "non-target":
                raise WorkflowError(f"{lesion_code} is a non-target lesion: record its status, not a measurement")
            if self._order(lesion.first_label) > self._order(label):
                raise WorkflowError(f"lesion {lesion_code} was first seen at {lesion.first_label}, after {label}")
            if status == "measured" and fragments is None:
                needed = "short_axis_mm" if lesion.nodal and lesion.role == "target" else "diameter_mm"
                if values[needed] is None:
                    raise WorkflowError(f"a measured {'node' if lesion.nodal else 'lesion'} needs {needed}")
            m = s.scalar(
                select(Measurement).where(Measurement.assessment_id == a.id, Measurement.lesion_id == lesion.id)
            )
            before = _measurement_snapshot(m)
            if m is None:
                m = Measurement(assessment_id=a.id, lesion_id=lesion.id, objects=[], status=status, updated_at=utcnow())
                s.add(m)
            m.status = status
            m.diameter_mm = values["diameter_mm"]
            m.short_axis_mm = values["short_axis_mm"]
            m.mean_hu = values["mean_hu"]
            m.volume_ml = values["volume_ml"]
            m.unit = unit
            m.fragments_mm = fragments
            m.objects = objs
            m.updated_at = utcnow()
            s.flush()
            audit.append(
                s,
                self.username,
                "update" if before else "create",
                "measurement",
                m.id,
                before,
                {"read": read.id, "label": label, "lesion": lesion_code, **(_measurement_snapshot(m) or {})},
            )
            self._recompute(s, read)
            return MeasurementView(
                lesion_code,
                status,
                m.diameter_mm,
                m.short_axis_mm,
                m.mean_hu,
                m.volume_ml,
                unit,
                tuple(fragments) if fragments else None,
                tuple(objs),
            )

        return self._write(work)

    def set_non_target(self, read_id: int, label: str, lesion_code: str, status: str) -> None:
        if status not in NON_TARGET_STATUSES:
            raise WorkflowError(f"non-target status {status!r}: use one of {', '.join(NON_TARGET_STATUSES)}")

        def work(s: Session) -> None:
            read = self._read_for_change(s, read_id)
            a = self._draft(s, read, label)
            lesion = s.scalar(select(Lesion).where(Lesion.read_id == read.id, Lesion.code == lesion_code))
            if lesion is None or lesion.role != "non-target":
                raise NotFoundError(f"read {read_id} has no non-target lesion {lesion_code}")
            before = dict(a.non_targets)
            a.non_targets = {**before, lesion_code: status}
            audit.append(
                s, self.username, "update", "timepoint", a.id, {"non_targets": before}, {"non_targets": a.non_targets}
            )
            self._recompute(s, read)

        self._write(work)

    def set_timepoint(
        self,
        read_id: int,
        label: str,
        new_lesions: str | None = None,
        new_intratumoral_nodules: bool | None = None,
        comment: str | None = None,
    ) -> None:
        """New lesions (no / yes / equivocal), new intratumoural nodules (Choi), the reader's comment."""
        if new_lesions is not None and new_lesions not in NEW_LESION_VALUES:
            raise WorkflowError(f"new lesions {new_lesions!r}: use one of {', '.join(NEW_LESION_VALUES)}")

        def work(s: Session) -> None:
            read = self._read_for_change(s, read_id)
            a = self._draft(s, read, label)
            before = {"new_lesions": a.new_lesions, "nodules": a.new_intratumoral_nodules, "comment": a.comment}
            if new_lesions is not None:
                a.new_lesions = new_lesions
            if new_intratumoral_nodules is not None:
                a.new_intratumoral_nodules = new_intratumoral_nodules
            if comment is not None:
                a.comment = comment
            after = {"new_lesions": a.new_lesions, "nodules": a.new_intratumoral_nodules, "comment": a.comment}
            audit.append(s, self.username, "update", "timepoint", a.id, before, after)
            self._recompute(s, read)

        self._write(work)

    def _recompute(self, s: Session, read: Read) -> None:
        """Run the criteria engine on the read's current versions; store results on drafts and on the read."""
        s.flush()
        lesions = _lesions(s, read.id)
        current = sorted(_current_versions(s, read.id), key=lambda a: self._order(a.label))
        base = next((a for a in current if a.label == self.protocol.baseline.label), None)
        if base is None:
            return
        base_date = base.study.study_date
        tps = []
        for a in current:
            study = a.study
            tps.append(
                TimepointInput(
                    label=a.label,
                    day=(study.study_date - base_date).days if study.study_date and base_date else 0,
                    modality=study.modality,
                    contrast=study.contrast,
                    slice_thickness_mm=study.slice_thickness_mm,
                    measurements=tuple(
                        MeasurementInput(
                            m.lesion.code,
                            m.status,
                            m.diameter_mm,
                            m.short_axis_mm,
                            m.mean_hu,
                            m.unit,
                            tuple(m.fragments_mm) if m.fragments_mm else None,
                        )
                        for m in _measurements(s, a.id)
                    ),
                    non_targets=dict(a.non_targets),
                    new_lesions=a.new_lesions,
                    new_intratumoral_nodules=a.new_intratumoral_nodules,
                )
            )
        document = build_engine_document(
            self.protocol.options.to_dict(),
            [LesionInput(les.code, les.role, les.organ, les.nodal) for les in lesions],
            tps,
        )
        outcome: EngineOutcome = self.service.assessor(document)
        now = utcnow()
        for a in current:
            if a.status != "draft":
                continue
            results = None
            if outcome.output is not None:
                results = {}
                for criterion, doc in outcome.output.items():
                    entry = next((t for t in doc.get("timepoints", []) if t.get("label") == a.label), None)
                    results[criterion] = entry
            a.results = results
            a.problems = list(outcome.problems)
            a.engine_version = outcome.version
            a.computed_at = now
        if outcome.output is not None:
            read.results = {
                criterion: {
                    "best_overall_response": doc.get("best_overall_response"),
                    "progression_day": doc.get("progression_day"),
                    "reasons": doc.get("reasons", []),
                }
                for criterion, doc in outcome.output.items()
            }
        else:
            read.results = None
        read.engine_version = outcome.version
        read.computed_at = now

    def sign(self, read_id: int, label: str, password: str) -> SignatureView:
        """Electronic signature ("I confirm this assessment") with password re-entry; then read-only."""

        def work(s: Session) -> SignatureView:
            reader = s.get(Reader, self.reader_id)
            if reader is None or not check_password(reader.password_hash, password):
                raise SignatureError("wrong password: the timepoint was not signed")
            read = self._read_for_change(s, read_id)
            a = self._draft(s, read, label)
            self._recompute(s, read)
            missing = []
            done = {m.lesion.code for m in _measurements(s, a.id)}
            for les in _lesions(s, read.id):
                if les.role == "target" and les.code not in done:
                    missing.append(
                        f"target {les.code} has no measurement (record 'not_evaluable' if it cannot be read)"
                    )
                if les.role == "non-target" and les.code not in a.non_targets:
                    missing.append(f"non-target {les.code} has no status")
                if les.role == "new" and les.first_label == label and a.new_lesions == "no":
                    missing.append(f"new lesion {les.code} is recorded but new lesions is 'no'")
            if label == self.protocol.baseline.label and not any(
                les.role in ("target", "non-target") for les in _lesions(s, read.id)
            ):
                missing.append("baseline has no lesion defined")
            if a.problems:
                missing.extend(a.problems)
            elif a.results is None:
                missing.append("the responses could not be computed")
            if missing:
                raise SignatureError(f"timepoint {label} cannot be signed yet: " + "; ".join(missing))
            content = _assessment_content(s, a)
            digest = hashlib.sha256(audit.canonical_json(content).encode("utf-8")).hexdigest()
            sig = Signature(
                assessment_id=a.id,
                reader_id=reader.id,
                meaning=SIGNATURE_MEANING,
                signed_at=utcnow(),
                content_hash=digest,
            )
            s.add(sig)
            a.status = "signed"
            s.flush()
            audit.append(
                s,
                self.username,
                "sign",
                "timepoint",
                a.id,
                {"status": "draft"},
                {
                    "status": "signed",
                    "label": label,
                    "version": a.version,
                    "meaning": SIGNATURE_MEANING,
                    "sha256": digest,
                },
            )
            self._check_adjudication(s, read)
            return SignatureView(reader.username, SIGNATURE_MEANING, sig.signed_at, digest)

        return self._write(work)

    def amend(self, read_id: int, label: str, reason: str) -> AssessmentView:
        """Open a new version of a signed timepoint; the signed version stays as it was, readable in `history`."""
        why = _clean_reason(reason, "an amendment")

        def work(s: Session) -> AssessmentView:
            read = self._read_for_change(s, read_id)
            old = _current(s, read.id, label)
            if old is None:
                raise WorkflowError(f"timepoint {label} has not been started in read {read_id}")
            if old.status != "signed":
                raise WorkflowError(f"timepoint {label} is not signed: change it directly, no amendment is needed")
            new = TimepointAssessment(
                read_id=read.id,
                label=label,
                version=old.version + 1,
                study_id=old.study_id,
                status="draft",
                non_targets=dict(old.non_targets),
                new_lesions=old.new_lesions,
                new_intratumoral_nodules=old.new_intratumoral_nodules,
                comment=old.comment,
                amendment_reason=why,
                supersedes_id=old.id,
                created_at=utcnow(),
            )
            s.add(new)
            s.flush()
            for m in _measurements(s, old.id):
                copy = Measurement(
                    assessment_id=new.id,
                    lesion_id=m.lesion_id,
                    status=m.status,
                    diameter_mm=m.diameter_mm,
                    short_axis_mm=m.short_axis_mm,
                    mean_hu=m.mean_hu,
                    volume_ml=m.volume_ml,
                    unit=m.unit,
                    fragments_mm=m.fragments_mm,
                    objects=m.objects,
                    updated_at=utcnow(),
                )
                s.add(copy)
                s.flush()
                audit.append(
                    s,
                    self.username,
                    "create",
                    "measurement",
                    copy.id,
                    None,
                    {"read": read.id, "label": label, "lesion": m.lesion.code, **(_measurement_snapshot(copy) or {})},
                    "copied into the amendment",
                )
            old.status = "superseded"
            audit.append(
                s,
                self.username,
                "amend",
                "timepoint",
                new.id,
                {"label": label, "version": old.version, "status": "signed"},
                {"label": label, "version": new.version, "status": "draft", "supersedes": old.id},
                why,
            )
            self._recompute(s, read)
            return self._assessment_view(s, new, self._baseline_study_date(s, read))

        return self._write(work)

    # ----- central review: adjudication -----

    def _complete(self, s: Session, read: Read) -> bool:
        labels = {
            st.timepoint_label
            for st in s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id == read.subject_id))
            if st.timepoint_label is not None
        }
        current = {a.label: a for a in _current_versions(s, read.id)}
        return bool(labels) and all(lab in current and current[lab].status == "signed" for lab in labels)

    def _check_adjudication(self, s: Session, read: Read) -> None:
        """When both central reads of a subject are complete, call the adjudicator if they disagree."""
        central = self.protocol.central
        if read.kind != "central" or not central.adjudication or central.readers_per_subject < 2:
            return
        reads = list(s.scalars(select(Read).where(Read.subject_id == read.subject_id).order_by(Read.id)))
        if len(reads) < 2 or not all(self._complete(s, r) for r in reads[:2]):
            return
        a, b = reads[0], reads[1]
        triggers = []
        for criterion in central.adjudicate_criteria:
            ra = (a.results or {}).get(criterion) or {}
            rb = (b.results or {}).get(criterion) or {}
            for key in central.adjudicate_on:
                if ra.get(key) != rb.get(key):
                    what = "best overall response" if key == "best_overall_response" else "progression day"
                    triggers.append(f"{criterion} {what}: {ra.get(key)} (A) vs {rb.get(key)} (B)")
        adj = s.scalar(select(Adjudication).where(Adjudication.subject_id == read.subject_id))
        if adj is not None:
            if adj.status == "pending" and not triggers:
                adj.status = "withdrawn"
                audit.append(
                    s, self.username, "withdraw", "adjudication", adj.id, {"status": "pending"}, {"status": "withdrawn"}
                )
            elif adj.status == "pending":
                adj.triggers = triggers
            return
        if not triggers:
            return
        adj = Adjudication(
            subject_id=read.subject_id,
            read_a_id=a.id,
            read_b_id=b.id,
            status="pending",
            triggers=triggers,
            created_at=utcnow(),
        )
        s.add(adj)
        s.flush()
        audit.append(s, self.username, "create", "adjudication", adj.id, after={"triggers": triggers})

    def adjudications(self) -> list[AdjudicationView]:
        """The adjudicator's worklist (pseudonyms and the readers' disagreements only)."""
        if self.role not in ("adjudicator", "manager"):
            raise AccessDeniedError("only an adjudicator sees the adjudication worklist")

        def work(s: Session) -> list[AdjudicationView]:
            out = []
            for adj in s.scalars(select(Adjudication).order_by(Adjudication.id)):
                subject = s.get(Subject, adj.subject_id)
                chosen = None
                if adj.chosen_read_id is not None:
                    chosen = "A" if adj.chosen_read_id == adj.read_a_id else "B"
                out.append(
                    AdjudicationView(
                        adjudication_id=adj.id,
                        pseudonym=subject.pseudonym if subject else "?",
                        status=adj.status,
                        triggers=tuple(adj.triggers),
                        read_a=adj.read_a_id,
                        read_b=adj.read_b_id,
                        chosen=chosen,
                        rationale=adj.rationale,
                    )
                )
            return out

        return self.db.read(work)

    def adjudicate(self, adjudication_id: int, choice: str, rationale: str, password: str) -> AdjudicationView:
        """Choose read A or B with a written rationale, confirmed by password; the decision is final."""
        if self.role != "adjudicator":
            raise AccessDeniedError("only an adjudicator decides an adjudication")
        if choice not in ("A", "B"):
            raise WorkflowError("choose read 'A' or read 'B'")
        why = _clean_reason(rationale, "an adjudication")

        def work(s: Session) -> AdjudicationView:
            reader = s.get(Reader, self.reader_id)
            if reader is None or not check_password(reader.password_hash, password):
                raise SignatureError("wrong password: the adjudication was not recorded")
            adj = s.get(Adjudication, adjudication_id)
            if adj is None:
                raise NotFoundError(f"no adjudication {adjudication_id}")
            if adj.status != "pending":
                raise LockedReadError(f"adjudication {adjudication_id} is {adj.status}, not pending")
            adj.chosen_read_id = adj.read_a_id if choice == "A" else adj.read_b_id
            adj.adjudicator_id = reader.id
            adj.rationale = why
            adj.status = "decided"
            adj.decided_at = utcnow()
            audit.append(
                s,
                self.username,
                "adjudicate",
                "adjudication",
                adj.id,
                {"status": "pending"},
                {"status": "decided", "chosen": choice, "read": adj.chosen_read_id},
                why,
            )
            subject = s.get(Subject, adj.subject_id)
            return AdjudicationView(
                adj.id,
                subject.pseudonym if subject else "?",
                adj.status,
                tuple(adj.triggers),
                adj.read_a_id,
                adj.read_b_id,
                choice,
                why,
            )

        return self._write(work)
