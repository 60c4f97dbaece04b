"""What the database knows that free text must not carry, loaded for the free-text screen (`free_text.py`).

The identifiers are read inside the reading layer and turned into `TextScreen`s at once; a session hands out only
the screen (which shows nothing of them), never the identifiers, so a blinded session gains no access to identity
by asking for a screen.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from sfrt_reader.reading.free_text import Identifiers, TextScreen
from sfrt_reader.reading.models import ImagingStudy, Read, Site, Subject, SubjectIdentity

CHUNK = 500


def identifiers_of(s: Session, subject_ids: list[int]) -> dict[int, Identifiers]:
    """Per subject: names, IDs, birth date, accession numbers, institutions and study dates; every site's name."""
    ids = sorted(set(subject_ids))
    idents: dict[int, SubjectIdentity] = {}
    studies: dict[int, list[ImagingStudy]] = defaultdict(list)
    trials: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        for ident in s.scalars(select(SubjectIdentity).where(SubjectIdentity.subject_id.in_(part))):
            idents[ident.subject_id] = ident
        for st in s.scalars(select(ImagingStudy).where(ImagingStudy.subject_id.in_(part))):
            studies[st.subject_id].append(st)
        trials |= set(s.scalars(select(Subject.trial_id).where(Subject.id.in_(part))))
    sites = tuple(sorted({site.name for site in s.scalars(select(Site).where(Site.trial_id.in_(trials)))}))
    out = {}
    for sid in ids:
        found = idents.get(sid)
        own = studies.get(sid, [])
        out[sid] = Identifiers(
            patient_names=tuple(n for n in [found.patient_name if found else None] if n),
            patient_ids=tuple(p for p in [found.patient_id if found else None] if p),
            accession_numbers=tuple(sorted({st.accession_number for st in own if st.accession_number})),
            birth_dates=tuple(d for d in [found.birth_date if found else None] if d),
            institutions=tuple(sorted({st.institution for st in own if st.institution})),
            study_dates=tuple(sorted({st.study_date for st in own if st.study_date})),
            site_names=sites,
        )
    return out


def screens_for_reads(s: Session, reads: list[Read], blinded_session: bool) -> dict[int, TextScreen]:
    """A screen per read: blinded for a central read or a blinded session (dates and site names unblind too)."""
    identifiers = identifiers_of(s, [r.subject_id for r in reads])
    return {r.id: TextScreen(identifiers[r.subject_id], blinded_session or r.kind == "central") for r in reads}
