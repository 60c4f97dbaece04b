"""The read database's tables (SQLAlchemy 2 ORM), at the newest schema revision.

The schema itself is created and changed only by the Alembic migrations in `migrations/`; these classes must stay
equal to what the migrations build (a test compares them), so that a database made by any earlier release upgrades
to exactly this.

Identifiers (patient name, ID, birth date) live in `subject_identity`, apart from the pseudonym, so that a blinded
session never needs to touch the table that holds them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Trial(Base):
    __tablename__ = "trial"
    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[str] = mapped_column(String(64))
    protocol_toml: Mapped[str] = mapped_column(Text)
    paradigm: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("trial_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))


class Subject(Base):
    __tablename__ = "subject"
    __table_args__ = (UniqueConstraint("trial_id", "pseudonym"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    pseudonym: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str | None] = mapped_column(String(32))
    rt_start_date: Mapped[date | None] = mapped_column(Date)
    rt_end_date: Mapped[date] = mapped_column(Date)
    # De-identification: a per-subject secret for UID remapping and a per-subject date shift, kept so that
    # every later import of the same subject maps UIDs and dates the same way.
    uid_secret: Mapped[str] = mapped_column(String(64))
    date_shift_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    site: Mapped[Site] = relationship()


class SubjectIdentity(Base):
    __tablename__ = "subject_identity"
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), primary_key=True)
    patient_id: Mapped[str | None] = mapped_column(String(128))
    patient_name: Mapped[str | None] = mapped_column(String(256))
    birth_date: Mapped[date | None] = mapped_column(Date)


class ImagingStudy(Base):
    __tablename__ = "imaging_study"
    __table_args__ = (UniqueConstraint("subject_id", "study_instance_uid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    study_instance_uid: Mapped[str] = mapped_column(String(64))
    study_date: Mapped[date | None] = mapped_column(Date)
    modality: Mapped[str | None] = mapped_column(String(16))
    contrast: Mapped[bool | None] = mapped_column(Boolean)
    slice_thickness_mm: Mapped[float | None] = mapped_column(Float)
    accession_number: Mapped[str | None] = mapped_column(String(64))
    institution: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(256))
    source_path: Mapped[str | None] = mapped_column(Text)
    deidentified_path: Mapped[str | None] = mapped_column(Text)
    series_count: Mapped[int] = mapped_column(Integer)
    instance_count: Mapped[int] = mapped_column(Integer)
    burned_in_annotation: Mapped[bool] = mapped_column(Boolean)
    timepoint_label: Mapped[str | None] = mapped_column(String(32))
    assignment: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reader(Base):
    __tablename__ = "reader"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Read(Base):
    __tablename__ = "read"
    __table_args__ = (UniqueConstraint("subject_id", "reader_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    kind: Mapped[str] = mapped_column(String(16))
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    engine_version: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    subject: Mapped[Subject] = relationship()
    reader: Mapped[Reader] = relationship()


class Lesion(Base):
    __tablename__ = "lesion"
    __table_args__ = (UniqueConstraint("read_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("read.id"))
    code: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    organ: Mapped[str] = mapped_column(String(64))
    nodal: Mapped[bool] = mapped_column(Boolean)
    first_label: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)


class TimepointAssessment(Base):
    __tablename__ = "timepoint_assessment"
    __table_args__ = (UniqueConstraint("read_id", "label", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("read.id"))
    label: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    study_id: Mapped[int] = mapped_column(ForeignKey("imaging_study.id"))
    status: Mapped[str] = mapped_column(String(16))
    non_targets: Mapped[dict[str, str]] = mapped_column(JSON)
    new_lesions: Mapped[str] = mapped_column(String(16))
    new_intratumoral_nodules: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    problems: Mapped[list[str] | None] = mapped_column(JSON)
    engine_version: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("timepoint_assessment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    study: Mapped[ImagingStudy] = relationship()


class Measurement(Base):
    __tablename__ = "measurement"
    __table_args__ = (UniqueConstraint("assessment_id", "lesion_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("timepoint_assessment.id"))
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesion.id"))
    status: Mapped[str] = mapped_column(String(16))
    diameter_mm: Mapped[float | None] = mapped_column(Float)
    short_axis_mm: Mapped[float | None] = mapped_column(Float)
    mean_hu: Mapped[float | None] = mapped_column(Float)
    volume_ml: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    fragments_mm: Mapped[list[float] | None] = mapped_column(JSON)
    objects: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lesion: Mapped[Lesion] = relationship()


class Signature(Base):
    __tablename__ = "signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("timepoint_assessment.id"), unique=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    meaning: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the number and hash of the last audit event, locked by every write to serialise the chain."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


# Revision 0002: adjudication of discordant central reads, and the record of every exported document.


class Adjudication(Base):
    __tablename__ = "adjudication"
    __table_args__ = (UniqueConstraint("subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    read_a_id: Mapped[int] = mapped_column(ForeignKey("read.id"))
    read_b_id: Mapped[int] = mapped_column(ForeignKey("read.id"))
    status: Mapped[str] = mapped_column(String(16))
    triggers: Mapped[list[str]] = mapped_column(JSON)
    adjudicator_id: Mapped[int | None] = mapped_column(ForeignKey("reader.id"))
    chosen_read_id: Mapped[int | None] = mapped_column(ForeignKey("read.id"))
    rationale: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExportedDocument(Base):
    """A form or data file that left the workstation, with its SHA-256, so a printed form can be traced."""

    __tablename__ = "exported_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("read.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("timepoint_assessment.id"))
    kind: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Revision 0003: registrations of follow-up series to the baseline, for linked navigation.


class StoredRegistration(Base):
    """One follow-up series registered to the baseline series of a read (`Registration.to_dict()` in `document`).

    Keyed by the two series and the registration options, so that the same pair is never registered twice for a
    read and a change of options registers again. Per read, not per subject: a reader's judgement that a
    registration does not line up (`rejected`) must not steer another blinded reader's navigation.
    """

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("read_id", "fixed_series_uid", "moving_series_uid", "options_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("read.id"))
    fixed_series_uid: Mapped[str] = mapped_column(String(64))
    moving_series_uid: Mapped[str] = mapped_column(String(64))
    options_key: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(16))
    metric_value: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rejected: Mapped[bool] = mapped_column(Boolean)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    rejected_by: Mapped[int | None] = mapped_column(ForeignKey("reader.id"))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
