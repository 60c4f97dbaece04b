"""What the desk highlights: a cell is amber exactly when the two reads' responses differ there, the first
disagreement is where the desk opens, and the reading layer's recorded triggers are recognised."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.reading.views import AssessmentView, ReadView
from sfrt_reader.ui.adjudication_compare import compare_reads, first_disagreement, parse_trigger, trigger_text

LABELS = ("baseline", "3m", "6m", "9m", "12m")
RESPONSES = ("CR", "PR", "SD", "PD", "NE")


def _tp(label: str, day: int, recist: str | None, choi: str | None) -> AssessmentView:
    results: dict[str, Any] = {}
    if recist:
        results["recist1.1"] = {"overall": recist}
    if choi:
        results["choi"] = {"overall": choi}
    return AssessmentView(
        label=label,
        version=1,
        status="signed",
        day=day,
        modality="CT",
        contrast=True,
        slice_thickness_mm=5.0,
        non_targets={},
        new_lesions="no",
        new_intratumoral_nodules=False,
        comment=None,
        measurements=(),
        results=results or None,
        problems=(),
        engine_version="x",
        amendment_reason=None,
        signature=None,
    )


def _read(letter: str, responses: list[tuple[str, str]], best: dict[str, Any]) -> ReadView:
    tps = [_tp("baseline", 0, None, None)]
    tps += [_tp(label, 90 * n, r, c) for n, (label, (r, c)) in enumerate(zip(LABELS[1:], responses, strict=False), 1)]
    return ReadView(1, "demo-02", "central", letter, (), tuple(tps), best, "x")


pairs = st.lists(st.tuples(st.sampled_from(RESPONSES), st.sampled_from(RESPONSES)), min_size=1, max_size=4)


@settings(deadline=None)  # no wall-clock limit: a shared machine under load must not fail it
@given(a=pairs, b=pairs)
def test_a_cell_is_highlighted_exactly_where_the_reads_differ(
    a: list[tuple[str, str]], b: list[tuple[str, str]]
) -> None:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    rows = compare_reads(_read("A", a, {}), _read("B", b, {}))
    follow_ups = [r for r in rows if r.kind == "timepoint"][1:]
    assert [r.label for r in follow_ups] == list(LABELS[1 : n + 1])
    for row, (ra, ca), (rb, cb) in zip(follow_ups, a, b, strict=True):
        assert row.values["recist1.1"] == (ra, rb) and row.values["choi"] == (ca, cb)
        assert row.differs("recist1.1") == (ra != rb)
        assert row.differs("choi") == (ca != cb)
    baseline = rows[0]
    assert baseline.values["recist1.1"] == ("baseline", "baseline") and not baseline.disagreement
    differing = [LABELS[k + 1] for k in range(n) if a[k] != b[k]]
    assert first_disagreement(rows) == (differing[0] if differing else None)


def test_best_response_and_progression_rows_carry_the_recorded_triggers() -> None:
    best_a = {
        "recist1.1": {"best_overall_response": "SD", "progression_day": 323},
        "choi": {"best_overall_response": "PR"},
    }
    best_b = {
        "recist1.1": {"best_overall_response": "SD", "progression_day": 226},
        "choi": {"best_overall_response": "SD"},
    }
    triggers = ("recist1.1 progression day: 323 (A) vs 226 (B)", "choi best overall response: PR (A) vs SD (B)")
    rows = compare_reads(_read("A", [("SD", "PR")], best_a), _read("B", [("SD", "SD")], best_b), triggers)
    best = next(r for r in rows if r.kind == "best_overall_response")
    progression = next(r for r in rows if r.kind == "progression_day")
    assert best.values == {"recist1.1": ("SD", "SD"), "choi": ("PR", "SD")}
    assert progression.values == {"recist1.1": ("day 323", "day 226"), "choi": ("none", "none")}
    assert best.triggers == {"choi"} and progression.triggers == {"recist1.1"}
    assert not best.differs("recist1.1") and best.differs("choi")


def test_triggers_are_read_and_named_for_people() -> None:
    assert parse_trigger("choi progression day: None (A) vs 222 (B)") == ("choi", "progression_day")
    assert parse_trigger("recist1.1 best overall response: SD (A) vs PD (B)") == ("recist1.1", "best_overall_response")
    assert parse_trigger("something else: 1 vs 2") is None
    assert trigger_text("recist1.1 best overall response: SD (A) vs PD (B)") == (
        "RECIST 1.1 best overall response: SD (A) vs PD (B)"
    )
    assert trigger_text("choi progression day: 1 (A) vs 2 (B)") == "Choi progression day: 1 (A) vs 2 (B)"
