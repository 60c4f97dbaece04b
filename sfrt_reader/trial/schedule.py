"""Automatic timepoint assignment: which protocol timepoint a study belongs to, from its date.

A pure function of the study date, the subject's RT dates and the protocol, so that the rule a reader sees in the
worklist is exactly the rule that was tested at every window edge.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sfrt_reader.trial.errors import TimepointWindowError
from sfrt_reader.trial.protocol import Protocol


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later; the 31st becomes the month's last day when it has fewer."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Window:
    """The inclusive date range of one timepoint for one subject."""

    label: str
    first: date
    last: date
    nominal: date | None

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def windows_for(protocol: Protocol, rt_end: date, rt_start: date | None = None) -> list[Window]:
    """Every window of the protocol for a subject, baseline first, in date order."""
    start = rt_start if rt_start is not None else rt_end - timedelta(days=protocol.baseline.max_course_days)
    baseline = Window(
        protocol.baseline.label,
        start - timedelta(days=protocol.baseline.max_days_before_rt_start),
        start - timedelta(days=1),
        None,
    )
    out = [baseline]
    for t in protocol.timepoints:
        nominal = add_months(rt_end, t.months_after_rt_end)
        half = timedelta(days=t.window_days)
        out.append(Window(t.label, nominal - half, nominal + half, nominal))
    return out


def assign_timepoint(protocol: Protocol, study_date: date, rt_end: date, rt_start: date | None = None) -> str:
    """The label of the window holding `study_date`; TimepointWindowError naming the nearest windows otherwise.

    The message gives days relative to RT end, never the calendar dates, so it is safe in a blinded session's log.
    """
    if rt_start is not None and rt_start > rt_end:
        raise TimepointWindowError("the RT start date is after the RT end date; correct the subject's RT dates")
    windows = windows_for(protocol, rt_end, rt_start)
    for window in windows:
        if window.contains(study_date):
            return window.label
    offset = (study_date - rt_end).days

    def describe(w: Window) -> str:
        return f"{w.label} (days {(w.first - rt_end).days:+d} to {(w.last - rt_end).days:+d})"

    before = [w for w in windows if w.last < study_date]
    after = [w for w in windows if w.first > study_date]
    near = ", ".join(describe(w) for w in (before[-1:] + after[:1]))
    raise TimepointWindowError(
        f"a study on day {offset:+d} from RT end falls in no protocol window (nearest: {near}); "
        "assign its timepoint by hand with `sfrt-reader assign`"
    )
