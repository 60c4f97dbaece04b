"""What the adjudicator compares: the two central reads' responses side by side, and where they disagree.

Plain data built from the blinded views the adjudicator's session hands out (`ReadView` of read "A" and read "B");
no Qt here, so the rules of what is highlighted are tested without a window. Every response shown is the criteria
engine's stored output; nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfrt_reader.reading.views import ReadView

CRITERIA: tuple[tuple[str, str], ...] = (("recist1.1", "RECIST 1.1"), ("choi", "Choi"))
TRIGGER_KEYS: dict[str, str] = {
    "best overall response": "best_overall_response",
    "progression day": "progression_day",
}
NO_VALUE = "—"


@dataclass(frozen=True)
class CompareRow:
    """One line of the comparison: a timepoint's overall responses, the best overall response or the PD day.

    `values` maps each criterion to (text of read A, text of read B). `triggers` names the criteria whose
    disagreement on this row is what called the adjudicator (only the best-response and progression rows have any).
    """

    kind: str  # "timepoint", "best_overall_response" or "progression_day"
    label: str
    day: int | None
    values: dict[str, tuple[str, str]]
    triggers: frozenset[str] = frozenset()

    def differs(self, criterion: str) -> bool:
        a, b = self.values[criterion]
        return a != b

    @property
    def disagreement(self) -> bool:
        return any(self.differs(c) for c, _ in CRITERIA)


def _overall(results: dict[str, Any] | None, criterion: str, is_baseline: bool) -> str:
    entry = (results or {}).get(criterion) or {}
    value = entry.get("overall")
    if value:
        return str(value)
    return "baseline" if is_baseline else NO_VALUE


def _best(read: ReadView, criterion: str) -> dict[str, Any]:
    return dict((read.results or {}).get(criterion) or {})


def progression_text(day: object) -> str:
    return "none" if day is None else f"day {day}"


def parse_trigger(trigger: str) -> tuple[str, str] | None:
    """(criterion, key) of a trigger recorded by the reading layer, e.g. "choi progression day: 323 (A) vs ..."."""
    head = trigger.split(":", 1)[0].strip()
    criterion, _, what = head.partition(" ")
    key = TRIGGER_KEYS.get(what.strip())
    if key is None or criterion not in dict(CRITERIA):
        return None
    return criterion, key


def trigger_text(trigger: str) -> str:
    """A recorded trigger in the words of the desk: the criterion's display name instead of its key."""
    names = dict(CRITERIA)
    criterion, _, rest = trigger.partition(" ")
    return f"{names[criterion]} {rest}" if criterion in names else trigger


def compare_reads(
    a: ReadView, b: ReadView, triggers: tuple[str, ...] = (), baseline_label: str = "baseline"
) -> list[CompareRow]:
    """The timepoints (in read A's order, then any only read B has), then best overall response and PD day."""
    by_a = {tp.label: tp for tp in a.timepoints}
    by_b = {tp.label: tp for tp in b.timepoints}
    labels = [tp.label for tp in a.timepoints] + [tp.label for tp in b.timepoints if tp.label not in by_a]
    rows = []
    for label in labels:
        ta, tb = by_a.get(label), by_b.get(label)
        day = ta.day if ta is not None else tb.day if tb is not None else None
        base = label == baseline_label
        rows.append(
            CompareRow(
                kind="timepoint",
                label=label,
                day=day,
                values={
                    c: (
                        _overall(ta.results, c, base) if ta is not None else "not read",
                        _overall(tb.results, c, base) if tb is not None else "not read",
                    )
                    for c, _ in CRITERIA
                },
            )
        )
    called = {p for p in (parse_trigger(t) for t in triggers) if p is not None}
    for key, title in (("best_overall_response", "Best overall response"), ("progression_day", "Progression day")):
        values = {}
        for c, _ in CRITERIA:
            va, vb = _best(a, c).get(key), _best(b, c).get(key)
            if key == "progression_day":
                values[c] = (progression_text(va), progression_text(vb))
            else:
                values[c] = (str(va) if va else NO_VALUE, str(vb) if vb else NO_VALUE)
        rows.append(
            CompareRow(
                kind=key,
                label=title,
                day=None,
                values=values,
                triggers=frozenset(c for c, k in called if k == key),
            )
        )
    return rows


def first_disagreement(rows: list[CompareRow]) -> str | None:
    """The first timepoint whose overall response differs between the reads: where the adjudicator looks first."""
    return next((r.label for r in rows if r.kind == "timepoint" and r.disagreement), None)
