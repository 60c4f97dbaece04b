"""The sum of target diameters at a timepoint, and the nadir it is compared with.

Shared by RECIST 1.1 and Choi (Choi's size is the RECIST sum). The nadir is the smallest complete sum on study
before the timepoint, baseline included; a timepoint with a target not evaluated has no complete sum and never
becomes the nadir.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sfrt_reader.criteria.exact import show, show_pct
from sfrt_reader.criteria.model import Case, Measured, Timepoint, describe_diameter, recorded_mm

NODE_NORMAL_BELOW_MM = Fraction(10)


@dataclass(frozen=True)
class TargetSum:
    """The targets at one timepoint: the complete sum (None if any is missing) and the measured part."""

    total: Fraction | None
    measured: Fraction
    missing: tuple[str, ...]
    description: str
    complete_response: bool


@dataclass(frozen=True)
class Nadir:
    """The smallest complete sum before a timepoint, and where it was seen."""

    mm: Fraction
    label: str
    day: int

    def where(self) -> str:
        return "baseline" if self.day == 0 else f"{self.label}, day {self.day}"


def target_sum(case: Case, timepoint: Timepoint) -> TargetSum:
    """Sum of longest diameters of non-nodal targets and short axes of nodal targets, as recorded."""
    measured = Fraction(0)
    missing: list[str] = []
    parts: list[str] = []
    complete_response = True
    for lesion in case.targets:
        diameter = timepoint.target(lesion.id).diameter
        value = recorded_mm(diameter, case.options)
        parts.append(f"{lesion.id} {describe_diameter(diameter, case.options)}")
        if value is None:
            missing.append(lesion.id)
            complete_response = False
            continue
        measured += value
        if lesion.nodal:
            complete_response = complete_response and value < NODE_NORMAL_BELOW_MM
        else:
            complete_response = complete_response and isinstance(diameter, Measured) and diameter.mm == 0
    total = None if missing else measured
    head = f"sum of diameters {show(measured)} mm" if total is not None else "targets"
    return TargetSum(total, measured, tuple(missing), f"{head}: {', '.join(parts)}", complete_response)


def nadirs(case: Case) -> list[Nadir | None]:
    """For each timepoint, the nadir before it (None for the baseline, which has nothing before it)."""
    out: list[Nadir | None] = []
    best: Nadir | None = None
    for timepoint in case.timepoints:
        out.append(best)
        total = target_sum(case, timepoint).total
        if total is not None and (best is None or total < best.mm):
            best = Nadir(total, timepoint.label, timepoint.day)
    return out


def meets_recist_growth(value: Fraction, nadir: Fraction) -> bool:
    """RECIST PD by size: at least 20% AND at least 5 mm above the nadir, in exact arithmetic."""
    return 100 * (value - nadir) >= 20 * nadir and value - nadir >= 5


def growth_phrase(value: Fraction, nadir: Nadir) -> str:
    """'12.0 mm (20.0%) above the nadir 60.0 mm (3m, day 60)' and its variants, for reasons."""
    difference = value - nadir.mm
    where = f"the nadir {show(nadir.mm)} mm ({nadir.where()})"
    if difference <= 0:
        return f"not above {where}"
    if nadir.mm == 0:
        return f"{show(difference)} mm above {where}"
    pct = difference * 100 / nadir.mm
    return f"{show_pct(pct)} and {show(difference)} mm above {where}"
