"""Expected responses of a case document: taken from the criteria engine, robustness found by bisection."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.trial.expected import expected_responses, robustness_pct


def _case(diameters: list[float], densities: list[float | None]) -> dict[str, Any]:
    tps = []
    for i, (d, h) in enumerate(zip(diameters, densities, strict=True)):
        tp: dict[str, Any] = {
            "label": "baseline" if i == 0 else f"{3 * i}m",
            "day": 0 if i == 0 else 60 + 90 * i,
            "modality": "CT" if h is not None else "MR",
            "contrast": True,
            "slice_thickness_mm": 5.0,
            "targets": {"T1": {"diameter_mm": d, "mean_hu": h}},
            "new_lesions": "no",
        }
        if i:
            tp["new_intratumoral_nodules"] = False
        tps.append(tp)
    return {
        "options": {"randomized": True, "min_sd_days": 42},
        "lesions": [{"id": "T1", "role": "target", "organ": "thigh", "nodal": False}],
        "timepoints": tps,
    }


def test_responses_follow_the_rules_worked_by_hand() -> None:
    # 100 -> 95 (-5 %: RECIST SD; Choi: density 80 -> 64 is -20 %: PR) -> 69 (-31 %: PR for both)
    # -> 84 (+21.7 % and +15 mm above the nadir 69: RECIST PD; Choi: size -16 % from baseline: PR).
    out = expected_responses(_case([100.0, 95.0, 69.0, 84.0], [80.0, 64.0, 70.0, 79.0]))
    assert out["recist1.1"]["timepoints"] == ["SD", "PR", "PD"]
    assert out["recist1.1"]["best_overall_response"] == "PR"
    assert out["recist1.1"]["progression_day"] == 60 + 90 * 3
    assert out["choi"]["timepoints"] == ["PR", "PR", "PR"]
    assert out["choi"]["progression_day"] is None


def test_robustness_is_the_smallest_change_that_flips_a_response() -> None:
    # 69 is 31 % below 100; 70 is exactly 30 % (still PR): the first flip is just above +1.449 % (70/69 - 1).
    # The other measurement (95, 5 % below) flips only far away (Choi PR by size needs -10 %: -5.3 % of 95).
    case = _case([100.0, 95.0, 69.0], [None, None, None])
    assert robustness_pct(case) == pytest.approx(100 * (70.0 / 69.0 - 1), abs=0.02)


@settings(max_examples=25, deadline=None)
@given(follow=st.floats(min_value=20.0, max_value=180.0))
def test_recist_of_one_follow_up_against_the_thresholds(follow: float) -> None:
    follow = round(follow, 1)
    out = expected_responses(_case([100.0, follow], [None, None]))
    want = "PR" if follow <= 70.0 else ("PD" if follow >= 120.0 else "SD")
    assert out["recist1.1"]["timepoints"] == [want]
    assert out["robustness_pct"] > 0
