"""Exact numbers: decimal input, the per-case integer unit, display rounding toward zero, the typed API."""

from __future__ import annotations

from fractions import Fraction

import pytest

from sfrt_reader.criteria import (
    Case,
    CriteriaInputError,
    Fragments,
    Lesion,
    Measured,
    ProtocolOptions,
    Response,
    Role,
    TargetMeasurement,
    Timepoint,
    TooSmall,
    assess_choi,
    assess_recist,
)
from sfrt_reader.criteria.exact import round_toward_zero, show, to_fraction
from sfrt_reader.criteria.sums import case_scale, fmt, pct_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, Fraction(1, 10)),
        (82.0, Fraction(82)),
        (12.25, Fraction(49, 4)),
        (-4, Fraction(-4)),
        (1e-7, Fraction(1, 10**7)),
    ],
)
def test_numbers_enter_as_the_typed_decimal(value: float, expected: Fraction) -> None:
    assert to_fraction(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(-2995, 100), -29.9), (Fraction(2999, 100), 29.9), (Fraction(30), 30.0), (Fraction(-1, 3), -0.3)],
)
def test_display_rounds_toward_zero(value: Fraction, expected: float) -> None:
    assert round_toward_zero(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(95, 2), "47.5"), (Fraction(5), "5.0"), (Fraction(49, 4), "12.25"), (Fraction(140, 3), "46.6666")],
)
def test_show_keeps_typed_decimals(value: Fraction, expected: str) -> None:
    assert show(value) == expected


def test_units_and_formatting() -> None:
    assert (fmt(475, 10), fmt(1225, 100), fmt(0, 10), fmt(7, 1)) == ("47.5", "12.25", "0.0", "7.0")
    assert pct_text(72, 60) == "20.0%" and pct_text(7005, 10000) == "29.9%"


def _case(*follow: TargetMeasurement, options: ProtocolOptions | None = None) -> Case:
    lesions = (Lesion("T1", Role.TARGET, "thigh"), Lesion("T2", Role.TARGET, "lung"))
    timepoints = [
        Timepoint(
            "baseline",
            0,
            targets={"T1": TargetMeasurement(Measured(Fraction(40))), "T2": TargetMeasurement(Measured(Fraction(20)))},
        )
    ]
    for index, record in enumerate(follow, start=1):
        timepoints.append(
            Timepoint(f"f{index}", 91 * index, targets={"T1": record, "T2": TargetMeasurement(Measured(Fraction(0)))})
        )
    return Case(lesions, tuple(timepoints), options or ProtocolOptions())


def test_case_unit_is_the_smallest_common_power_of_ten() -> None:
    case = _case(TargetMeasurement(Fragments((Measured(Fraction(49, 4)), TooSmall()))))
    assert case_scale(case) == 100  # 12.25 mm needs hundredths


def test_typed_api_with_non_decimal_fractions_stays_exact() -> None:
    # Baseline 60 mm; T1 = 42 mm exactly is 30% smaller: PR. 42 + 1/3 mm is not (lcm unit, not a power of ten).
    assert assess_recist(_case(TargetMeasurement(Measured(Fraction(42))))).timepoints[1].target is Response.PR
    result = assess_recist(_case(TargetMeasurement(Measured(Fraction(127, 3)))))
    assert result.timepoints[1].target is Response.SD
    assert result.timepoints[1].sum_mm == Fraction(127, 3)
    assert result.timepoints[1].change_from_baseline_pct == Fraction(127 - 180, 180) * 100


def test_typed_api_refuses_an_invalid_case_with_every_problem() -> None:
    lesions = tuple(Lesion(f"T{i}", Role.TARGET, "lung") for i in range(3))
    case = Case(lesions, (Timepoint("baseline", 3),))
    with pytest.raises(CriteriaInputError) as caught:
        assess_choi(case)
    assert caught.value.problems[0].startswith("lesions[2].organ: T2 is target number 3 in organ")
    assert "timepoints[0].day: 3 must be 0 (the baseline is day 0)" in caught.value.problems
    assert sum("missing at baseline" in problem for problem in caught.value.problems) == 3


def test_constructors_refuse_impossible_values() -> None:
    with pytest.raises(CriteriaInputError):
        Measured(Fraction(-1))
    with pytest.raises(CriteriaInputError):
        Fragments(())
    with pytest.raises(CriteriaInputError):
        ProtocolOptions(too_small_mm=Fraction(0))


def test_options_as_stored_json_round_trip() -> None:
    from sfrt_reader.criteria.options import convert_options

    defaults = ProtocolOptions().as_dict()
    assert defaults == {
        "randomized": True,
        "min_sd_days": 42,
        "confirmation_min_days": 28,
        "too_small_mm": 5.0,
        "irradiated_target_measurable": True,
        "choi_size_reference": "baseline",
        "choi_density_pooling": "mean_of_lesions",
    }
    chosen, problems = convert_options({**defaults, "min_sd_days": 56, "choi_size_reference": "nadir"})
    assert problems == []
    options = ProtocolOptions(**chosen)
    assert options.as_dict() == {**defaults, "min_sd_days": 56, "choi_size_reference": "nadir"}
