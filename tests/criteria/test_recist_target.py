"""RECIST 1.1 target response: thresholds, nadir, nodes, recording rules, not-evaluable handling.

Every expected value below is worked out by hand from CRITERIA.md, in the comment next to it.
"""

from __future__ import annotations

import pytest

from tests.criteria.builders import case, last, recist


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        (70.0, "PR"),  # (100 - 70) / 100 = exactly 30.0% shrinkage: PR
        (70.1, "SD"),  # 29.9%: not PR
        (69.9, "PR"),  # 30.1%
        (100.0, "SD"),  # no change
    ],
)
def test_partial_response_threshold_is_exactly_30_percent(follow_up: float, expected: str) -> None:
    result = recist(case({"T1": 100.0}, {"targets": {"T1": follow_up}}))
    assert last(result)["target"] == expected


def test_thirty_percent_on_decimal_diameters_is_exact() -> None:
    # Baseline 33.3 + 33.4 + 33.3 = 100.0; follow-up 23.3 + 23.4 + 23.3 = 70.0: exactly 30% in decimals,
    # although 0.1 steps are not exact in binary floats.
    document = case(
        {"T1": 33.3, "T2": 33.4, "T3": 33.3},
        {"targets": {"T1": 23.3, "T2": 23.4, "T3": 23.3}},
    )
    assert last(recist(document))["target"] == "PR"
    assert last(recist(document))["change_from_baseline_pct"] == -30.0


@pytest.mark.parametrize(
    ("nadir", "follow_up", "expected"),
    [
        (25.0, 30.0, "PD"),  # +5.0 mm = +20.0% over the nadir 25: both met
        (25.0, 29.9, "PR"),  # +4.9 mm, +19.6%: not PD; 70.1% below the baseline 100: PR
        (24.5, 29.4, "PR"),  # +4.9 mm = exactly +20.0%: 20% met, 5 mm not: not PD; PR against baseline
        (100.0, 120.0, "PD"),  # +20 mm, exactly +20%
        (100.0, 119.9, "SD"),  # +19.9%
        (20.0, 25.0, "PD"),  # +5 mm, +25%
    ],
)
def test_progression_needs_20_percent_and_5_mm_over_the_nadir(nadir: float, follow_up: float, expected: str) -> None:
    # Baseline 100, then the nadir at f1, then the value tested at f2 (nadir 100: no intermediate visit).
    document = case({"T1": 100.0}, {"targets": {"T1": nadir}}, {"targets": {"T1": follow_up}})
    if nadir == 100.0:
        document = case({"T1": 100.0}, {"targets": {"T1": follow_up}})
    assert last(recist(document))["target"] == expected


def test_nadir_is_the_smallest_earlier_sum_and_growth_beats_shrinkage() -> None:
    # Baseline 100, f1 50 (PR, new nadir), f2 60: 40% below baseline but +20% and +10 mm over the nadir 50: PD.
    result = recist(case({"T1": 100.0}, {"targets": {"T1": 50.0}}, {"targets": {"T1": 60.0}}))
    f2 = last(result)
    assert f2["target"] == "PD"
    assert f2["nadir_mm"] == 50.0
    assert f2["change_from_nadir_pct"] == 20.0
    assert f2["change_from_baseline_pct"] == -40.0
    assert any("20.0% and 10.0 mm above the nadir 50.0 mm (f1, day 91)" in reason for reason in f2["reasons"])


def test_reason_quotes_the_numbers_of_the_issue_example() -> None:
    # Nadir 60 at day 60 (a 60-day visit), then 72: 20.0% and 12.0 mm above: PD.
    document = case({"T1": 100.0}, {"day": 60, "targets": {"T1": 60.0}}, {"day": 120, "targets": {"T1": 72.0}})
    reasons = last(recist(document))["reasons"]
    assert (
        "sum 72.0 mm is 20.0% and 12.0 mm above the nadir 60.0 mm (f1, day 60): PD (at least 20% and 5 mm)" in reasons
    )


def test_complete_response_with_nodes_below_10_mm_and_sum_above_zero() -> None:
    # Non-nodal T1 disappeared, node N1 short axis 9.9 mm (< 10): CR although the sum is 9.9 mm.
    document = case({"T1": 40.0, "N1": 20.0}, {"targets": {"T1": 0, "N1": 9.9}}, nodal=("N1",))
    tp = last(recist(document))
    assert tp["target"] == "CR"
    assert tp["sum_mm"] == 9.9


def test_node_of_exactly_10_mm_is_not_complete_response() -> None:
    # N1 10.0 mm is not < 10: not CR; sum 10 vs baseline 60 is 83.3% smaller: PR.
    document = case({"T1": 40.0, "N1": 20.0}, {"targets": {"T1": 0, "N1": 10.0}}, nodal=("N1",))
    assert last(recist(document))["target"] == "PR"


def test_too_small_non_nodal_lesion_is_not_complete_response() -> None:
    # T1 too small = 5 mm recorded: not disappeared, so not CR; 5 vs 40 = 87.5% smaller: PR.
    document = case({"T1": 40.0}, {"targets": {"T1": "too_small"}})
    tp = last(recist(document))
    assert (tp["target"], tp["sum_mm"]) == ("PR", 5.0)


def test_too_small_value_is_the_protocol_option() -> None:
    # too_small_mm = 3: T1 too small counts 3 mm; T2 20 mm: sum 23.
    document = case({"T1": 30.0, "T2": 30.0}, {"targets": {"T1": "too_small", "T2": 20.0}}, options={"too_small_mm": 3})
    assert last(recist(document))["sum_mm"] == 23.0


def test_split_lesion_is_the_sum_of_its_fragments() -> None:
    # T1 82 + T2 18 = 100; f1: T1 fragments 30 + 12.5 = 42.5, T2 too small 5: 47.5, -52.5%: PR.
    document = case({"T1": 82.0, "N2": 18.0}, {"targets": {"T1": [30.0, 12.5], "N2": "too_small"}}, nodal=("N2",))
    tp = last(recist(document))
    assert (tp["sum_mm"], tp["change_from_baseline_pct"], tp["target"]) == (47.5, -52.5, "PR")


def test_coalesced_lesions_merged_diameter_on_one_zero_on_the_other() -> None:
    # T1 30 + T2 30 = 60; they coalesce into one of 45 mm: T1 45, T2 0: sum 45, 25% smaller: SD, not CR.
    document = case({"T1": 30.0, "T2": 30.0}, {"targets": {"T1": 45.0, "T2": 0}})
    tp = last(recist(document))
    assert (tp["sum_mm"], tp["target"]) == (45.0, "SD")


def test_missing_target_is_not_evaluable() -> None:
    # T2 not evaluated; measured T1 40 is far below the nadir 100: NE, and no sum is reported.
    document = case({"T1": 50.0, "T2": 50.0}, {"targets": {"T1": 40.0, "T2": {"diameter_mm": None}}})
    tp = last(recist(document))
    assert (tp["target"], tp["overall"], tp["sum_mm"]) == ("NE", "NE", None)


def test_missing_key_is_not_evaluable_too() -> None:
    document = case({"T1": 50.0, "T2": 50.0}, {"targets": {"T1": 40.0}})
    assert last(recist(document))["target"] == "NE"


def test_measured_targets_alone_meeting_progression_is_progression() -> None:
    # Nadir 100 (baseline 50 + 50); T2 missing, T1 alone 125: +25% and +25 mm over 100: PD.
    document = case({"T1": 50.0, "T2": 50.0}, {"targets": {"T1": 125.0}})
    tp = last(recist(document))
    assert (tp["target"], tp["overall"]) == ("PD", "PD")


def test_measured_targets_alone_just_short_of_progression_stay_not_evaluable() -> None:
    # T1 alone 119.9 over nadir 100: +19.9%: not PD yet, and T2 unknown: NE.
    document = case({"T1": 50.0, "T2": 50.0}, {"targets": {"T1": 119.9}})
    assert last(recist(document))["target"] == "NE"


def test_not_evaluable_timepoint_never_becomes_the_nadir() -> None:
    # f1 has T2 missing with T1 at 10 (partial 10); the nadir stays the baseline 100. f2 sums 100: SD (no change).
    document = case(
        {"T1": 50.0, "T2": 50.0},
        {"targets": {"T1": 10.0}},
        {"targets": {"T1": 50.0, "T2": 50.0}},
    )
    tp = last(recist(document))
    assert (tp["nadir_mm"], tp["target"]) == (100.0, "SD")


def test_reappearance_after_complete_disappearance_is_progression_by_5_mm() -> None:
    # Baseline 20; f1 0 (CR, nadir 0); f2 5.0: +5 mm over 0 (20% of 0 is 0): PD. 4.9 would not be.
    document = case({"T1": 20.0}, {"targets": {"T1": 0}}, {"targets": {"T1": 5.0}})
    tp = last(recist(document))
    assert (tp["target"], tp["change_from_nadir_pct"]) == ("PD", None)
    document = case({"T1": 20.0}, {"targets": {"T1": 0}}, {"targets": {"T1": 4.9}})
    assert last(recist(document))["target"] == "PR"
