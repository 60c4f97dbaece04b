"""Set-based loading of many reads at once, for trial-level exports of a hundred reads and more.

`ReaderSession.view` builds one read with a handful of small queries per timepoint (its versions, measurements,
signature). That is right for one read on screen, but a trial export of 106 subjects x 8 timepoints would issue
about twenty queries per read. `Preloaded.load` fetches the same rows with one query per table for all the reads
(in chunks, to stay under the SQL parameter limit), and the session's `_view` takes the rows from here instead of
querying, so both paths build their views from the same code and the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sfrt_reader.reading.models import (
    ImagingStudy,
    Lesion,
    Measurement,
    Read,
    Reader,
    Signature,
    Subject,
    SubjectIdentity,
    TimepointAssessment,
)

CHUNK = 500  # ids per IN (...): SQLite's default limit on bound parameters is far above, PostgreSQL has none


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


@dataclass
class Preloaded:
    """The rows of a set of reads, grouped the way `_view` asks for them."""

    reads: dict[int, Read] = field(default_factory=dict)
    lesions: dict[int, list[Lesion]] = field(default_factory=lambda: defaultdict(list))  # read id -> by id
    versions: dict[int, list[TimepointAssessment]] = field(default_factory=lambda: defaultdict(list))
    measurements: dict[int, list[Measurement]] = field(default_factory=lambda: defaultdict(list))  # assessment id
    signatures: dict[int, Signature] = field(default_factory=dict)  # assessment id -> signature
    readers: dict[int, Reader] = field(default_factory=dict)
    keep: list[Any] = field(default_factory=list)  # the identity map holds objects weakly: keep them alive

    @classmethod
    def load(cls, s: Session, read_ids: list[int]) -> Preloaded:
        """One query per table (per chunk of ids) for every row `_view` reads."""
        pre = cls()
        pre.readers = {r.id: r for r in s.scalars(select(Reader))}
        for part in _chunks(sorted(set(read_ids))):
            for read in s.scalars(select(Read).where(Read.id.in_(part)).options(selectinload(Read.subject))):
                pre.reads[read.id] = read
            for les in s.scalars(select(Lesion).where(Lesion.read_id.in_(part)).order_by(Lesion.id)):
                pre.lesions[les.read_id].append(les)
            assessments = list(
                s.scalars(
                    select(TimepointAssessment)
                    .where(TimepointAssessment.read_id.in_(part))
                    .options(selectinload(TimepointAssessment.study))
                    .order_by(TimepointAssessment.label, TimepointAssessment.version)
                )
            )
            for a in assessments:
                pre.versions[a.read_id].append(a)
            for a_part in _chunks([a.id for a in assessments]):
                for m in s.scalars(select(Measurement).where(Measurement.assessment_id.in_(a_part))):
                    pre.measurements[m.assessment_id].append(m)
                for sig in s.scalars(select(Signature).where(Signature.assessment_id.in_(a_part))):
                    pre.signatures[sig.assessment_id] = sig
            pre.keep += assessments
        pre.keep += list(pre.reads.values())
        return pre

    def current_versions(self, read_id: int) -> list[TimepointAssessment]:
        """As `records.current_versions`: the latest version of each label, in label order."""
        latest: dict[str, TimepointAssessment] = {}
        for a in self.versions.get(read_id, []):
            latest[a.label] = a
        return list(latest.values())

    def current_version(self, read_id: int, label: str) -> TimepointAssessment | None:
        found = [a for a in self.versions.get(read_id, []) if a.label == label]
        return found[-1] if found else None


@dataclass(frozen=True)
class IdentityRows:
    """Subjects, their identity rows and studies by pseudonym: `ReaderSession.identities` in three queries."""

    subjects: dict[str, Subject]
    identities: dict[int, SubjectIdentity]
    studies: dict[int, list[ImagingStudy]]

    @classmethod
    def load(cls, s: Session, pseudonyms: list[str]) -> IdentityRows:
        subjects: dict[str, Subject] = {}
        identities: dict[int, SubjectIdentity] = {}
        studies: dict[int, list[ImagingStudy]] = defaultdict(list)
        names = sorted(set(pseudonyms))
        for i in range(0, len(names), CHUNK):
            part = names[i : i + CHUNK]
            for subject in s.scalars(
                select(Subject).where(Subject.pseudonym.in_(part)).options(selectinload(Subject.site))
            ):
                subjects[subject.pseudonym] = subject
            ids = [subject.id for subject in subjects.values() if subject.pseudonym in part]
            for ident in s.scalars(select(SubjectIdentity).where(SubjectIdentity.subject_id.in_(ids))):
                identities[ident.subject_id] = ident
            for st in s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id.in_(ids)).order_by(ImagingStudy.id)):
                studies[st.subject_id].append(st)
        return cls(subjects, identities, studies)
