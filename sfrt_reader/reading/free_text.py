"""Screening the free text a reader types (comments, amendment reasons, adjudication rationale, lesion names) for
what identifies the patient or, in a blinded central read, would unblind the reader.

A site radiologist may type the patient's name or hospital number into a comment; a central reader may write a
scan date or a site name. Free text goes into the audit trail, the PDF forms, the tables and the DICOM SR, so it
is screened where it is entered (refused, see `ReaderSession`) and again at export (redacted in blinded exports,
for text stored before the screen existed).

Pure: the text and what the database knows (`Identifiers`) in, `Finding`s out. A finding says what kind of
identifier was found and where (character offsets in the text), never the identifier itself, so that messages and
logs built from findings cannot leak it; `Identifiers` and `TextScreen` do not show their contents in a repr.

What is looked for, case-, accent- and spacing-insensitively:
- the patient's name (stored as DICOM PN, "DOE^JOHN"): given and family name in either order ("John Doe",
  "Doe, John", "DOE^JOHN", "John A. Doe"), initials with their dots before or after the family name ("J. Doe",
  "J.A. Doe", "Doe, J."), an honorific before it ("Mr Doe"), and the family name alone. Many family names are
  ordinary words ("Long", "White", "Mass", "Klein", "Costa"): such a name alone is flagged only when written as a
  name, with a capital inside a sentence ("seen with Long"), not in lower case ("a long axis"), not as the first
  word of a sentence ("Mass in the thigh") and not in a text written all in capitals (`common_words.py` says which
  words and why). A name that is no ordinary word is flagged alone in any case;
- the patient ID and accession numbers, with or without separators ("PAT-884213", "pat 884213"), and the digit run
  of an ID that mixes letters and at least five digits ("884213"); IDs shorter than 3 characters (4 if all digits)
  are not looked for, they would match measurements;
- the birth date in common spellings (2026-03-12, 20260312, 12.03.2026, 12/03/2026, 3/12/2026, 12-03-26,
  12 Mar 2026, 12th March 2026, March 12, 2026), with month names and abbreviations in English, French, German,
  Spanish, Italian, Dutch and Portuguese ("12 mars 2026", "1er janv. 2026", "12. März 2026", "12 de marzo de 2026",
  "12 dic 2026", "12 maart 2026", "1º de maio de 2026");
- the institution's name, as the whole name;
- in blinded reads also: any calendar date in those spellings, a month with a year ("March 2026", "marzo de
  2026"), a day with a month name in any of those languages ("12 March", "12 mai", "12 set"), a day and month in
  figures ("12.03", "12/3") equal to a study date or the birth date, and any site's name.
A bare year is not flagged (it may be a volume or a count), nor a month name alone ("mars", "Mai"). Month words that
are everyday words of a report are a month only next to a day or a year, and never before a day without a year:
"set", "ago", "gen", "dic", "ene" ("a set of 3", "set 3 seeds", "2 years ago" pass; "12 set", "set 2026" do not);
"out" ("3 out of 5") and "mag" (magnitude images) only with a year; English "may" only capitalised or with a year
("May be necrotic" passes, it has neither day nor year).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sfrt_reader.reading.common_words import is_common_word

# kind -> (words in a refusal message, words in a redaction marker)
KINDS: dict[str, tuple[str, str]] = {
    "patient_name": ("the patient's name", "patient name"),
    "patient_id": ("the patient ID", "patient ID"),
    "accession_number": ("an accession number", "accession number"),
    "birth_date": ("the patient's birth date", "birth date"),
    "institution": ("the institution's name", "institution"),
    "study_date": ("a study date", "date"),
    "calendar_date": ("a calendar date", "date"),
    "site_name": ("a site's name", "site name"),
}
MARKER = "[removed: {}]"

# Month names and their abbreviations, folded (lower case, no accents: "août" -> "aout", "März" -> "marz"), in the
# languages of the trial's sites: sarcoma centres write dates in their own language.
MONTHS_BY_LANGUAGE: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {1: ("january", "jan"), 2: ("february", "feb"), 3: ("march", "mar"), 4: ("april", "apr"), 5: ("may",),
           6: ("june", "jun"), 7: ("july", "jul"), 8: ("august", "aug"), 9: ("september", "sep", "sept"),
           10: ("october", "oct"), 11: ("november", "nov"), 12: ("december", "dec")},
    "fr": {1: ("janvier", "janv"), 2: ("fevrier", "fevr", "fev"), 3: ("mars",), 4: ("avril", "avr"), 5: ("mai",),
           6: ("juin",), 7: ("juillet", "juil"), 8: ("aout",), 9: ("septembre", "sept"), 10: ("octobre", "oct"),
           11: ("novembre", "nov"), 12: ("decembre", "dec")},
    "de": {1: ("januar", "janner", "jan"), 2: ("februar", "feber", "feb"), 3: ("marz", "maerz", "mrz", "mar"),
           4: ("april", "apr"), 5: ("mai",), 6: ("juni", "jun"), 7: ("juli", "jul"), 8: ("august", "aug"),
           9: ("september", "sep", "sept"), 10: ("oktober", "okt"), 11: ("november", "nov"), 12: ("dezember", "dez")},
    "es": {1: ("enero", "ene"), 2: ("febrero", "feb"), 3: ("marzo", "mar"), 4: ("abril", "abr"), 5: ("mayo", "may"),
           6: ("junio", "jun"), 7: ("julio", "jul"), 8: ("agosto", "ago"), 9: ("septiembre", "setiembre", "sep", "set"),
           10: ("octubre", "oct"), 11: ("noviembre", "nov"), 12: ("diciembre", "dic")},
    "it": {1: ("gennaio", "gen"), 2: ("febbraio", "feb"), 3: ("marzo", "mar"), 4: ("aprile", "apr"),
           5: ("maggio", "mag"), 6: ("giugno", "giu"), 7: ("luglio", "lug"), 8: ("agosto", "ago"),
           9: ("settembre", "set"), 10: ("ottobre", "ott"), 11: ("novembre", "nov"), 12: ("dicembre", "dic")},
    "nl": {1: ("januari", "jan"), 2: ("februari", "feb"), 3: ("maart", "mrt"), 4: ("april", "apr"), 5: ("mei",),
           6: ("juni", "jun"), 7: ("juli", "jul"), 8: ("augustus", "aug"), 9: ("september", "sep", "sept"),
           10: ("oktober", "okt"), 11: ("november", "nov"), 12: ("december", "dec")},
    "pt": {1: ("janeiro", "jan"), 2: ("fevereiro", "fev"), 3: ("marco", "mar"), 4: ("abril", "abr"), 5: ("maio", "mai"),
           6: ("junho", "jun"), 7: ("julho", "jul"), 8: ("agosto", "ago"), 9: ("setembro", "set"),
           10: ("outubro", "out"), 11: ("novembro", "nov"), 12: ("dezembro", "dez")},
}  # fmt: skip
MONTHS: dict[str, int] = {
    word: number for names in MONTHS_BY_LANGUAGE.values() for number, words in names.items() for word in words
}
# Month words that are also everyday words of a report ("a set of 3", "2 years ago", "gen"), so they are a month
# only with a day before them ("12 set") or a year after them, never as "set 3"; and "out" ("3 out of 5") and
# "mag" (magnitude images) only with a year. English "may" is a month when capitalised ("May 3") or with a year.
_NO_MONTH_DAY = frozenset({"set", "ago", "gen", "dic", "ene", "out", "mag"})
_YEAR_ONLY = frozenset({"out", "mag"})
HONORIFICS = ("mr", "mrs", "ms", "miss", "mx", "mister", "madam", "madame", "mme", "mlle", "herr", "frau", "dr", "prof")

_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"
_ORD = r"(?:st|nd|rd|th|er|o|°)?"  # 12th, French 1er, Portuguese 1º (folded to "1o"), Italian 1°
_DE = r"(?:(?:of|de|del)\s+)?"  # "12th of March", "12 de marzo de 2026", "12 de março", "1 del 2026"
# Full dates: year, month, day in figures or with an English month name.
_ISO = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")
_NUMERIC = re.compile(r"(?<![\d.,/-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-]|\.\d)")
_DAY_MONTH = re.compile(
    r"(?<!\w)(\d{1,2})"
    + _ORD
    + r"[\s\-./]*"
    + _DE
    + _MONTH
    + r"\.?(?:(?:[\s\-./,]*"
    + _DE
    + r"(\d{4}))|(?:[-'](\d{2})))?(?!\w)"
)
_MONTH_DAY = re.compile(r"(?<!\w)" + _MONTH + r"\.?[\s\-./]*(\d{1,2})" + _ORD + r"(?:,?[\s\-./]*(\d{4}))?(?!\w)")
_MONTH_YEAR = re.compile(r"(?<!\w)" + _MONTH + r"\.?[\s\-./,]*" + _DE + r"(\d{4})(?!\w)")
# Day and month in figures without a year: a date only when it equals a known one.
# ("12/3", or "12.03." with its closing dot: "12.5" is a measurement, not a date).
_PARTIAL = re.compile(r"(?<![\d.,/-])(?:(\d{1,2})/(\d{1,2})(?![\d/]|\.\d)|(\d{2})\.(\d{2})\.(?!\d))")

_SEP = r"[\s,.^_\-']*"  # between the parts of a name: nothing, spaces, commas, dots, DICOM carets, hyphens
_SEP1 = r"[\s,.^_\-']+"
_ID_SEP = r"[\s\-./_:#]*"


@dataclass(frozen=True, repr=False)
class Identifiers:
    """What the database knows about one subject that must not appear in free text (as stored by import)."""

    patient_names: tuple[str, ...] = ()
    patient_ids: tuple[str, ...] = ()
    accession_numbers: tuple[str, ...] = ()
    birth_dates: tuple[date, ...] = ()
    institutions: tuple[str, ...] = ()
    study_dates: tuple[date, ...] = ()
    site_names: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return "Identifiers(<withheld>)"


@dataclass(frozen=True)
class Finding:
    """An identifier found in a text: its kind (a key of KINDS) and where, as offsets into the text."""

    kind: str
    start: int
    end: int

    @property
    def words(self) -> str:
        return KINDS[self.kind][0]


def fold(text: str) -> tuple[str, list[int]]:
    """Lower-case, accent-free text, and for each of its characters the index of the original character."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(c):
                continue
            for f in c.casefold():
                out.append(f)
                index.append(i)
    return "".join(out), index


def _tokens(value: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(value)[0])


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _bounded(pattern: str, first: str, last: str) -> str:
    """Whole words only, except beside East Asian characters, which are written without spaces."""
    before = "" if _wide(first[0]) else r"(?<!\w)"
    after = "" if _wide(last[-1]) else r"(?!\w)"
    return before + "(?:" + pattern + ")" + after


def _seq(tokens: list[str]) -> str:
    return _SEP.join(re.escape(t) for t in tokens)


def name_patterns(stored: str) -> list[tuple[str, str, bool]]:
    """Regular expressions (on folded text) for a stored patient name in the spellings a reader would type, each
    with its anchor (a word every match contains: the family name's first, so most texts need no regex at all) and
    whether a match counts only when written as a name (the family name alone, when it is an ordinary word)."""
    out: list[tuple[str, str, bool]] = []
    for group in stored.split("="):  # DICOM PN: alphabetic=ideographic=phonetic
        if not group.strip():
            continue
        if "^" in group:
            parts = [*group.split("^"), "", "", ""]
            family, given, middle = _tokens(parts[0]), _tokens(parts[1]), _tokens(parts[2])
        elif "," in group:
            head, _, tail = group.partition(",")
            family, given, middle = _tokens(head), _tokens(tail)[:1], _tokens(tail)[1:]
        else:
            words = _tokens(group)
            family, given, middle = words[-1:], words[:1] if len(words) > 1 else [], words[1:-1]
        if not family and given:
            family, given = given, []
        if not family:
            continue
        fam = _seq(family)
        if not given:
            if len("".join(family)) >= 2:
                out.append((_bounded(fam, family[0], family[-1]), family[0], False))
            continue
        giv = _seq(given)
        mid = r"(?:" + _SEP1 + r"(?:" + (_seq(middle) + "|" if middle else "") + r"\w\.?))?"
        regexes = [
            _bounded(giv + mid + _SEP + fam, given[0], family[-1]),
            _bounded(fam + _SEP + giv + (r"(?:" + _SEP1 + _seq(middle) + ")?" if middle else ""), family[0], given[-1]),
            _bounded("(?:" + "|".join(HONORIFICS) + r")\.?" + _SEP1 + fam, "a", family[-1]),
        ]
        if not _wide(given[0][0]):
            g = re.escape(given[0][0])
            regexes += [
                # initials with their dots before the family name: "J. Doe", "J.A. Doe", "J. A. Doe" (without a dot
                # an initial may be a word: "a long lesion"; "J Doe" is found as the family name alone)
                _bounded(g + r"(?:\.\s*|\^)(?:\w\.\s*)*" + fam, given[0], family[-1]),
                # after it: "Doe, J.", "Doe J.A.", "DOE^J"
                _bounded(fam + r"(?:[\s,]+" + g + r"\.(?:\s*\w\.)*|\^" + g + ")", family[0], "."),
            ]
        out += [(r, family[0], False) for r in regexes]
        # the family name alone: always when it is no ordinary word, else only when written as a name
        if len("".join(family)) >= 2:
            out.append((_bounded(fam, family[0], family[-1]), family[0], is_common_word(" ".join(family))))
    return out


def id_patterns(stored: str) -> list[tuple[str, str]]:
    """Regular expressions for an ID or accession number, typed with or without separators, each with its anchor:
    the characters every match holds once the separators are taken out of the text."""
    chars = [c for c in fold(stored)[0] if c.isalnum()]
    if len(chars) < 3 or (len(chars) < 4 and all(c.isdigit() for c in chars)):
        return []
    variants = ["".join(chars)]
    text = "".join(chars)
    if text.isdigit() and text.lstrip("0") != text and len(text.lstrip("0")) >= 4:
        variants.append(text.lstrip("0"))
    if not text.isdigit():
        runs = [r for r in re.findall(r"\d+", text) if len(r) >= 5]
        variants += runs
    out = []
    for v in dict.fromkeys(variants):
        body = _ID_SEP.join(re.escape(c) for c in v)
        # a digit run is found after letters too ("MRN884213"); a whole ID only as a whole word
        out.append((r"(?<!\d)" + body + r"(?!\d)" if v.isdigit() else _bounded(body, v[0], v[-1]), v))
    return out


def phrase_pattern(stored: str) -> list[tuple[str, str]]:
    """A whole name (institution, site) with any spacing and punctuation between its words; anchor: its first word."""
    words = _tokens(stored)
    if not words or len("".join(words)) < 3:
        return []
    return [(_bounded(r"[\s,.\-'&/]+".join(re.escape(w) for w in words), words[0], words[-1]), words[0])]


def _year(text: str) -> list[int]:
    y = int(text)
    if len(text) == 4:
        return [y]
    return [2000 + y, 1900 + y]


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


@dataclass(frozen=True)
class _DateHit:
    start: int
    end: int
    candidates: tuple[date, ...]  # the dates the spelling may mean (day-month and month-day orders)
    partial: tuple[tuple[int, int], ...] = ()  # (month, day) pairs when no year is written
    generic: bool = True  # a calendar date pattern (flagged in blinded reads whatever it equals)


def _date_hits(folded: str, original: str, index: list[int]) -> list[_DateHit]:
    hits: list[_DateHit] = []

    def month(word: str, at: int, year: bool, day_first: bool) -> int | None:
        """The month a month word means here, or None when the word is more likely an everyday word."""
        if word == "may" and not year and not original[index[at]].isupper():
            return None  # "may be necrotic": a month when capitalised or with a year
        if word in _YEAR_ONLY and not year:
            return None
        if word in _NO_MONTH_DAY and not year and not day_first:
            return None
        return MONTHS[word]

    for m in _ISO.finditer(folded):
        d = _valid(int(m[1]), int(m[3]), int(m[4]))
        if d:
            hits.append(_DateHit(m.start(), m.end(), (d,)))
    for m in _COMPACT.finditer(folded):
        d = _valid(int(m[1]), int(m[2]), int(m[3]))
        if d:
            hits.append(_DateHit(m.start(), m.end(), (d,)))
    for m in _NUMERIC.finditer(folded):
        a, b = int(m[1]), int(m[3])
        found = [x for y in _year(m[4]) for x in (_valid(y, b, a), _valid(y, a, b)) if x]
        if found:
            hits.append(_DateHit(m.start(), m.end(), tuple(found)))
    for m in _DAY_MONTH.finditer(folded):
        year = m[3] or m[4]
        mon = month(m[2], m.start(2), bool(year), True)
        if mon is None:
            continue
        if year:
            found = [x for y in _year(year) if (x := _valid(y, mon, int(m[1])))]
            if found:
                hits.append(_DateHit(m.start(), m.end(), tuple(found)))
        elif 1 <= int(m[1]) <= 31:
            hits.append(_DateHit(m.start(), m.end(), (), ((mon, int(m[1])),)))
    for m in _MONTH_DAY.finditer(folded):
        mon = month(m[1], m.start(1), bool(m[3]), False)
        if mon is None:
            continue
        if m[3]:
            found = [x for x in (_valid(int(m[3]), mon, int(m[2])),) if x]
            if found:
                hits.append(_DateHit(m.start(), m.end(), tuple(found)))
        elif 1 <= int(m[2]) <= 31:
            hits.append(_DateHit(m.start(), m.end(), (), ((mon, int(m[2])),)))
    for m in _MONTH_YEAR.finditer(folded):
        if month(m[1], m.start(1), True, False) is not None:
            hits.append(_DateHit(m.start(), m.end(), ()))
    for m in _PARTIAL.finditer(folded):
        a, b = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))
        pairs = tuple((mo, da) for mo, da in ((b, a), (a, b)) if 1 <= mo <= 12 and 1 <= da <= 31)
        if pairs:
            hits.append(_DateHit(m.start(), m.end(), (), pairs, generic=False))
    return hits


_SENTENCE_END = ".!?:;\n\r\t•*-"


def written_as_name(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] (an ordinary word that is also the patient's family name) is written as a name: one
    of its words starts with a capital, other than the first word of a sentence ("Long axis unchanged") and not in a
    text written all in capitals (where a capital tells nothing)."""
    if not any(c.islower() for c in text):
        return False
    before = text[:start].rstrip(" \"'([{«“‘")
    sentence_start = not before or before[-1] in _SENTENCE_END
    for n, word in enumerate(re.finditer(r"[^\W\d_]+", text[start:end])):
        if word[0][0].isupper() and not (n == 0 and sentence_start):
            return True
    return False


class TextScreen:
    """The screen of one subject's free text. A pattern is compiled the first time a text holds its anchor (a
    trial-level export screens thousands of short texts, an organ name mostly, of a hundred subjects: compiling
    every subject's patterns up front cost more than the export itself).

    `blinded`: a central read, where calendar dates and site names unblind as well.
    """

    __slots__ = ("_birth", "_blinded", "_compiled", "_patterns", "_studies")

    def __init__(self, identifiers: Identifiers, blinded: bool) -> None:
        self._blinded = blinded
        # (kind, regex, anchor, whether the anchor is looked for in the text without ID separators, whether a match
        # counts only when written as a name)
        patterns: list[tuple[str, str, str, bool, bool]] = []
        for name in identifiers.patient_names:
            patterns += [("patient_name", r, a, False, as_name) for r, a, as_name in name_patterns(name)]
        for pid in identifiers.patient_ids:
            patterns += [("patient_id", r, a, True, False) for r, a in id_patterns(pid)]
        for acc in identifiers.accession_numbers:
            patterns += [("accession_number", r, a, True, False) for r, a in id_patterns(acc)]
        for inst in identifiers.institutions:
            patterns += [("institution", r, a, False, False) for r, a in phrase_pattern(inst)]
        if blinded:
            for site in identifiers.site_names:
                patterns += [("site_name", r, a, False, False) for r, a in phrase_pattern(site)]
        self._patterns = patterns
        self._compiled: dict[str, re.Pattern[str]] = {}
        self._birth = set(identifiers.birth_dates)
        self._studies = set(identifiers.study_dates)

    @property
    def blinded(self) -> bool:
        return self._blinded

    def __repr__(self) -> str:
        return f"TextScreen(blinded={self._blinded}, patterns={len(self._patterns)})"

    def findings(self, text: str | None) -> list[Finding]:
        """What in `text` identifies the patient (or unblinds), in text order, overlapping hits merged."""
        if not text:
            return []
        folded, index = fold(text)
        bare = re.sub(_ID_SEP, "", folded)
        spans: list[tuple[int, int, str]] = []
        for kind, regex, anchor, in_bare, as_name in self._patterns:
            if anchor not in (bare if in_bare else folded):
                continue  # no match is possible without it
            pattern = self._compiled.get(regex)
            if pattern is None:
                pattern = self._compiled[regex] = re.compile(regex)
            spans += [
                (m.start(), m.end(), kind)
                for m in pattern.finditer(folded)
                if m.end() > m.start()
                and (not as_name or written_as_name(text, index[m.start()], index[m.end() - 1] + 1))
            ]
        birth_md = {(d.month, d.day) for d in self._birth}
        known_md = birth_md | {(d.month, d.day) for d in self._studies}
        for hit in _date_hits(folded, text, index):
            candidates, partial = set(hit.candidates), set(hit.partial)
            # A birth date is an identifier in every read; other dates only unblind a central reader.
            if candidates & self._birth or (self._blinded and partial & birth_md):
                kind = "birth_date"
            elif not self._blinded:
                continue
            elif candidates & self._studies or partial & known_md:
                kind = "study_date"
            elif hit.generic:
                kind = "calendar_date"
            else:
                continue
            spans.append((hit.start, hit.end, kind))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        merged: list[list[Any]] = []
        for start, end, kind in spans:
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)  # overlapping hits are removed as one
            else:
                merged.append([start, end, kind])
        return [Finding(kind, index[start], index[end - 1] + 1) for start, end, kind in merged]

    def redact(self, text: str | None) -> tuple[str | None, int]:
        """`text` with every finding replaced by a visible marker, and how many were replaced."""
        found = self.findings(text)
        if not found or text is None:
            return text, 0
        return redact(text, found), len(found)


def screen(text: str | None, identifiers: Identifiers, blinded: bool) -> list[Finding]:
    """The findings in one text (see `TextScreen` to screen many texts of the same subject)."""
    return TextScreen(identifiers, blinded).findings(text)


def redact(text: str, findings: list[Finding]) -> str:
    """Replace each finding by "[removed: <kind>]", so a reader of the export sees that something was there."""
    out = []
    at = 0
    for f in sorted(findings, key=lambda f: f.start):
        out.append(text[at : f.start])
        out.append(MARKER.format(KINDS[f.kind][1]))
        at = f.end
    out.append(text[at:])
    return "".join(out)


def refusal(findings: list[Finding], what: str, blinded: bool) -> str:
    """The message that refuses a text: what kinds were found and where, never the identifier itself."""
    parts = []
    for f in findings:
        parts.append(f"{f.words} (characters {f.start + 1}-{f.end})")
    found = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    them = "it" if len(findings) == 1 else "them"
    advice = f"{what} contains {found}: remove {them} and save again"
    if blinded and any(f.kind in ("calendar_date", "study_date") for f in findings):
        advice += " (in a blinded read, count time in days from baseline)"
    return advice
