"""The free-text screen: identifiers found in the spellings a reader types, never echoed; refused where text is
entered, in the session, with nothing saved."""

from __future__ import annotations

import json
import re
import string
from datetime import date

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from sfrt_reader.reading import ReaderSession, ReadingService
from sfrt_reader.reading.errors import IdentifyingTextError
from sfrt_reader.reading.free_text import (
    HONORIFICS,
    MONTHS,
    Identifiers,
    TextScreen,
    redact,
    refusal,
    screen,
)
from tests.reading.conftest import IDENTITIES, INSTITUTION, PASSWORD, STUDY_DATES
from tests.reading.test_central import complete_read

MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]  # fmt: skip
CLINICAL = [
    "T1 measured on the portal venous phase, LD 12.5 mm, SA 8 mm",
    "density fell from 45 to 20 HU (-55.6%), central necrosis",
    "margins blurred by oedema; the lesion may be smaller on day 91",
    "3/4 of the tumour is necrotic, 2 new nodules of 5 and 7 mm",
    "Choi PR by density; RECIST SD (-12.0% vs baseline)",
    "mass in the adductor compartment, no new lesion",
    "re-measured along the enhancing margin at 6 months",
]

NAME_SPELLINGS = ["{G} {F}", "{F}, {G}", "{F}^{G}", "{F} {G}", "{g}. {F}", "Mr {F}", "{G}   {F}", "{G} Q. {F}",
                  "Mrs. {F}", "{F},{G}"]  # fmt: skip
names = st.text(alphabet=string.ascii_letters, min_size=3, max_size=10).filter(
    lambda n: n.lower() not in MONTHS and n.lower() not in HONORIFICS
)


def cased(text: str, how: str) -> str:
    return {"upper": text.upper(), "lower": text.lower(), "title": text.title(), "as is": text}[how]


def covered(found: list, start: int, end: int, kind: str) -> bool:
    return any(f.kind == kind and f.start <= start and f.end >= end for f in found)


@settings(max_examples=150, deadline=None)
@example(family="AAA", given_name="HAR", spelling="{G} {F}", case="upper", blinded=False)  # "har" in "characters"
@given(
    family=names,
    given_name=names,
    spelling=st.sampled_from(NAME_SPELLINGS),
    case=st.sampled_from(["upper", "lower", "title", "as is"]),
    blinded=st.booleans(),
)
def test_the_patients_name_is_found_in_any_spelling(
    family: str, given_name: str, spelling: str, case: str, blinded: bool
) -> None:
    assume(family.lower() != given_name.lower())
    typed = cased(spelling.format(G=given_name, F=family, g=given_name[0]), case)
    text = f"Seen with {typed} today."
    ids = Identifiers(patient_names=(f"{family.upper()}^{given_name.upper()}",))
    found = screen(text, ids, blinded)
    assert covered(found, text.index(typed), text.index(typed) + len(typed), "patient_name"), (text, found)
    cleaned = redact(text, found)
    assert family.lower() not in cleaned.lower() and "[removed: patient name]" in cleaned
    message = refusal(found, "the comment", blinded)
    assert message.startswith("the comment contains the patient's name")
    # nothing but the message's own words: (a name may be a part of them, "Har" in "characters", so the words are
    # taken out first, and what is left must be separators only)
    leftover = re.sub(r"the patient's name \(characters \d+-\d+\)", "", message.removeprefix("the comment contains"))
    leftover = leftover.removesuffix(": remove it and save again").removesuffix(": remove them and save again")
    assert re.fullmatch(r"(?:[\s,]|and)*", leftover), message


@settings(max_examples=100, deadline=None)
@given(
    letters=st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=4),
    digits=st.integers(min_value=10_000, max_value=99_999_999),
    spelling=st.sampled_from(["{L}{D}", "{L}-{D}", "{L} {D}", "{l}{D}", "{D}", "MRN {D}", "{L}/{D}"]),
)
def test_a_hospital_number_is_found_with_or_without_separators(letters: str, digits: int, spelling: str) -> None:
    pid = f"{letters}{digits}"
    typed = spelling.format(L=letters, l=letters.lower(), D=digits)
    text = f"outside CT ({typed}) reviewed"
    found = screen(text, Identifiers(patient_ids=(pid,)), blinded=False)
    assert any(f.kind == "patient_id" for f in found), (text, found)
    assert str(digits) not in redact(text, found)
    assert str(digits) not in refusal(found, "the comment", False)


def spellings(d: date) -> list[str]:
    month = MONTH_NAMES[d.month - 1]
    return [
        d.isoformat(),
        d.strftime("%Y%m%d"),
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day}/{d.month}/{d.year}",
        f"{d.month}/{d.day}/{d.year}",
        f"{d.day} {month[:3]} {d.year}",
        f"{d.day} {month} {d.year}",
        f"{d.day}-{month[:3]}-{d.year}",
        f"{month} {d.day}, {d.year}",
        f"{d.day}th of {month} {d.year}",
    ]


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(1930, 1, 1), max_value=date(2040, 12, 31)), index=st.integers(0, 10))
def test_any_date_is_found_in_a_blinded_read_and_the_birth_date_in_every_read(day: date, index: int) -> None:
    typed = spellings(day)[index]
    text = f"compared with the scan of {typed}, unchanged"
    start, end = text.index(typed), text.index(typed) + len(typed)
    blinded = screen(text, Identifiers(), blinded=True)
    assert covered(blinded, start, end, "calendar_date"), (text, blinded)
    assert typed not in redact(text, blinded)
    assert screen(text, Identifiers(), blinded=False) == []  # a local read may name dates
    birth = Identifiers(birth_dates=(day,))
    assert covered(screen(text, birth, blinded=False), start, end, "birth_date")
    study = Identifiers(study_dates=(day,))
    assert covered(screen(text, study, blinded=True), start, end, "study_date")


def test_a_study_day_and_month_without_year_is_found_in_a_blinded_read() -> None:
    ids = Identifiers(study_dates=(date(2026, 3, 12),))
    for typed in ("12.03.", "12/3", "3/12", "12 March", "March 12th", "12 Mar"):
        text = f"as on {typed} unchanged"
        assert [f.kind for f in screen(text, ids, blinded=True)] in (["study_date"], ["calendar_date"]), typed
    assert screen("LD 12.3 mm", ids, blinded=True) == []  # a decimal is not a date


@settings(max_examples=100, deadline=None)
@given(
    ld=st.floats(min_value=1, max_value=300, allow_nan=False),
    hu=st.integers(min_value=-100, max_value=300),
    day=st.integers(min_value=0, max_value=2000),
    pct=st.floats(min_value=-100, max_value=300, allow_nan=False),
)
def test_measurements_and_clinical_words_are_not_taken_for_identifiers(
    ld: float, hu: int, day: int, pct: float
) -> None:
    ids = Identifiers(
        patient_names=("MASS^LONG",),  # words as names: flagged only when written together
        patient_ids=("ZL0048213",),
        birth_dates=(date(1961, 3, 14),),
        study_dates=(date(2026, 4, 28),),
        institutions=(INSTITUTION,),
        site_names=(INSTITUTION,),
    )
    text = f"LD {ld:.1f} mm, mean {hu} HU, day {day}, {pct:+.1f}% vs nadir; a mass with a long axis"
    assert screen(text, ids, blinded=True) == []
    for phrase in CLINICAL:
        assert screen(phrase, ids, blinded=True) == [], phrase


def test_institution_and_site_names() -> None:
    ids = Identifiers(institutions=(INSTITUTION,), site_names=("Lakeshore Cancer Centre",))
    text = "images from shandong  cancer hospital AND institute; second opinion at Lakeshore cancer centre"
    local = screen(text, ids, blinded=False)
    assert [f.kind for f in local] == ["institution"]  # a site's name unblinds only a central reader
    blinded = screen(text, ids, blinded=True)
    assert [f.kind for f in blinded] == ["institution", "site_name"]
    cleaned = redact(text, blinded)
    assert cleaned == "images from [removed: institution]; second opinion at [removed: site name]"


def test_accented_and_caret_names_and_reprs_show_nothing() -> None:
    ids = Identifiers(patient_names=("MÜLLER^JÖRG",), patient_ids=("ZL0048213",))
    assert [f.kind for f in screen("Jorg Muller, ZL-0048213", ids, blinded=False)] == ["patient_name", "patient_id"]
    assert [f.kind for f in screen("müller^jörg", ids, blinded=False)] == ["patient_name"]
    shown = repr(ids) + repr(TextScreen(ids, True)) + repr(screen("Jörg Müller", ids, False))
    assert "MÜLLER" not in shown.upper() and "0048213" not in shown and "JÖRG" not in shown.upper()


# ----- refused where it is entered -----


def started(service: ReadingService, pseudonym: str = "P-001") -> tuple[ReaderSession, int]:
    session = service.login("reader1", PASSWORD)
    read_id = session.open_read(pseudonym).read_id
    session.start_timepoint(read_id, "baseline")
    return session, read_id


def test_a_comment_naming_the_patient_is_refused_and_nothing_is_saved(local_service: ReadingService) -> None:
    session, read_id = started(local_service)
    pid, name, birth, _ = IDENTITIES["P-001"]
    family, given_name = name.split("^")
    events = len(local_service.audit_events())
    for typed, words in (
        (f"discussed with {given_name} {family}", "the patient's name"),
        (f"hospital number {pid}", "the patient ID"),
        (f"born {birth:%d.%m.%Y}", "the patient's birth date"),
        (f"outside CT from {INSTITUTION}", "the institution's name"),
        (f"accession ACC{pid[-5:]}3m", "an accession number"),
    ):
        with pytest.raises(IdentifyingTextError, match=f"^the comment contains {words}") as caught:
            session.set_timepoint(read_id, "baseline", comment=typed)
        for secret in (family, given_name, pid, f"{birth:%d.%m.%Y}"):
            assert secret.lower() not in str(caught.value).lower()
        assert str(caught.value).endswith("remove it and save again")
    assert len(local_service.audit_events()) == events  # nothing saved, nothing audited
    assert session.view(read_id).timepoints[0].comment is None
    # a local read may name a scan date; a clean comment is saved
    session.set_timepoint(read_id, "baseline", comment="compared with the CT of 28.04.2026")
    assert session.view(read_id).timepoints[0].comment.startswith("compared")


def test_a_blinded_reader_may_not_write_dates_or_site_names(central_service: ReadingService) -> None:
    session, read_id = started(central_service)
    with pytest.raises(IdentifyingTextError, match=r"a study date .* count time in days from baseline"):
        session.set_timepoint(read_id, "baseline", comment=f"as on {STUDY_DATES['3m']:%d %b %Y}")
    with pytest.raises(IdentifyingTextError, match=r"a calendar date"):
        session.set_timepoint(read_id, "baseline", comment="unchanged since 01/02/2019")
    with pytest.raises(IdentifyingTextError, match=r"^the organ contains the institution's name"):
        session.add_lesion(read_id, "T1", "target", "thigh, Shandong Cancer Hospital and Institute")
    with pytest.raises(IdentifyingTextError, match=r"^the lesion's description contains a calendar date"):
        session.add_lesion(read_id, "T1", "target", "thigh", description="seen since March 2025")
    session.set_timepoint(read_id, "baseline", comment="unchanged since day 0")
    dump = json.dumps(central_service.audit_events(), default=str)
    assert "01/02/2019" not in dump and "March 2025" not in dump and "unchanged since day 0" in dump


def test_amendment_reason_and_adjudication_rationale_are_screened(central_service: ReadingService) -> None:
    session, read_id = started(central_service)
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=80.0)
    session.sign(read_id, "baseline", PASSWORD)
    with pytest.raises(IdentifyingTextError, match=r"^the amendment reason contains the patient's name"):
        session.amend(read_id, "baseline", "wrong patient: this is Xiaoming Wang")
    assert session.view(read_id).timepoints[0].status == "signed"
    session.amend(read_id, "baseline", "T1 re-measured on the adjacent slice")


def test_the_adjudication_rationale_is_screened(central_service: ReadingService) -> None:
    complete_read(central_service.login("reader1", PASSWORD), "P-002", (40.0, 40.0))
    complete_read(central_service.login("reader2", PASSWORD), "P-002", (75.0, 110.0))
    adjudicator = central_service.login("adj", PASSWORD)
    [adj] = adjudicator.adjudications()
    _, name, _, _ = IDENTITIES["P-002"]
    with pytest.raises(IdentifyingTextError, match=r"^the rationale contains the patient's name"):
        adjudicator.adjudicate(adj.adjudication_id, "B", f"B is right for {name.replace('^', ' ')}", PASSWORD)
    with pytest.raises(IdentifyingTextError, match=r"^the rationale contains a study date"):
        adjudicator.adjudicate(adj.adjudication_id, "B", "B sees progression on 30 Jul 2026", PASSWORD)
    assert adjudicator.adjudications()[0].status == "pending"
    decided = adjudicator.adjudicate(adj.adjudication_id, "B", "B sees progression at 6 months", PASSWORD)
    assert decided.status == "decided"
