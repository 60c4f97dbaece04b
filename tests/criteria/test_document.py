"""The case document: every problem reported with its JSON path, and the exact output document."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sfrt_reader.criteria import ENGINE_VERSION, CriteriaInputError, assess_document
from sfrt_reader.errors import SfrtError
from tests.criteria.builders import case

ISSUE_EXAMPLE: dict[str, Any] = {
    "options": {"randomized": True, "min_sd_days": 42},
    "lesions": [
        {"id": "T1", "role": "target", "organ": "thigh", "nodal": False},
        {"id": "T2", "role": "target", "organ": "lymph node", "nodal": True},
        {"id": "NT1", "role": "non-target", "organ": "lung", "nodal": False},
    ],
    "timepoints": [
        {
            "label": "baseline",
            "day": 0,
            "modality": "CT",
            "contrast": True,
            "slice_thickness_mm": 3.0,
            "targets": {"T1": {"diameter_mm": 82.0, "mean_hu": 45.0}, "T2": {"diameter_mm": 18.0}},
            "non_targets": {"NT1": "present"},
            "new_lesions": "no",
        },
        {
            "label": "3m",
            "day": 91,
            "modality": "CT",
            "contrast": True,
            "targets": {"T1": {"diameter_mm": [30.0, 12.5], "mean_hu": 20.0}, "T2": {"diameter_mm": "too_small"}},
            "non_targets": {"NT1": "absent"},
            "new_lesions": "no",
            "new_intratumoral_nodules": False,
        },
    ],
}

TIMEPOINT_KEYS = [
    "label",
    "day",
    "sum_mm",
    "nadir_mm",
    "change_from_baseline_pct",
    "change_from_nadir_pct",
    "density_hu",
    "density_change_pct",
    "density_evaluable",
    "target",
    "non_target",
    "new_lesions",
    "overall",
    "reasons",
]


def problems_of(document: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(CriteriaInputError) as caught:
        assess_document(document, **kwargs)
    assert str(caught.value) == "\n".join(caught.value.problems)
    assert isinstance(caught.value, SfrtError)
    return caught.value.problems


def test_issue_example_output_document() -> None:
    # Baseline 82 + 18 = 100; 3m: T1 30 + 12.5 = 42.5, T2 too small 5: 47.5 = -52.5%: PR; NT1 gone: CR.
    output = assess_document(ISSUE_EXAMPLE, "recist1.1")
    assert list(output) == ["criteria", "timepoints", "best_overall_response", "progression_day", "reasons"]
    assert output["criteria"] == "recist1.1"
    for timepoint in output["timepoints"]:
        assert list(timepoint) == TIMEPOINT_KEYS
    base, three = output["timepoints"]
    assert (base["target"], base["non_target"], base["overall"], base["sum_mm"]) == (None, None, None, 100.0)
    expected = {
        "label": "3m",
        "day": 91,
        "sum_mm": 47.5,
        "nadir_mm": 100.0,
        "change_from_baseline_pct": -52.5,
        "change_from_nadir_pct": -52.5,
        "density_hu": None,
        "density_change_pct": None,
        "density_evaluable": None,
        "target": "PR",
        "non_target": "CR",
        "new_lesions": "no",
        "overall": "PR",
    }
    assert {key: three[key] for key in expected} == expected
    assert all(isinstance(reason, str) and reason for reason in three["reasons"])
    assert output["best_overall_response"] == "PR"
    assert output["progression_day"] is None


def test_both_criteria_and_choi_density_fields() -> None:
    output = assess_document(ISSUE_EXAMPLE)
    assert list(output) == ["recist1.1", "choi"]
    three = output["choi"]["timepoints"][1]
    # Only T1 has HU: 45 -> 20 = -55.55...% (shown toward zero: -55.5); evaluable.
    assert (three["density_hu"], three["density_change_pct"], three["density_evaluable"]) == (20.0, -55.5, True)
    assert output["choi"]["criteria"] == "choi"


def test_engine_version_is_a_named_string() -> None:
    assert ENGINE_VERSION.startswith("sfrt-criteria ")


def test_input_document_is_not_modified() -> None:
    document = copy.deepcopy(ISSUE_EXAMPLE)
    assess_document(document)
    assert document == ISSUE_EXAMPLE


def test_every_problem_is_reported_with_its_path() -> None:
    document = case(
        {"T1": 50.0, "T2": 40.0, "T3": 30.0},
        {"targets": {"T1": 40.0, "T9": 3.0}},
        {"day": 91, "targets": {"T3": -4}, "new_lesions": "maybe"},
        options={"randomised": True, "min_sd_days": -3},
    )
    for item in document["lesions"]:
        item["organ"] = "thigh"
    assert problems_of(document) == [
        "options.randomised: unknown option (known: randomized, min_sd_days, confirmation_min_days, too_small_mm, "
        "irradiated_target_measurable, choi_size_reference, choi_density_pooling)",
        "options.min_sd_days: -3 is negative",
        "timepoints[2].targets.T3.diameter_mm: -4 is negative",
        'timepoints[2].new_lesions: "maybe" is not one of no, yes, equivocal',
        'lesions[2].organ: T3 is target number 3 in organ "thigh" (T1, T2, T3): at most 2 targets per organ',
        "timepoints[2].day: 91 is not after the previous timepoint's day 91: days must strictly increase",
        "timepoints[1].targets.T9: unknown target lesion T9",
    ]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["timepoints"][0]["targets"].pop("T2"),
            "timepoints[0].targets.T2.diameter_mm: missing at baseline: every target lesion must be measured at "
            "baseline",
        ),
        (
            lambda d: d["timepoints"][0]["targets"]["T1"].update(diameter_mm=9.9),
            "timepoints[0].targets.T1.diameter_mm: longest diameter 9.9 mm is below 10.0 mm (the minimum with slices "
            "of 5 mm or less): not measurable at baseline",
        ),
        (
            lambda d: d["timepoints"][0]["targets"]["T2"].update(diameter_mm=14.9),
            "timepoints[0].targets.T2.diameter_mm: short axis 14.9 mm is below 15 mm: a node is a measurable target "
            "only from 15 mm; record it as a non-target node (10 to < 15 mm)",
        ),
        (
            lambda d: d["timepoints"][0]["targets"]["T2"].update(diameter_mm=9.0),
            "timepoints[0].targets.T2.diameter_mm: short axis 9.0 mm is below 15 mm: a node is a measurable target "
            "only from 15 mm; a node < 10 mm is normal, not a lesion",
        ),
        (
            lambda d: d["timepoints"][1].update(day=0),
            "timepoints[1].day: 0 is not after the previous timepoint's day 0: days must strictly increase",
        ),
        (lambda d: d["timepoints"][0].update(day=5), "timepoints[0].day: 5 must be 0 (the baseline is day 0)"),
        (
            lambda d: d["timepoints"][1]["non_targets"].update(NT1="gone"),
            'timepoints[1].non_targets.NT1: "gone" is not one of absent, present, progression, not_evaluated',
        ),
        (
            lambda d: d["timepoints"][1]["targets"]["T1"].update(diameter_mm="big"),
            'timepoints[1].targets.T1.diameter_mm: "big" is not a number, "too_small", a list of fragment diameters '
            "or null",
        ),
        (
            lambda d: d["timepoints"][1]["targets"]["T1"].update(diameter_mm=[]),
            "timepoints[1].targets.T1.diameter_mm: an empty list: a split lesion needs the diameters of its fragments",
        ),
        (
            lambda d: d["timepoints"][1]["targets"]["T1"].update(diameter_mm=[30.0, -1.5]),
            "timepoints[1].targets.T1.diameter_mm[1]: -1.5 is negative",
        ),
        (
            lambda d: d["timepoints"][1]["targets"]["T1"].update(mean_hu=5000),
            "timepoints[1].targets.T1.mean_hu: 5000 is outside -1024 to 3071 HU",
        ),
        (
            lambda d: d["timepoints"][1].update(modality="MR"),
            "timepoints[1].targets.T1.mean_hu: an MR timepoint has no Hounsfield units: leave mean_hu null",
        ),
        (
            lambda d: d["timepoints"][1]["non_targets"].update(T1="present"),
            "timepoints[1].non_targets.T1: unknown non-target lesion T1 (it is a target lesion: record it under "
            "targets)",
        ),
        (
            lambda d: d["timepoints"][0].update(non_targets={}),
            "timepoints[0].non_targets.NT1: not_evaluated at baseline: a non-target lesion must be present at baseline",
        ),
        (
            lambda d: d["timepoints"][0].update(new_lesions="yes"),
            "timepoints[0].new_lesions: yes: there are no new lesions at baseline",
        ),
        (
            lambda d: d["timepoints"][1].update(date="2026-01-01"),
            "timepoints[1].date: unknown key (expected one of: label, day, modality, contrast, slice_thickness_mm, "
            "targets, non_targets, new_lesions, new_intratumoral_nodules)",
        ),
        (lambda d: d["lesions"][0].update(role="main"), 'lesions[0].role: "main" is not one of target, non-target'),
        (
            lambda d: d["timepoints"][0]["targets"]["T1"].update(diameter_mm="too_small"),
            "timepoints[0].targets.T1.diameter_mm: a target must have one measured diameter at baseline",
        ),
    ],
)
def test_single_problem_with_path(mutate: Any, expected: str) -> None:
    document = copy.deepcopy(ISSUE_EXAMPLE)
    mutate(document)
    assert problems_of(document) == [expected]


def test_thick_slices_raise_the_measurability_threshold() -> None:
    # 8 mm slices: a non-nodal target must be >= 16 mm (2 x 8).
    document = case({"T1": 15.0}, {"targets": {"T1": 15.0}}, baseline_extra={"slice_thickness_mm": 8.0})
    assert problems_of(document) == [
        "timepoints[0].targets.T1.diameter_mm: longest diameter 15.0 mm is below 16.0 mm (twice the baseline slice "
        "thickness 8.0 mm): not measurable at baseline"
    ]
    document["timepoints"][0]["targets"]["T1"]["diameter_mm"] = 16.0
    assert assess_document(document, "recist1.1")["best_overall_response"] == "SD"


def test_more_than_five_targets() -> None:
    document = case({f"T{i}": 20.0 for i in range(1, 7)}, {"targets": {}})
    assert problems_of(document) == ["lesions: 6 target lesions (T1, T2, T3, T4, T5, T6): RECIST 1.1 allows at most 5"]


def test_all_nodes_count_as_one_organ() -> None:
    document = case({"N1": 20.0, "N2": 20.0, "N3": 20.0}, {"targets": {}}, nodal=("N1", "N2", "N3"))
    assert problems_of(document) == [
        "lesions[2].organ: N3 is target number 3 in lymph nodes (all nodes count as one organ) (N1, N2, N3): at most "
        "2 targets per organ"
    ]


def test_irradiated_target_follows_the_protocol_option() -> None:
    document = case({"T1": 50.0}, {"targets": {"T1": 40.0}})
    document["lesions"][0]["irradiated"] = True
    assert assess_document(document, "recist1.1")["best_overall_response"] == "SD"  # trial default: measurable
    document["options"] = {"irradiated_target_measurable": False}
    assert problems_of(document) == [
        "lesions[0].irradiated: T1 was previously irradiated and the protocol option irradiated_target_measurable is "
        "false: record it as a non-target lesion"
    ]


def test_option_overrides_win_and_are_validated() -> None:
    document = case({"T1": 100.0}, {"day": 30, "targets": {"T1": 95.0}})
    assert assess_document(document, "recist1.1")["best_overall_response"] == "NE"  # SD at day 30 < 42
    assert assess_document(document, "recist1.1", {"min_sd_days": 28})["best_overall_response"] == "SD"
    assert problems_of(document, criteria="recist1.1", option_overrides={"min_sd_days": "soon"}) == [
        '--option min_sd_days: "soon" is not a whole number of days'
    ]


def test_not_an_object_and_missing_parts() -> None:
    assert problems_of(["DOE^JANE"]) == ["(document): a list, not a JSON object with lesions and timepoints"]
    assert problems_of({}) == ["lesions: missing", "timepoints: missing"]


def test_unknown_criteria_name() -> None:
    assert problems_of(ISSUE_EXAMPLE, criteria="who") == ["criteria: 'who' is not one of recist1.1, choi, both"]


def test_percentages_are_rounded_toward_zero_for_display_only() -> None:
    # 100 -> 70.05: -29.95% exactly: not PR (needs 30); shown as -29.9, never as a misleading -30.0.
    output = assess_document(case({"T1": 100.0}, {"targets": {"T1": 70.05}}), "recist1.1")
    tp = output["timepoints"][1]
    assert (tp["change_from_baseline_pct"], tp["target"]) == (-29.9, "SD")


def test_no_identifier_reaches_a_message() -> None:
    # Lesion ids and labels are the reader's; nothing else from the document is echoed in problems.
    document = copy.deepcopy(ISSUE_EXAMPLE)
    document["patient_name"] = "DOE^JANE"
    problems = problems_of(document)
    assert problems == ["patient_name: unknown key (expected one of: options, lesions, timepoints)"]
    assert "DOE" not in "\n".join(problems)
