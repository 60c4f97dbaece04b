"""Best overall response (RECIST 1.1 table 3), minimum SD duration, confirmation, equivocal new lesions."""

from __future__ import annotations

import pytest

from sfrt_reader.criteria.best import Step, backdate_equivocal, best_overall_response
from sfrt_reader.criteria.model import NewLesions
from sfrt_reader.criteria.options import ProtocolOptions
from sfrt_reader.criteria.results import Response
from tests.criteria.builders import case, recist

CR, PR, SD, PD, NE, NN = Response.CR, Response.PR, Response.SD, Response.PD, Response.NE, Response.NON_CR_NON_PD


def steps(*items: tuple[int, Response]) -> list[Step]:
    return [Step(f"d{day}", day, response, NewLesions.NO) for day, response in items]


NOT_RANDOMISED = ProtocolOptions(randomized=False)
# With min_sd_days 100, days 56 and 90 (34 days apart, enough to confirm) never meet the SD minimum.
SD_NOT_MET = ProtocolOptions(randomized=False, min_sd_days=100)

# Table 3: first response (day 56), subsequent (day 112), BOR when the SD minimum (42 days) is met ...
TABLE_3_MET = [
    (CR, CR, CR),
    (CR, PR, SD),
    (CR, SD, SD),
    (CR, PD, SD),
    (CR, NE, SD),
    (PR, CR, PR),
    (PR, PR, PR),
    (PR, SD, SD),
    (PR, PD, SD),
    (PR, NE, SD),
    (NE, NE, NE),
]
# ... and when it is not met (first at day 56, subsequent at day 90, minimum 100 days).
TABLE_3_NOT_MET = [
    (CR, CR, CR),
    (CR, PR, PD),  # a CR truly met, then disease again: progression
    (CR, SD, PD),
    (CR, PD, PD),
    (CR, NE, NE),
    (PR, CR, PR),
    (PR, PR, PR),
    # Table 3 prints "PR, SD -> SD" without a condition; the general rule of CRITERIA.md (SD counts only once
    # the minimum interval has passed) is applied here too: nothing counts and nothing followed, so NE.
    (PR, SD, NE),
    (PR, PD, PD),
    (PR, NE, NE),
    (NE, NE, NE),
]


@pytest.mark.parametrize(("first", "second", "expected"), TABLE_3_MET)
def test_table_3_with_sd_minimum_met(first: Response, second: Response, expected: Response) -> None:
    assert best_overall_response(steps((56, first), (112, second)), NOT_RANDOMISED, True)[0] is expected


@pytest.mark.parametrize(("first", "second", "expected"), TABLE_3_NOT_MET)
def test_table_3_with_sd_minimum_not_met(first: Response, second: Response, expected: Response) -> None:
    assert best_overall_response(steps((56, first), (90, second)), SD_NOT_MET, True)[0] is expected


@pytest.mark.parametrize(("gap", "expected"), [(27, SD), (28, CR), (29, CR)])
def test_confirmation_needs_the_minimum_interval(gap: int, expected: Response) -> None:
    # CR at day 56 and CR `gap` days later: 27 days does not confirm (BOR SD: day 56 >= 42), 28 does.
    best, reasons = best_overall_response(steps((56, CR), (56 + gap, CR)), NOT_RANDOMISED, True)
    assert best is expected
    if gap < 28:
        assert any("does not confirm" in reason for reason in reasons)


def test_an_early_assessment_does_not_block_a_later_confirmation() -> None:
    # PR day 56, PR day 70 (14 days: too early), PR day 84 (28 days): confirmed PR.
    assert best_overall_response(steps((56, PR), (70, PR), (84, PR)), NOT_RANDOMISED, True)[0] is PR


def test_confirmation_option_changes_the_interval() -> None:
    options = ProtocolOptions(randomized=False, confirmation_min_days=56)
    assert best_overall_response(steps((56, PR), (100, PR)), options, True)[0] is SD  # 44 < 56 days
    assert best_overall_response(steps((56, PR), (112, PR)), options, True)[0] is PR


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        (((41, SD),), NE),  # SD too early, nothing followed
        (((41, SD), (80, PD)), PD),  # SD too early, PD followed
        (((42, SD),), SD),  # exactly the 42-day minimum
        (((20, PR),), PR),  # randomised: no confirmation and no minimum for PR
        (((20, CR), (40, PR)), CR),
        (((91, PD), (182, PR)), PD),  # responses after the first PD do not count
        (((91, NE), (182, SD)), SD),
        (((91, NE),), NE),
        ((), NE),
    ],
)
def test_randomised_best_response_and_minimum_sd_duration(
    sequence: tuple[tuple[int, Response], ...], expected: Response
) -> None:
    assert best_overall_response(steps(*sequence), ProtocolOptions(), True)[0] is expected


def test_min_sd_days_option_is_used() -> None:
    assert best_overall_response(steps((60, SD)), ProtocolOptions(min_sd_days=56), True)[0] is SD
    assert best_overall_response(steps((50, SD)), ProtocolOptions(min_sd_days=56), True)[0] is NE


def test_no_target_case_best_response_is_non_cr_non_pd() -> None:
    assert best_overall_response(steps((91, NN)), ProtocolOptions(), False)[0] is NN


def _equivocal_steps(*items: tuple[Response, NewLesions]) -> list[Step]:
    return [Step(f"f{i}", 91 * i, response, new) for i, (response, new) in enumerate(items, start=1)]


def test_confirmed_equivocal_lesion_backdates_progression() -> None:
    revised, notes = backdate_equivocal(
        _equivocal_steps((SD, NewLesions.EQUIVOCAL), (SD, NewLesions.EQUIVOCAL), (PD, NewLesions.YES))
    )
    assert [s.overall for s in revised] == [PD, PD, PD]
    assert "progression dated to f1 (day 91)" in notes[0][0]
    assert "first seen at f1 (day 91)" in notes[2][0]


def test_resolved_equivocal_lesion_is_not_backdated() -> None:
    revised, _ = backdate_equivocal(
        _equivocal_steps((SD, NewLesions.EQUIVOCAL), (SD, NewLesions.NO), (PD, NewLesions.YES))
    )
    assert [s.overall for s in revised] == [SD, SD, PD]


def test_equivocal_new_lesion_end_to_end() -> None:
    # f1 (day 91): target SD, equivocal new lesion: SD at the time; f2 (day 182) confirms it: PD dated day 91.
    document = case(
        {"T1": 100.0},
        {"targets": {"T1": 95.0}, "new_lesions": "equivocal"},
        {"targets": {"T1": 95.0}, "new_lesions": "yes"},
    )
    result = recist(document)
    assert [tp["overall"] for tp in result["timepoints"][1:]] == ["PD", "PD"]
    assert result["timepoints"][1]["target"] == "SD"
    assert result["progression_day"] == 91
    assert result["best_overall_response"] == "PD"


def test_unconfirmed_equivocal_new_lesion_is_not_progression() -> None:
    result = recist(case({"T1": 100.0}, {"targets": {"T1": 95.0}, "new_lesions": "equivocal"}))
    assert result["timepoints"][1]["overall"] == "SD"
    assert result["progression_day"] is None
    assert result["best_overall_response"] == "SD"


def test_non_randomised_confirmation_end_to_end() -> None:
    # PR at day 56 (sum 60 from 100), PR again at day 84 (28 days later): confirmed PR.
    document = case(
        {"T1": 100.0},
        {"day": 56, "targets": {"T1": 60.0}},
        {"day": 84, "targets": {"T1": 55.0}},
        options={"randomized": False},
    )
    assert recist(document)["best_overall_response"] == "PR"
    document["timepoints"][2]["day"] = 83  # 27 days: not confirmed; day 56 >= 42: SD
    assert recist(document)["best_overall_response"] == "SD"
