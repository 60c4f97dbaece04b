"""The bundled protocol reads as the trial describes it; malformed protocols are refused with the key named."""

from __future__ import annotations

import itertools

import pytest

from sfrt_reader.criteria.options import OPTION_NAMES
from sfrt_reader.trial import CriteriaOptions, ProtocolError, bundled_protocols, load_protocol, parse_protocol

MINIMAL = """
[trial]
id = "X"
[[timepoints]]
label = "3m"
months_after_rt_end = 3
window_days = 14
"""


def test_bundled_protocol_schedule_matches_the_trial() -> None:
    p = load_protocol("NCT06980259")
    assert "NCT06980259" in bundled_protocols()
    # Baseline, 3/6/9/12 months (the primary endpoint), every 6 months in year 2, yearly after.
    assert p.labels()[:7] == ["baseline", "3m", "6m", "9m", "12m", "18m", "24m"]
    assert [t.months_after_rt_end for t in p.timepoints if t.primary] == [3, 6, 9, 12]
    yearly = [t.months_after_rt_end for t in p.timepoints if t.months_after_rt_end > 24]
    assert yearly[:3] == [36, 48, 60]
    assert all(b - a == 12 for a, b in itertools.pairwise(yearly))
    assert p.criteria == ("recist1.1", "choi")
    assert p.central.readers_per_subject == 2
    assert p.central.adjudicate_on == ("best_overall_response", "progression_day")


def test_bundled_options_are_exactly_the_criteria_options_with_trial_defaults() -> None:
    options = load_protocol("NCT06980259").options.to_dict()
    assert options == {
        "randomized": True,
        "min_sd_days": 42,
        "confirmation_min_days": 28,
        "too_small_mm": 5,
        "irradiated_target_measurable": True,
        "choi_size_reference": "baseline",
        "choi_density_pooling": "mean_of_lesions",
    }
    assert options == CriteriaOptions().to_dict()
    assert tuple(options) == OPTION_NAMES  # exactly the engine's options, no more, no fewer


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[criteria.options]\nrandomised = true\n", "criteria.options.randomised: unknown option"),
        ("[criteria.options]\nmin_sd_days = 'six weeks'\n", "criteria.options.min_sd_days"),
        ("[criteria.options]\nchoi_size_reference = 'peak'\n", "is not one of baseline, nadir"),
        ("[criteria.options]\ntoo_small_mm = 0\n", "too_small_mm: 0 must be more than 0 mm"),
        ("[reading]\ndefault_paradigm = 'mixed'\n", "reading.default_paradigm"),
        ("[[timepoints]]\nlabel = '3m'\nmonths_after_rt_end = 4\nwindow_days = 1\n", "used twice: 3m"),
        ("[[timepoints]]\nlabel = '4m'\nmonths_after_rt_end = 4\nwindow_days = 14\n", "windows of 3m and 4m overlap"),
    ],
)
def test_bad_protocols_are_refused_naming_the_key(extra: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_protocol(MINIMAL + extra)


def test_unknown_protocol_name_and_bad_toml() -> None:
    with pytest.raises(ProtocolError, match="no bundled protocol named 'NCT0'"):
        load_protocol("NCT0")
    with pytest.raises(ProtocolError, match="not valid TOML"):
        parse_protocol("[trial\n")
