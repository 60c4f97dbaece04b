"""A logged-in reader's session: the reading workflow (lesions, measurements, signing, amendments,
adjudication) and the blinded views it hands out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from sfrt_reader.reading import audit
from sfrt_reader.reading.document import (
    MEASUREMENT_STATUSES,
    NEW_LESION_VALUES,
    NON_TARGET_STATUSES,
    LesionInput,
    MeasurementInput,
    TimepointInput,
    build_engine_document,
)
from sfrt_reader.reading.engine import EngineOutcome
from sfrt_reader.reading.errors import (
    AccessDeniedError,
    IdentifyingTextError,
    LockedReadError,
    NotFoundError,
    SignatureError,
    WorkflowError,
)
from sfrt_reader.reading.free_text import TextScreen, refusal
from sfrt_reader.reading.measurement_values import (
    DIAMETER_PATHS,
    MEAN_PATHS,
    SHORT_AXIS_PATHS,
    VOLUME_PATHS,
    as_number,
    number_from_objects,
)
from sfrt_reader.reading.models import (
    Adjudication,
    ExportedDocument,
    ImagingStudy,
    Lesion,
    Measurement,
    Read,
    Reader,
    Signature,
    Subject,
    TimepointAssessment,
    utcnow,
)
from sfrt_reader.reading.passwords import check_password
from sfrt_reader.reading.preload import IdentityRows, Preloaded
from sfrt_reader.reading.records import (
    ADJUDICATION_MEANING,
    LESION_ROLES,
    SIGNATURE_MEANING,
    assessment_content,
    clean_reason,
    current_version,
    current_versions,
    lesions_of,
    measurement_snapshot,
    measurements_of,
    versions_of,
)
from sfrt_reader.reading.text_screens import screens_for_reads
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
    TimepointImages,
)
from sfrt_reader.trial import Protocol, ProtocolError

T = TypeVar("T")

if TYPE_CHECKING:
    from sfrt_reader.imaging.registration_result import Registration
    from sfrt_reader.reading.service import ReadingService


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

    # ----- free text -----

    def _refuse_identifying(self, s: Session, read: Read, texts: dict[str, str | None]) -> None:
        """Refuse (IdentifyingTextError, nothing saved) free text that names the subject or, in a blinded read,
        would unblind: the UI shows the message and keeps the text for the reader to correct."""
        if not any(texts.values()):
            return
        screen = screens_for_reads(s, [read], self.blinded)[read.id]
        for what, text in texts.items():
            found = screen.findings(text)
            if found:
                raise IdentifyingTextError(refusal(found, what, screen.blinded))

    def text_screens(self, read_ids: list[int]) -> dict[int, TextScreen]:
        """The free-text screen of each read this session may see (blinded for a central read or a blinded
        session), for exports that redact text stored before it was screened at entry. The screens hold the
        subject's identifiers but show nothing of them."""

        def work(s: Session) -> dict[int, TextScreen]:
            ids = list(dict.fromkeys(read_ids))
            # one query for the reads and one for their readers; the access checks below find them loaded
            loaded = list(s.scalars(select(Read).where(Read.id.in_(ids)).options(selectinload(Read.reader))))
            reads = [self._read_for_view(s, rid)[0] for rid in ids]
            del loaded  # held until here: the session's identity map keeps only weak references
            return screens_for_reads(s, reads, self.blinded)

        return self.db.read(work)

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
                current = {a.label: a for a in current_versions(s, read.id)} if read else {}
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
        return self.identities([pseudonym])[pseudonym]

    def identities(self, pseudonyms: list[str]) -> dict[str, IdentityView]:
        """`identity` of several subjects in three queries (a local trial-level export); refused when blinded."""
        if self.blinded:
            raise AccessDeniedError("this is a blinded central-review session: identity, arm and dates are withheld")

        def work(s: Session) -> dict[str, IdentityView]:
            rows = IdentityRows.load(s, pseudonyms)
            out = {}
            for pseudonym in pseudonyms:
                subject = rows.subjects.get(pseudonym)
                if subject is None:
                    self.service._subject(s, pseudonym)  # raises the usual "no subject" error
                    continue
                ident = rows.identities.get(subject.id)
                out[pseudonym] = IdentityView(
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
                        for st in rows.studies.get(subject.id, [])
                    ),
                )
            return out

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

    def exporter_session(self, read_id: int, export_id: int) -> tuple[ReaderSession, str]:
        """Who made an export of a read this session may see: a session with that user's view of the read, to
        rebuild the exported content exactly as it was made, and how to name that user to this session.

        Why: the content of a form depends on who printed it (an adjudicator sees the two readers as "A" and "B", a
        reader or a manager sees the reader's name), so checking a form printed by someone else means rebuilding
        it with that person's view. The returned session serves only to recompute the form's hash: nothing it
        reads is shown. The name given is the one this session may see: its own user name, the read's reader as
        this session knows him ("reader A" for an adjudicator), otherwise only the exporter's role."""

        def work(s: Session) -> tuple[int, str, str, str]:
            read, reader_label = self._read_for_view(s, read_id)  # refuses a read this session may not see
            doc = s.get(ExportedDocument, export_id)
            if doc is None or doc.read_id != read.id:
                raise NotFoundError(f"no export {export_id} of read {read_id}")
            exporter = s.get(Reader, doc.created_by)
            if exporter is None:
                raise NotFoundError(f"the user who made export {export_id} of read {read_id} is no longer known")
            if exporter.id == self.reader_id:
                shown = self.username
            elif exporter.id == read.reader_id:
                shown = f"reader {reader_label}" if reader_label in ("A", "B") else reader_label
            else:
                shown = {"adjudicator": "the adjudicator", "manager": "a manager"}.get(exporter.role, "another user")
            return exporter.id, exporter.username, exporter.role, shown

        exporter_id, username, role, shown = self.db.read(work)
        if exporter_id == self.reader_id:
            return self, shown
        return ReaderSession(self.service, exporter_id, username, role), shown

    def views(self, read_ids: list[int]) -> list[ReadView]:
        """`view` of several reads at once, for a trial-level export of a hundred reads.

        The same `_view` as `view`, in one database session, but fed from rows fetched with one query per table
        for all the reads (`Preloaded`) instead of a few queries per timepoint: a constant number of statements
        however many reads are asked for.
        """

        def work(s: Session) -> list[ReadView]:
            pre = Preloaded.load(s, read_ids)
            reads = [self._read_for_view(s, rid) for rid in read_ids]
            return [self._view(s, read, label, pre) for read, label in reads]

        return self.db.read(work)

    def study_images(self, read_id: int) -> dict[str, StudyImages]:
        """Where the images of each started timepoint of a read are, for key images and DICOM SR export.

        A central read was measured on the de-identified copies, so its folder and Study Instance UID are those of
        the copies (UIDs remapped with the subject's secret); a local read uses the imported originals.
        """
        from sfrt_reader.imaging.deidentify import remap_uid

        def work(s: Session) -> dict[str, StudyImages]:
            read, _ = self._read_for_view(s, read_id)
            out: dict[str, StudyImages] = {}
            for a in current_versions(s, read.id):
                st = a.study
                if read.kind == "central":
                    folder = st.deidentified_path
                    uid = remap_uid(st.study_instance_uid, read.subject.uid_secret) if folder else None
                else:
                    folder, uid = st.source_path, st.study_instance_uid
                out[a.label] = StudyImages(a.label, uid, folder)
            return out

        return self.db.read(work)

    def study_assignment(self, study_instance_uid: str) -> tuple[str, str | None, int] | None:
        """(pseudonym, assigned timepoint label or None, study number) of the study an exported file refers to.

        A central trial's files carry the de-identified copies' Study Instance UIDs (remapped with each subject's
        secret), a local trial's the originals, as `study_images` hands them out. None when no study matches.
        """
        from sfrt_reader.imaging.deidentify import remap_uid

        central = self.service.paradigm == "central"

        def work(s: Session) -> tuple[str, str | None, int] | None:
            rows = s.execute(select(ImagingStudy, Subject).join(Subject, ImagingStudy.subject_id == Subject.id))
            for st, subject in rows:
                if central:
                    uid = remap_uid(st.study_instance_uid, subject.uid_secret) if st.deidentified_path else None
                else:
                    uid = st.study_instance_uid
                if uid == study_instance_uid:
                    return subject.pseudonym, st.timepoint_label, st.id
            return None

        return self.db.read(work)

    def timepoint_images(self, read_id: int) -> list[TimepointImages]:
        """The images of every assigned timepoint of a read's subject, in protocol order, for the viewer.

        A blinded session gets only de-identified copies: an original folder may carry the patient's name in its
        path and identifiers in its headers, so a study without a de-identified copy is refused here. The Study
        Instance UID given with a copy is the remapped one that the copy's files carry.
        """
        from sfrt_reader.imaging.deidentify import remap_uid

        def work(s: Session) -> list[TimepointImages]:
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
                copy = st.deidentified_path is not None
                uid = remap_uid(st.study_instance_uid, read.subject.uid_secret) if copy else st.study_instance_uid
                out.append(
                    TimepointImages(
                        label=st.timepoint_label or "",
                        day=None if baseline is None or st.study_date is None else (st.study_date - baseline).days,
                        modality=st.modality,
                        study_instance_uid=uid,
                        path=path,
                        deidentified=copy,
                    )
                )
            return out

        return self.db.read(work)

    def history(self, read_id: int, label: str) -> list[AssessmentView]:
        """Every version of a timepoint, oldest first: amendments never hide what was signed before."""

        def work(s: Session) -> list[AssessmentView]:
            read, who = self._read_for_view(s, read_id)
            baseline = self._baseline_study_date(s, read)
            alias = who if who in ("A", "B") else None
            return [self._assessment_view(s, a, baseline, alias) for a in versions_of(s, read.id, label)]

        return self.db.read(work)

    def _baseline_study_date(self, s: Session, read: Read) -> date | None:
        base = current_version(s, read.id, self.protocol.baseline.label)
        return base.study.study_date if base is not None else None

    def _assessment_view(
        self,
        s: Session,
        a: TimepointAssessment,
        baseline: date | None,
        signer_label: str | None = None,
        pre: Preloaded | None = None,
    ) -> AssessmentView:
        """One version of a timepoint; `signer_label` replaces the signer's name (an adjudicator sees "A"/"B").
        With `pre` (a trial-level export) the rows come from the bulk load instead of a query each."""
        if pre is None:
            sig = s.scalar(select(Signature).where(Signature.assessment_id == a.id))
            rows = measurements_of(s, a.id)
        else:
            sig, rows = pre.signatures.get(a.id), pre.measurements.get(a.id, [])
        signature = None
        if sig is not None:
            signer = pre.readers.get(sig.reader_id) if pre is not None else s.get(Reader, sig.reader_id)
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
                for m in sorted(rows, key=lambda m: m.lesion.code)
            ),
            results=a.results,
            problems=tuple(a.problems or ()),
            engine_version=a.engine_version,
            amendment_reason=a.amendment_reason,
            signature=signature,
        )

    def _view(self, s: Session, read: Read, reader_label: str, pre: Preloaded | None = None) -> ReadView:
        if pre is None:
            baseline = self._baseline_study_date(s, read)
            versions, lesions = current_versions(s, read.id), lesions_of(s, read.id)
        else:
            base = pre.current_version(read.id, self.protocol.baseline.label)
            baseline = base.study.study_date if base is not None else None
            versions, lesions = pre.current_versions(read.id), pre.lesions.get(read.id, [])
        current = sorted(versions, key=lambda a: self._order(a.label))
        return ReadView(
            read_id=read.id,
            pseudonym=read.subject.pseudonym,
            kind=read.kind,
            reader=reader_label,
            lesions=tuple(
                LesionView(les.code, les.role, les.organ, les.nodal, les.first_label, les.description)
                for les in lesions
            ),
            timepoints=tuple(
                self._assessment_view(s, a, baseline, reader_label if reader_label in ("A", "B") else None, pre)
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
            if versions_of(s, read.id, label):
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
                first = current_version(s, read.id, baseline_label)
                if first is None or first.status != "signed":
                    raise WorkflowError(f"timepoints are read in order: sign {baseline_label} before starting {label}")
                # Every earlier timepoint with a study must be read and signed first.
                earlier = {
                    st.timepoint_label
                    for st in s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id == read.subject_id))
                    if st.timepoint_label is not None and self._order(st.timepoint_label) < order
                }
                for previous in sorted(earlier, key=self._order):
                    a = current_version(s, read.id, previous)
                    if a is None or a.status != "signed":
                        raise WorkflowError(f"timepoints are read in order: sign {previous} before starting {label}")
                base = current_version(s, read.id, self.protocol.baseline.label)
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
        a = current_version(s, read.id, label)
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
            self._refuse_identifying(s, read, {"the organ": organ, "the lesion's description": description})
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
            diameter_mm = number_from_objects(objs, DIAMETER_PATHS)
        if short_axis_mm is None:
            short_axis_mm = number_from_objects(objs, SHORT_AXIS_PATHS)
        if mean_hu is None:
            mean_hu = number_from_objects(objs, MEAN_PATHS)
        if volume_ml is None:
            volume_ml = number_from_objects(objs, VOLUME_PATHS)
        if unit is None:
            unit = next((o["unit"] for o in objs if isinstance(o.get("unit"), str)), None)
        values = {
            "diameter_mm": as_number("diameter_mm", diameter_mm),
            "short_axis_mm": as_number("short_axis_mm", short_axis_mm),
            "mean_hu": as_number("mean_hu", mean_hu),
            "volume_ml": as_number("volume_ml", volume_ml),
        }
        for name in ("diameter_mm", "short_axis_mm", "volume_ml"):
            v = values[name]
            if v is not None and v < 0:
                raise WorkflowError(f"{name} {v} is negative")
        fragments = [float(as_number("fragment", f) or 0.0) for f in fragments_mm] if fragments_mm else None
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
            before = measurement_snapshot(m)
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
                {"read": read.id, "label": label, "lesion": lesion_code, **(measurement_snapshot(m) or {})},
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

    def clear_measurement(self, read_id: int, label: str, lesion_code: str) -> None:
        """Remove one lesion's measurement from an open (draft) timepoint; signed ones cannot be touched."""

        def work(s: Session) -> None:
            read = self._read_for_change(s, read_id)
            a = self._draft(s, read, label)
            lesion = s.scalar(select(Lesion).where(Lesion.read_id == read.id, Lesion.code == lesion_code))
            m = None
            if lesion is not None:
                m = s.scalar(
                    select(Measurement).where(Measurement.assessment_id == a.id, Measurement.lesion_id == lesion.id)
                )
            if m is None:
                raise NotFoundError(f"{label} has no measurement of lesion {lesion_code} in read {read_id}")
            before = {"read": read.id, "label": label, "lesion": lesion_code, **(measurement_snapshot(m) or {})}
            s.delete(m)
            s.flush()
            audit.append(s, self.username, "delete", "measurement", m.id, before, None)
            self._recompute(s, read)

        self._write(work)

    def remove_lesion(self, read_id: int, lesion_code: str) -> None:
        """Remove a lesion recorded by mistake, while no signed timepoint refers to it."""

        def work(s: Session) -> None:
            read = self._read_for_change(s, read_id)
            lesion = s.scalar(select(Lesion).where(Lesion.read_id == read.id, Lesion.code == lesion_code))
            if lesion is None:
                raise NotFoundError(f"read {read_id} has no lesion {lesion_code}")
            first = current_version(s, read.id, lesion.first_label)
            if first is None or first.status != "draft":
                raise LockedReadError(
                    f"lesion {lesion_code} belongs to the signed timepoint {lesion.first_label}: amend it to remove"
                )
            for m in list(s.scalars(select(Measurement).where(Measurement.lesion_id == lesion.id))):
                owner = s.get(TimepointAssessment, m.assessment_id)
                if owner is None or owner.status != "draft":
                    raise LockedReadError(
                        f"lesion {lesion_code} is measured in a signed timepoint: it cannot be removed"
                    )
                before = {
                    "read": read.id,
                    "label": owner.label,
                    "lesion": lesion_code,
                    **(measurement_snapshot(m) or {}),
                }
                s.delete(m)
                s.flush()
                audit.append(s, self.username, "delete", "measurement", m.id, before, None)
            for a in current_versions(s, read.id):
                if a.status == "draft" and lesion_code in a.non_targets:
                    a.non_targets = {k: v for k, v in a.non_targets.items() if k != lesion_code}
            before_lesion = {"read": read.id, "code": lesion_code, "role": lesion.role, "organ": lesion.organ}
            s.delete(lesion)
            s.flush()
            audit.append(s, self.username, "delete", "lesion", lesion.id, before_lesion, None)
            self._recompute(s, read)

        self._write(work)

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
            self._refuse_identifying(s, read, {"the comment": comment})
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
        lesions = lesions_of(s, read.id)
        current = sorted(current_versions(s, read.id), key=lambda a: self._order(a.label))
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
                        for m in measurements_of(s, a.id)
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
            done = {m.lesion.code for m in measurements_of(s, a.id)}
            for les in lesions_of(s, read.id):
                if les.role == "target" and les.code not in done:
                    missing.append(
                        f"target {les.code} has no measurement (record 'not_evaluable' if it cannot be read)"
                    )
                if les.role == "non-target" and les.code not in a.non_targets:
                    missing.append(f"non-target {les.code} has no status")
                if les.role == "new" and les.first_label == label and a.new_lesions == "no":
                    missing.append(f"new lesion {les.code} is recorded but new lesions is 'no'")
            if label == self.protocol.baseline.label and not any(
                les.role in ("target", "non-target") for les in lesions_of(s, read.id)
            ):
                missing.append("baseline has no lesion defined")
            if a.problems:
                missing.extend(a.problems)
            elif a.results is None:
                missing.append("the responses could not be computed")
            if missing:
                raise SignatureError(f"timepoint {label} cannot be signed yet: " + "; ".join(missing))
            content = assessment_content(s, a)
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
        why = clean_reason(reason, "an amendment")

        def work(s: Session) -> AssessmentView:
            read = self._read_for_change(s, read_id)
            old = current_version(s, read.id, label)
            if old is None:
                raise WorkflowError(f"timepoint {label} has not been started in read {read_id}")
            if old.status != "signed":
                raise WorkflowError(f"timepoint {label} is not signed: change it directly, no amendment is needed")
            self._refuse_identifying(s, read, {"the amendment reason": why})
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
            for m in measurements_of(s, old.id):
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
                    {"read": read.id, "label": label, "lesion": m.lesion.code, **(measurement_snapshot(copy) or {})},
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
        current = {a.label: a for a in current_versions(s, read.id)}
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
        why = clean_reason(rationale, "an adjudication")

        def work(s: Session) -> AdjudicationView:
            reader = s.get(Reader, self.reader_id)
            if reader is None or not check_password(reader.password_hash, password):
                raise SignatureError("wrong password: the adjudication was not recorded")
            adj = s.get(Adjudication, adjudication_id)
            if adj is None:
                raise NotFoundError(f"no adjudication {adjudication_id}")
            if adj.status != "pending":
                raise LockedReadError(f"adjudication {adjudication_id} is {adj.status}, not pending")
            chosen = s.get(Read, adj.read_a_id if choice == "A" else adj.read_b_id)
            if chosen is not None:
                self._refuse_identifying(s, chosen, {"the rationale": why})
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
                {"status": "decided", "chosen": choice, "read": adj.chosen_read_id, "meaning": ADJUDICATION_MEANING},
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

    # ----- registrations for linked navigation (stored in `registrations`) -----

    def registrations(self, read_id: int, options_key: str) -> dict[tuple[str, str], Registration]:
        """Stored registrations of the read for these options, by (baseline, follow-up) series UID."""
        from sfrt_reader.reading.registrations import stored_registrations

        return stored_registrations(self, read_id, options_key)

    def store_registration(self, read_id: int, registration: Registration, options_key: str) -> None:
        """Store a computed registration of a follow-up series to the baseline series of the read."""
        from sfrt_reader.reading.registrations import store_registration

        store_registration(self, read_id, registration, options_key)

    def reject_registration(self, read_id: int, fixed_uid: str, moving_uid: str, options_key: str, reason: str) -> Any:
        """The reader says the registration does not line up: linking falls back to table position."""
        from sfrt_reader.reading.registrations import reject_registration

        return reject_registration(self, read_id, fixed_uid, moving_uid, options_key, reason)

    def withdraw_registration_rejection(
        self, read_id: int, fixed_uid: str, moving_uid: str, options_key: str
    ) -> Registration:
        """The reader takes a rejection back: the registration is used for linking by anatomy again."""
        from sfrt_reader.reading.registrations import withdraw_rejection

        return withdraw_rejection(self, read_id, fixed_uid, moving_uid, options_key)
