"""Timepoint assignment at every window edge, computed by hand from the protocol's rules."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfrt_reader.trial import TimepointWindowError, add_months, assign_timepoint, load_protocol, windows_for

P = load_protocol("NCT06980259")
RT_START = date(2026, 1, 5)
RT_END = date(2026, 1, 31)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 1, 31), 12) == date(2027, 1, 31)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 1, 4), "baseline"),  # the day before RT start
        (date(2025, 11, 24), "baseline"),  # 42 days before RT start: first day of the window
        (date(2026, 4, 9), "3m"),  # nominal 30 April minus 21 days
        (date(2026, 4, 30), "3m"),
        (date(2026, 5, 21), "3m"),  # nominal plus 21 days
        (date(2026, 7, 10), "6m"),  # nominal 31 July minus 21
        (date(2027, 1, 31), "12m"),
        (date(2027, 7, 31) - timedelta(days=42), "18m"),
        (date(2027, 7, 31) + timedelta(days=42), "18m"),
        (date(2029, 1, 31) + timedelta(days=60), "36m"),
    ],
)
def test_dates_on_window_edges_are_inside(day: date, label: str) -> None:
    assert assign_timepoint(P, day, RT_END, RT_START) == label


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 5),  # the first RT day is not baseline
        date(2025, 11, 23),  # 43 days before RT start
        date(2026, 4, 8),  # one day before the 3-month window
        date(2026, 5, 22),  # one day after it
        date(2027, 7, 31) - timedelta(days=43),
    ],
)
def test_dates_just_outside_windows_are_refused_with_a_clear_message(day: date) -> None:
    with pytest.raises(TimepointWindowError) as info:
        assign_timepoint(P, day, RT_END, RT_START)
    message = str(info.value)
    assert "falls in no protocol window" in message
    assert "sfrt-reader assign" in message
    assert str(day.year) not in message  # relative days only: safe for a blinded log


def test_message_names_the_neighbouring_windows_in_days_from_rt_end() -> None:
    with pytest.raises(TimepointWindowError, match=r"day \+67 .*3m \(days \+68 to \+110\)"):
        assign_timepoint(P, date(2026, 4, 9) - timedelta(days=1), RT_END, RT_START)


def test_without_rt_start_baseline_ends_the_course_length_before_rt_end() -> None:
    estimated_start = RT_END - timedelta(days=35)
    assert assign_timepoint(P, estimated_start - timedelta(days=1), RT_END) == "baseline"
    with pytest.raises(TimepointWindowError):
        assign_timepoint(P, estimated_start, RT_END)


def test_rt_start_after_end_is_refused() -> None:
    with pytest.raises(TimepointWindowError, match="RT start date is after"):
        assign_timepoint(P, RT_END, RT_START, RT_END)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(-200, 4000))
def test_windows_never_overlap_and_assignment_is_the_containing_window(rt_end: date, offset: int) -> None:
    windows = windows_for(P, rt_end)
    for a, b in itertools.pairwise(windows):
        assert a.last < b.first
    day = rt_end + timedelta(days=offset)
    holders = [w.label for w in windows if w.first <= day <= w.last]
    if holders:
        assert assign_timepoint(P, day, rt_end) == holders[0]
    else:
        with pytest.raises(TimepointWindowError):
            assign_timepoint(P, day, rt_end)
