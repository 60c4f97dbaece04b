"""The free-text screen beyond English: month names of the trial sites' languages (written here as a reader types
them, accents and all, not taken from the code's table), the family name written alone, and ordinary radiology text
that must pass untouched."""

from __future__ import annotations

import string
from datetime import date

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sfrt_reader.reading.common_words import COMMON_WORDS
from sfrt_reader.reading.free_text import Identifiers, redact, screen

# month -> spellings (full name, abbreviations) as written in each language
MONTHS_TYPED: dict[str, dict[int, list[str]]] = {
    "fr": {1: ["janvier", "janv."], 2: ["février", "févr."], 3: ["mars"], 4: ["avril", "avr."], 5: ["mai"],
           6: ["juin"], 7: ["juillet", "juil."], 8: ["août"], 9: ["septembre", "sept."], 10: ["octobre", "oct."],
           11: ["novembre", "nov."], 12: ["décembre", "déc."]},
    "de": {1: ["Januar", "Jänner", "Jan."], 2: ["Februar", "Feb."], 3: ["März", "Mrz.", "Mär."], 4: ["April"],
           5: ["Mai"], 6: ["Juni"], 7: ["Juli"], 8: ["August", "Aug."], 9: ["September", "Sept."],
           10: ["Oktober", "Okt."], 11: ["November", "Nov."], 12: ["Dezember", "Dez."]},
    "es": {1: ["enero", "ene"], 2: ["febrero", "feb"], 3: ["marzo", "mar"], 4: ["abril", "abr"], 5: ["mayo"],
           6: ["junio", "jun"], 7: ["julio", "jul"], 8: ["agosto", "ago"], 9: ["septiembre", "setiembre", "set"],
           10: ["octubre", "oct"], 11: ["noviembre", "nov"], 12: ["diciembre", "dic"]},
    "it": {1: ["gennaio", "gen"], 2: ["febbraio", "feb"], 3: ["marzo"], 4: ["aprile", "apr"], 5: ["maggio", "mag"],
           6: ["giugno", "giu"], 7: ["luglio", "lug"], 8: ["agosto", "ago"], 9: ["settembre", "set"],
           10: ["ottobre", "ott"], 11: ["novembre", "nov"], 12: ["dicembre", "dic"]},
    "nl": {1: ["januari", "jan"], 2: ["februari", "feb"], 3: ["maart", "mrt"], 4: ["april", "apr"], 5: ["mei"],
           6: ["juni", "jun"], 7: ["juli", "jul"], 8: ["augustus", "aug"], 9: ["september", "sep"],
           10: ["oktober", "okt"], 11: ["november", "nov"], 12: ["december", "dec"]},
    "pt": {1: ["janeiro", "jan"], 2: ["fevereiro", "fev"], 3: ["março", "mar"], 4: ["abril", "abr"], 5: ["maio"],
           6: ["junho", "jun"], 7: ["julho", "jul"], 8: ["agosto", "ago"], 9: ["setembro", "set"],
           10: ["outubro", "out"], 11: ["novembro", "nov"], 12: ["dezembro", "dez"]},
}  # fmt: skip
# Everyday words of a report that are also month abbreviations: "3 out of 5", "mag" (magnitude images) are a month
# only with a year; "a set of 3", "2 years ago" only with a day before them or a year after them.
YEAR_ONLY = {"out", "mag"}

FULL = ["{d} {M} {y}", "{d}. {M} {y}", "{d}-{M}-{y}", "{d} de {M} de {y}", "{d} {M}, {y}", "{d}er {M} {y}"]
PARTIAL = ["{d} {M}", "{d}. {M}", "{d} de {M}", "{M} {y}", "{M} de {y}", "{M}/{y}"]
CASES = ["as is", "upper", "title"]


def cased(text: str, how: str) -> str:
    return {"upper": text.upper(), "title": text.title(), "as is": text}[how]


def covered(found: list, start: int, end: int, kind: str) -> bool:
    return any(f.kind == kind and f.start <= start and f.end >= end for f in found)


spelled = st.sampled_from(sorted(MONTHS_TYPED)).flatmap(
    lambda lang: st.tuples(
        st.just(lang),
        st.sampled_from([(m, w) for m, words in MONTHS_TYPED[lang].items() for w in words]),
    )
)


@settings(max_examples=300, deadline=None)
@given(
    spelling=spelled,
    day=st.dates(min_value=date(1930, 1, 1), max_value=date(2040, 12, 31)),
    form=st.sampled_from(FULL),
    case=st.sampled_from(CASES),
)
def test_full_dates_in_every_language_are_found(
    spelling: tuple[str, tuple[int, str]], day: date, form: str, case: str
) -> None:
    _lang, (_month, word) = spelling
    d = day.replace(month=_month, day=min(day.day, 28))
    typed = cased(form.format(d=d.day, M=word, y=d.year), case)
    text = f"compared with the scan of {typed}, unchanged"
    start, end = text.index(typed), text.index(typed) + len(typed)
    assert covered(screen(text, Identifiers(), blinded=True), start, end, "calendar_date"), text
    assert screen(text, Identifiers(), blinded=False) == []  # a local read may name dates
    birth = screen(text, Identifiers(birth_dates=(d,)), blinded=False)
    assert covered(birth, start, end, "birth_date"), text  # the birth date, in every read
    assert str(d.year) not in redact(text, birth)
    other = d.replace(year=d.year - 1)
    assert screen(text, Identifiers(birth_dates=(other,)), blinded=False) == []  # another date is no birth date


@settings(max_examples=300, deadline=None)
@given(spelling=spelled, day=st.integers(1, 28), year=st.integers(1990, 2040), form=st.sampled_from(PARTIAL))
def test_a_day_with_a_month_or_a_month_with_a_year_is_found_in_a_blinded_read(
    spelling: tuple[str, tuple[int, str]], day: int, year: int, form: str
) -> None:
    _lang, (_month, word) = spelling
    typed = form.format(d=day, M=word, y=year)
    text = f"as on {typed} unchanged"
    found = screen(text, Identifiers(), blinded=True)
    with_year = "{y}" in form
    if word.rstrip(".").lower() in YEAR_ONLY and not with_year:
        assert found == [], text
    else:
        start = text.index(typed)
        assert covered(found, start, start + len(typed), "calendar_date"), text


ORDINARY = [
    "Mass in the vastus lateralis, marginal enhancement, May be necrotic",
    "3 out of 5 nodules enhance; a set of 3 lesions measured on the portal phase",
    "set 2 seeds on T1, mag images at 3 mm, out of plane",
    "re-measured: smaller than 2 years ago",
    "gen 2 sequence, 12 mm; may be post-treatment change",
    "masse de 12 mm, mars: pas de changement",  # "mars" alone is not a date
    "Tumor 12 mm, März unverändert",  # a month alone is not a date
    "3 de 5 nódulos, sin cambios; mar de fondo",
]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 31), m=st.integers(1, 99))
def test_ordinary_radiology_text_is_not_flagged(n: int, m: int) -> None:
    ids = Identifiers(
        patient_names=("MASS^LONG",),
        birth_dates=(date(1961, 3, 14),),
        study_dates=(date(2026, 4, 28),),
    )
    for phrase in ORDINARY:
        assert screen(phrase, ids, blinded=True) == [], phrase
    for phrase in (
        f"{n} out of {m} nodules",
        f"a set of {n} lesions, set {n} seeds",
        f"{n} years ago, {m} mm",
        f"mag {n} mm",
        f"the lesion may {n} times",
        f"Long axis {m} mm; mass stable, long axis {n} mm",
    ):
        assert screen(phrase, ids, blinded=True) == [], phrase


# ----- the family name written alone -----

names = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=10)
# ordinary words that are family names in the trial's languages (the test's own choice)
WORD_NAMES = ["Long", "White", "Mass", "Klein", "Petit", "Blanco", "Costa", "Bakker", "Rocha", "Lang", "Bianco"]


@settings(max_examples=150, deadline=None)
@given(family=names, given_name=names, case=st.sampled_from(["lower", "title", "upper"]))
def test_a_family_name_that_is_no_ordinary_word_is_found_alone_in_any_case(
    family: str, given_name: str, case: str
) -> None:
    # made-up names that are no ordinary word (the words the screen takes for words are the other test's case)
    assume(family not in COMMON_WORDS and family not in {w.lower() for w in WORD_NAMES} and family != given_name)
    typed = {"lower": family, "title": family.title(), "upper": family.upper()}[case]
    text = f"discussed with {typed} today, T1 12 mm"
    assume(screen(text.replace(typed, "xxxx"), Identifiers(), blinded=True) == [])
    ids = Identifiers(patient_names=(f"{family.upper()}^{given_name.upper()}",))
    found = screen(text, ids, blinded=False)
    start = text.index(typed)
    assert covered(found, start, start + len(typed), "patient_name"), (text, found)
    assert family not in redact(text, found).lower()


@settings(max_examples=100, deadline=None)
@given(family=st.sampled_from(WORD_NAMES), given_name=names)
def test_a_family_name_that_is_an_ordinary_word_is_found_when_written_as_a_name(family: str, given_name: str) -> None:
    # a given name that is one of the texts' words would make "long lesion" the full name, rightly flagged
    assume(
        given_name
        not in [
            "discussed",
            "with",
            "today",
            "unchanged",
            "seen",
            "by",
            "reviewed",
            "stable",
            "lesion",
            "of",
            "in",
            "the",
            "thigh",
        ]
    )
    ids = Identifiers(patient_names=(f"{family.upper()}^{given_name.upper()}",))
    word = family.lower()
    # as a name: a capital inside a sentence, or after an honorific
    for text in (
        f"discussed with {family} today",
        f"T1 unchanged. Seen by Dr {family}",
        f"CT reviewed with {family}, stable",
    ):
        start = text.index(family)
        assert covered(screen(text, ids, blinded=False), start, start + len(family), "patient_name"), text
    # as a word: lower case, the capital of a sentence's first word, or a text in capitals
    for text in (
        f"a {word} lesion of 12 mm",
        f"{family} lesion in the thigh",
        f"stable. {family} lesion unchanged",
        f"A {word.upper()} LESION OF 12 MM",
    ):
        assert screen(text, ids, blinded=False) == [], text


@settings(max_examples=100, deadline=None)
@given(
    family=names,
    given_name=names,
    spelling=st.sampled_from(["{i}. {F}", "{i}.{j}. {F}", "{i}. {j}. {F}", "{F}, {i}.", "{F} {i}.{j}.", "{F}^{i}"]),
)
def test_the_family_name_with_initials_is_removed_with_them(family: str, given_name: str, spelling: str) -> None:
    assume(family != given_name and family not in ("reviewed", "with", "today"))
    typed = spelling.format(i=given_name[0].upper(), j="Q", F=family.title())
    text = f"reviewed with {typed} today"
    found = screen(text, Identifiers(patient_names=(f"{family.upper()}^{given_name.upper()}",)), blinded=False)
    start = text.index(typed)
    assert covered(found, start, start + len(typed), "patient_name"), (text, found)
    assert redact(text, found) == "reviewed with [removed: patient name] today"
