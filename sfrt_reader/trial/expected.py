"""The responses a case document produces, from the criteria engine, and how robust they are.

The demo trial records in its ground truth the RECIST 1.1 and Choi responses its true measurements give, so the
workstation's own reads can be checked against them. Those responses come from `criteria.assess_document`, the
one engine the workstation uses: restating the thresholds next to the phantom would let the two drift apart.

Robustness: a scenario whose responses flip when one recorded measurement moves by a fraction of a per cent
would make every downstream test fragile (a different seed, a different rounding). `robustness_pct` is the
smallest relative change of any single follow-up measurement (a target's diameter or mean density) that changes
any timepoint response, best response or progression day, found by bisection on the engine itself.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sfrt_reader.criteria import assess_document

CRITERIA_KEYS = ("recist1.1", "choi")
ROBUSTNESS_LIMIT_PCT = 50.0
ROBUSTNESS_STEP_PCT = 0.01


def _summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """Per criterion: the follow-up timepoints' overall responses, the best overall response, the PD day."""
    out: dict[str, Any] = {}
    for key in CRITERIA_KEYS:
        doc = result[key]
        out[key] = {
            "timepoints": [tp["overall"] for tp in doc["timepoints"][1:]],
            "best_overall_response": doc["best_overall_response"],
            "progression_day": doc["progression_day"],
        }
    return out


def _perturbed(case: Mapping[str, Any], tp_index: int, lesion: str, field: str, factor: float) -> dict[str, Any]:
    doc = copy.deepcopy(dict(case))
    target = doc["timepoints"][tp_index]["targets"][lesion]
    target[field] = float(target[field]) * factor
    return doc


def _measurements(case: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """(timepoint index, lesion, field) of every numeric follow-up measurement of the targets."""
    found = []
    for i, tp in enumerate(case["timepoints"]):
        if i == 0:
            continue
        for lesion, values in tp.get("targets", {}).items():
            for field in ("diameter_mm", "mean_hu"):
                if isinstance(values.get(field), int | float) and not isinstance(values.get(field), bool):
                    found.append((i, lesion, field))
    return found


def robustness_pct(case: Mapping[str, Any]) -> float:
    """The smallest relative change (%) of one follow-up measurement that changes any response (see module)."""
    reference = _summary(assess_document(case))
    smallest = ROBUSTNESS_LIMIT_PCT
    for i, lesion, field in _measurements(case):
        for sign in (-1.0, 1.0):

            def flips(pct: float, i: int = i, lesion: str = lesion, field: str = field, sign: float = sign) -> bool:
                doc = _perturbed(case, i, lesion, field, 1.0 + sign * pct / 100.0)
                return _summary(assess_document(doc)) != reference

            if not flips(smallest):
                continue
            lo, hi = 0.0, smallest  # lo never flips, hi flips
            while hi - lo > ROBUSTNESS_STEP_PCT:
                mid = (lo + hi) / 2.0
                lo, hi = (lo, mid) if flips(mid) else (mid, hi)
            smallest = hi
    return round(smallest, 2)


def expected_responses(case: Mapping[str, Any]) -> dict[str, Any]:
    """The "expected" block of the demo ground truth for one subject's case document (the engine's input format,
    built from the TRUE measurements as recorded, to 0.1): per criterion the follow-up responses, the best
    overall response and the progression day, and `robustness_pct`."""
    out = _summary(assess_document(case))
    out["robustness_pct"] = robustness_pct(case)
    return out
