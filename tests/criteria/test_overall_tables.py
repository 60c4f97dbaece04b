"""RECIST 1.1 overall response: every row of table 1 (targets) and table 2 (no targets)."""

from __future__ import annotations

import pytest

from sfrt_reader.criteria.model import NewLesions
from sfrt_reader.criteria.results import Response
from sfrt_reader.criteria.tables import overall_response
from tests.criteria.builders import case, last, recist

CR, PR, SD, PD, NE, NN = Response.CR, Response.PR, Response.SD, Response.PD, Response.NE, Response.NON_CR_NON_PD
NO, YES, EQ = NewLesions.NO, NewLesions.YES, NewLesions.EQUIVOCAL
ALL = (CR, PR, SD, PD, NE)

TABLE_1 = [
    # target, non-target, new, overall
    (CR, CR, NO, CR),
    (CR, None, NO, CR),  # no non-target lesions at all
    (CR, NN, NO, PR),
    (CR, NE, NO, PR),
    (PR, CR, NO, PR),
    (PR, NN, NO, PR),
    (PR, NE, NO, PR),
    (PR, None, NO, PR),
    (SD, CR, NO, SD),
    (SD, NN, NO, SD),
    (SD, NE, NO, SD),
    (NE, CR, NO, NE),
    (NE, NN, NO, NE),
    (NE, None, NO, NE),
    *[(PD, nt, new, PD) for nt in (CR, NN, NE, PD, None) for new in (NO, YES, EQ)],
    *[(t, PD, new, PD) for t in ALL for new in (NO, YES, EQ)],
    *[(t, nt, YES, PD) for t in ALL for nt in (CR, NN, NE, PD, None)],
    # An equivocal new lesion is not PD at the timepoint it is seen: the row is read as "no".
    (CR, CR, EQ, CR),
    (PR, NN, EQ, PR),
    (SD, CR, EQ, SD),
]

TABLE_2 = [
    (CR, NO, CR),
    (NN, NO, NN),
    (PD, NO, PD),
    (NE, NO, NE),
    (CR, YES, PD),
    (NN, YES, PD),
    (NE, YES, PD),
    (NN, EQ, NN),
]


@pytest.mark.parametrize(("target", "non_target", "new", "expected"), TABLE_1)
def test_table_1(target: Response, non_target: Response | None, new: NewLesions, expected: Response) -> None:
    overall, reason = overall_response(target, non_target, new)
    assert overall is expected
    assert reason.startswith(f"overall {expected.value}")


@pytest.mark.parametrize(("non_target", "new", "expected"), TABLE_2)
def test_table_2(non_target: Response, new: NewLesions, expected: Response) -> None:
    assert overall_response(None, non_target, new)[0] is expected


def test_choi_nodules_are_progression_whatever_the_rest() -> None:
    overall, reason = overall_response(PR, CR, NO, "new or growing intratumoural nodules")
    assert overall is PD
    assert "intratumoural nodules" in reason


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({"NT1": "absent", "NT2": "absent"}, "CR"),
        ({"NT1": "absent", "NT2": "present"}, "NON_CR_NON_PD"),
        ({"NT1": "present", "NT2": "not_evaluated"}, "NE"),
        ({"NT1": "absent"}, "NE"),  # NT2 missing = not evaluated
        ({"NT1": "progression", "NT2": "not_evaluated"}, "PD"),
    ],
)
def test_non_target_response(statuses: dict[str, str], expected: str) -> None:
    document = case({"T1": 50.0}, {"targets": {"T1": 50.0}, "non_targets": statuses}, non_targets=("NT1", "NT2"))
    assert last(recist(document))["non_target"] == expected


def test_target_cr_with_persisting_non_target_is_pr_end_to_end() -> None:
    document = case({"T1": 50.0}, {"targets": {"T1": 0}, "non_targets": {"NT1": "present"}}, non_targets=("NT1",))
    tp = last(recist(document))
    assert (tp["target"], tp["non_target"], tp["overall"]) == ("CR", "NON_CR_NON_PD", "PR")


def test_no_target_case_uses_table_2_end_to_end() -> None:
    document = {
        "lesions": [{"id": "NT1", "role": "non-target", "organ": "lung"}],
        "timepoints": [
            {"label": "baseline", "day": 0, "non_targets": {"NT1": "present"}},
            {"label": "3m", "day": 91, "non_targets": {"NT1": "present"}},
            {"label": "6m", "day": 182, "non_targets": {"NT1": "absent"}},
        ],
    }
    result = recist(document)
    assert [tp["overall"] for tp in result["timepoints"]] == [None, "NON_CR_NON_PD", "CR"]
    assert [tp["target"] for tp in result["timepoints"]] == [None, None, None]
    assert result["timepoints"][1]["sum_mm"] is None
    assert result["best_overall_response"] == "CR"
