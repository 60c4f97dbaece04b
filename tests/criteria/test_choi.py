"""Choi: size OR density for PR, size AND not density-PR for PD, density evaluability, pooling, size reference.

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.criteria.builders import case, choi, last


def t(diameter: Any, hu: float | None = None, volume: float | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"diameter_mm": diameter, "mean_hu": hu}
    if volume is not None:
        record["roi_volume_ml"] = volume
    return record


@pytest.mark.parametrize(
    ("size", "expected"),
    [(90.0, "PR"), (90.1, "SD"), (110.0, "PD"), (109.9, "SD")],  # exactly -10% PR, exactly +10% PD
)
def test_size_thresholds_are_exactly_10_percent(size: float, expected: str) -> None:
    document = case({"T1": t(100.0, 40.0)}, {"targets": {"T1": t(size, 40.0)}})
    assert last(choi(document))["target"] == expected


@pytest.mark.parametrize(
    ("hu", "expected", "change"),
    [(34.0, "PR", -15.0), (34.1, "SD", -14.7), (20.0, "PR", -50.0)],  # (40-34)/40 = 15% exactly; 34.1: 14.75%
)
def test_density_threshold_is_exactly_15_percent(hu: float, expected: str, change: float) -> None:
    document = case({"T1": t(100.0, 40.0)}, {"targets": {"T1": t(100.0, hu)}})
    tp = last(choi(document))
    assert (tp["target"], tp["density_change_pct"], tp["density_evaluable"]) == (expected, change, True)


def test_density_response_excuses_size_growth() -> None:
    # +10% size (PD by size) but density 40 -> 30 (-25%): PR by density, so not PD: PR.
    document = case({"T1": t(100.0, 40.0)}, {"targets": {"T1": t(110.0, 30.0)}})
    assert last(choi(document))["target"] == "PR"


def test_typical_sfrt_case_choi_pr_while_recist_sd() -> None:
    # Size 100 -> 95 (-5%: RECIST SD, not Choi size PR), density 50 -> 30 (-40%): Choi PR.
    from sfrt_reader.criteria import assess_document

    document = case({"T1": t(100.0, 50.0)}, {"targets": {"T1": t(95.0, 30.0)}})
    both = assess_document(document)
    assert last(both["recist1.1"])["overall"] == "SD"
    assert last(both["choi"])["overall"] == "PR"


@pytest.mark.parametrize(
    ("follow_up", "flag_words"),
    [
        ({"modality": "MR", "contrast": True}, "this timepoint is MR"),
        ({"modality": "CT", "contrast": False}, "this timepoint is CT without contrast"),
    ],
)
def test_density_not_evaluable_on_mr_or_non_contrast_ct(follow_up: dict[str, Any], flag_words: str) -> None:
    # Size 100 -> 95 (SD by size). The HU would show a 50% drop on the non-contrast CT, but it must not count.
    hu = None if follow_up["modality"] == "MR" else 20.0
    document = case({"T1": t(100.0, 40.0)}, {**follow_up, "targets": {"T1": t(95.0, hu)}})
    tp = last(choi(document))
    assert tp["density_evaluable"] is False
    assert tp["density_change_pct"] is None
    assert tp["target"] == "SD"
    flagged = [reason for reason in tp["reasons"] if reason.startswith("density not evaluable")]
    assert len(flagged) == 1
    assert flag_words in flagged[0] and "Choi rests on size alone" in flagged[0]


def test_mr_follow_up_still_gives_pr_by_size() -> None:
    document = case({"T1": t(100.0, 40.0)}, {"modality": "MR", "targets": {"T1": t(85.0)}})
    tp = last(choi(document))
    assert (tp["target"], tp["density_evaluable"]) == ("PR", False)


@pytest.mark.parametrize("baseline_hu", [0.0, -5.0])
def test_baseline_mean_hu_not_positive_is_not_evaluable(baseline_hu: float) -> None:
    document = case({"T1": t(100.0, baseline_hu)}, {"targets": {"T1": t(100.0, -50.0)}})
    result = choi(document)
    assert result["timepoints"][0]["density_evaluable"] is False
    tp = last(result)
    assert (tp["density_evaluable"], tp["target"], tp["density_hu"]) == (False, "SD", -50.0)
    assert any("<= 0" in reason and "size alone" in reason for reason in tp["reasons"])


def test_mr_baseline_flags_every_timepoint() -> None:
    document = case({"T1": t(100.0)}, {"targets": {"T1": t(80.0, 40.0)}}, baseline_extra={"modality": "MR"})
    result = choi(document)
    assert [tp["density_evaluable"] for tp in result["timepoints"]] == [False, False]
    assert any("the baseline is MR" in reason for reason in result["timepoints"][1]["reasons"])


def _pooling_case(pooling: str) -> dict[str, Any]:
    return case(
        {"T1": t(60.0, 40.0, 100.0), "T2": t(30.0, 80.0, 20.0)},
        {"targets": {"T1": t(60.0, 30.0, 90.0), "T2": t(30.0, 80.0, 20.0)}},
        options={"choi_density_pooling": pooling},
    )


def test_pooling_mean_of_lesions() -> None:
    # Baseline (40 + 80) / 2 = 60; now (30 + 80) / 2 = 55: -8.33%: not PR; size unchanged: SD.
    tp = last(choi(_pooling_case("mean_of_lesions")))
    assert (tp["density_hu"], tp["density_change_pct"], tp["target"]) == (55.0, -8.3, "SD")


def test_pooling_voxel_weighted() -> None:
    # Baseline (40*100 + 80*20) / 120 = 140/3 = 46.67; now (30*90 + 80*20) / 110 = 430/11 = 39.09;
    # change (430/11 - 140/3) / (140/3) = -750/4620 = -16.23%: PR by density.
    tp = last(choi(_pooling_case("voxel_weighted")))
    assert (tp["density_hu"], tp["density_change_pct"], tp["target"]) == (39.0, -16.2, "PR")


def test_voxel_weighting_needs_volumes_when_several_lesions_carry_hu() -> None:
    from sfrt_reader.criteria import CriteriaInputError

    document = case(
        {"T1": t(60.0, 40.0), "T2": t(30.0, 80.0, 20.0)},
        {"targets": {"T1": t(60.0, 30.0, 90.0), "T2": t(30.0, 80.0, 20.0)}},
        options={"choi_density_pooling": "voxel_weighted"},
    )
    with pytest.raises(CriteriaInputError) as caught:
        choi(document)
    assert caught.value.problems == [
        "timepoints[0].targets.T1.roi_volume_ml: missing: choi_density_pooling voxel_weighted needs the ROI volume "
        "of every lesion with a mean HU"
    ]


@pytest.mark.parametrize(("reference", "expected"), [("baseline", "PR"), ("nadir", "PD")])
def test_size_reference_option(reference: str, expected: str) -> None:
    # Baseline 100, f1 80, f2 90: -10% from baseline (size PR) but +12.5% over the nadir 80 (size PD if nadir).
    document = case(
        {"T1": t(100.0, 40.0)},
        {"targets": {"T1": t(80.0, 40.0)}},
        {"targets": {"T1": t(90.0, 40.0)}},
        options={"choi_size_reference": reference},
    )
    assert last(choi(document))["target"] == expected


@pytest.mark.parametrize(
    ("extra", "expected_overall"),
    [
        ({"new_intratumoral_nodules": True}, "PD"),
        ({"new_lesions": "yes"}, "PD"),
        ({"non_targets": {"NT1": "progression"}}, "PD"),
        ({"non_targets": {"NT1": "present"}}, "PR"),
    ],
)
def test_choi_progression_other_than_size(extra: dict[str, Any], expected_overall: str) -> None:
    # Density 40 -> 20 alone would be PR.
    follow = {"targets": {"T1": t(100.0, 20.0)}, "non_targets": {"NT1": "present"}, **extra}
    document = case({"T1": t(100.0, 40.0)}, follow, non_targets=("NT1",))
    assert last(choi(document))["overall"] == expected_overall


def test_choi_complete_response() -> None:
    document = case({"T1": t(100.0, 40.0)}, {"targets": {"T1": t(0)}, "non_targets": {}})
    tp = last(choi(document))
    assert (tp["target"], tp["overall"]) == ("CR", "CR")


def test_disappeared_lesion_leaves_the_density_comparison() -> None:
    # T1 40 HU, T2 60 HU at baseline; T2 gone, T1 now 30 HU: compare T1 alone, 40 -> 30 = -25%: PR by density.
    document = case(
        {"T1": t(60.0, 40.0), "T2": t(40.0, 60.0)},
        {"targets": {"T1": t(95.0, 30.0), "T2": t(0)}},
    )
    tp = last(choi(document))
    assert (tp["density_change_pct"], tp["target"]) == (-25.0, "PR")
    assert any("T2 disappeared and left the density comparison" in reason for reason in tp["reasons"])


def test_missing_hu_of_a_present_lesion_is_flagged() -> None:
    document = case(
        {"T1": t(60.0, 40.0), "T2": t(40.0, 60.0)},
        {"targets": {"T1": t(60.0, 30.0), "T2": t(40.0)}},
    )
    tp = last(choi(document))
    assert (tp["density_evaluable"], tp["density_hu"]) == (False, None)  # never a pool of only some lesions
    assert any("no mean HU for T2" in reason for reason in tp["reasons"])


def test_density_pr_stands_even_when_a_size_is_missing() -> None:
    # T2 diameter not evaluated, but its HU (and T1's) dropped: mean 50 -> 25 = -50%: PR (PD would need no density PR).
    document = case(
        {"T1": t(60.0, 40.0), "T2": t(40.0, 60.0)},
        {"targets": {"T1": t(60.0, 20.0), "T2": t(None, 30.0)}},
    )
    tp = last(choi(document))
    assert (tp["target"], tp["sum_mm"]) == ("PR", None)
