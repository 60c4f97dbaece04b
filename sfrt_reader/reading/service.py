"""The reading workflow, enforced below any GUI: one service per database, one session per logged-in reader.

Every change is one transaction that also appends its audit event and recomputes the responses, so the stored
results always match the stored measurements, and a crash leaves either the whole change or none of it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sfrt_reader.reading import audit
from sfrt_reader.reading.database import Database
from sfrt_reader.reading.engine import Assessor, assess_with_criteria_engine
from sfrt_reader.reading.errors import (
    AuthenticationError,
    LockedReadError,
    NotFoundError,
    ReadingError,
    WorkflowError,
)
from sfrt_reader.reading.integrity import data_problem
from sfrt_reader.reading.models import (
    Adjudication,
    AuditEvent,
    ExportedDocument,
    ImagingStudy,
    Read,
    Reader,
    Site,
    Subject,
    SubjectIdentity,
    TimepointAssessment,
    Trial,
    utcnow,
)
from sfrt_reader.reading.passwords import check_password, hash_password
from sfrt_reader.reading.records import (
    ROLES,
    clean_reason,
    current_versions,
    identity_digest,
    versions_of,
)
from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.trial import Protocol, TimepointWindowError, assign_timepoint, parse_protocol

T = TypeVar("T")


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
    adjudication: str | None  # pending, chosen, not chosen, withdrawn; None when never adjudicated


@dataclass(frozen=True)
class ExportRecord:
    """A document that left the workstation, as the database recorded it: what a printed form is checked against.

    `details` are the extra facts recorded with the export's audit event (a form's version, for one); empty for
    exports recorded before such facts were kept. `version` is the version of the timepoint assessment exported.
    """

    export_id: int
    read_id: int
    label: str | None
    version: int | None
    kind: str
    sha256: str
    exported_by: str
    exported_at: datetime
    details: dict[str, Any]


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
                    "identity_sha256": identity_digest(patient_id, patient_name, birth_date),
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
            before = identity_digest(ident.patient_id, ident.patient_name, ident.birth_date)
            ident.patient_id = ident.patient_id or patient_id or None
            ident.patient_name = ident.patient_name or patient_name or None
            ident.birth_date = ident.birth_date or birth_date
            after = identity_digest(ident.patient_id, ident.patient_name, ident.birth_date)
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
        why = clean_reason(reason, "assigning a timepoint by hand")

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
            protocol = self.protocol
            order = {label: i for i, label in enumerate(protocol.labels())}
            for read in s.scalars(select(Read).order_by(Read.id)):
                current = sorted(current_versions(s, read.id), key=lambda a: order.get(a.label, len(order)))
                results = read.results or {}
                adj = s.scalar(select(Adjudication).where(Adjudication.subject_id == read.subject_id))
                state = None
                if adj is not None and read.id in (adj.read_a_id, adj.read_b_id):
                    state = adj.status
                    if adj.status == "decided":
                        state = "chosen" if adj.chosen_read_id == read.id else "not chosen"
                out.append(
                    ReadSummary(
                        read_id=read.id,
                        pseudonym=read.subject.pseudonym,
                        reader=read.reader.username,
                        kind=read.kind,
                        signed=tuple(a.label for a in current if a.status == "signed"),
                        draft=tuple(a.label for a in current if a.status == "draft"),
                        best={c: (results.get(c) or {}).get("best_overall_response") for c in ("recist1.1", "choi")},
                        adjudication=state,
                    )
                )
            return out

        return self.db.read(work)

    def record_export(
        self,
        read_id: int,
        label: str | None,
        kind: str,
        sha256: str,
        actor_reader_id: int,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Record a form or file that left the workstation with its SHA-256 (the footer of a PDF form).

        `details` (plain JSON values, e.g. the form version a PDF was built under) go into the export's audit event,
        so that a later check rebuilds the document by the same rules; the hash chain protects them.
        """
        extra = dict(details or {})
        clash = sorted(set(extra) & {"read", "timepoint", "kind", "sha256"})
        if clash:
            raise ReadingError(f"export details may not replace the recorded {', '.join(clash)}")
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
                # The latest signed version: the current one, or, while an amendment is a draft, the version it
                # will replace (superseded versions were all signed).
                signed = [a for a in versions_of(s, read_id, label) if a.status in ("signed", "superseded")]
                if not signed:
                    raise WorkflowError(f"timepoint {label} of read {read_id} is not signed: sign it before export")
                assessment_id = signed[-1].id
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
                after={"read": read_id, "timepoint": label, "kind": kind, "sha256": sha256, **extra},
            )
            return record.id

        return self.db.write(work)

    def exported_documents(self, read_id: int) -> list[ExportRecord]:
        """Every recorded export of a read, oldest first, with the details its audit event holds."""

        def work(s: Session) -> list[ExportRecord]:
            out = []
            query = select(ExportedDocument).where(ExportedDocument.read_id == read_id).order_by(ExportedDocument.id)
            for doc in s.scalars(query):
                event = s.scalar(
                    select(AuditEvent).where(
                        AuditEvent.entity == "exported_document",
                        AuditEvent.entity_id == str(doc.id),
                        AuditEvent.action == "export",
                    )
                )
                after = json.loads(event.after) if event is not None and event.after else {}
                details = {k: v for k, v in after.items() if k not in ("read", "timepoint", "kind", "sha256")}
                assessment = s.get(TimepointAssessment, doc.assessment_id) if doc.assessment_id else None
                reader = s.get(Reader, doc.created_by)
                out.append(
                    ExportRecord(
                        export_id=doc.id,
                        read_id=doc.read_id,
                        label=assessment.label if assessment else None,
                        version=assessment.version if assessment else None,
                        kind=doc.kind,
                        sha256=doc.sha256,
                        exported_by=reader.username if reader else "?",
                        exported_at=doc.created_at,
                        details=details,
                    )
                )
            return out

        return self.db.read(work)

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
            problem = data_problem(s)
            return audit.VerifyReport(report.events, report.head_hash, problem)

        return self.db.read(work)
