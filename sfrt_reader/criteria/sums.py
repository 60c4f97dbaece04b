"""The sum of target diameters at a timepoint, and the nadir it is compared with.

Shared by RECIST 1.1 and Choi (Choi's size is the RECIST sum). The nadir is the smallest complete sum on study
before the timepoint, baseline included; a timepoint with a target not evaluated has no complete sum and never
becomes the nadir.

Exactness and speed: every diameter of a case is an exact decimal, so the case has one common unit (the
smallest power of ten, 1/10 or 1/100 mm, that makes every diameter a whole number; the least common
denominator for non-decimal input). Sums and every threshold test are then integer arithmetic, which is exact
and many times faster than fraction objects; `units(...)` and `mm(...)` convert at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from math import lcm

from sfrt_reader.criteria.exact import show
from sfrt_reader.criteria.model import Case, Fragments, Measured, NotEvaluated, TooSmall

NODE_NORMAL_BELOW_MM = 10


def common_scale(denominators: set[int]) -> int:
    """The smallest power of ten that all the denominators divide, else their least common multiple."""
    common = lcm(*denominators) if denominators else 1
    power = 1
    for _ in range(13):
        if power % common == 0:
            return power
        power *= 10
    return common


def case_scale(case: Case) -> int:
    """Units per mm making every diameter of the case (and too_small_mm) a whole number."""
    denominators = {case.options.too_small_mm.denominator}
    for timepoint in case.timepoints:
        for record in timepoint.targets.values():
            diameter = record.diameter
            if isinstance(diameter, Measured):
                denominators.add(diameter.mm.denominator)
            elif isinstance(diameter, Fragments):
                denominators.update(part.mm.denominator for part in diameter.parts if isinstance(part, Measured))
    return common_scale(denominators)


@lru_cache(maxsize=8192)
def fmt(units: int, scale: int) -> str:
    """Millimetres for reasons, exactly as typed (at least one decimal)."""
    if scale == 1:
        return f"{units}.0"
    if scale in (10, 100, 1000, 10000):
        places = len(str(scale)) - 1
        sign = "-" if units < 0 else ""
        whole, frac = divmod(abs(units), scale)
        digits = str(frac).rjust(places, "0").rstrip("0") or "0"
        return f"{sign}{whole}.{digits}"
    return show(Fraction(units, scale))


def pct_text(value: int, reference: int) -> str:
    """|value - reference| as a percentage of reference, one decimal, toward zero ('20.0%')."""
    tenths = abs(value - reference) * 1000 // reference
    return f"{tenths // 10}.{tenths % 10}%"


@dataclass(frozen=True)
class TargetSum:
    """The targets at one timepoint, in case units: the complete sum (None if any is missing), the measured part."""

    total: int | None
    measured: int
    scale: int
    missing: tuple[str, ...]
    description: str
    complete_response: bool

    @cached_property
    def total_mm(self) -> Fraction | None:
        return None if self.total is None else Fraction(self.total, self.scale)


@dataclass(frozen=True)
class Nadir:
    """The smallest complete sum before a timepoint (case units), and where it was seen."""

    units: int
    scale: int
    label: str
    day: int

    @cached_property
    def mm(self) -> Fraction:
        return Fraction(self.units, self.scale)

    def where(self) -> str:
        return "baseline" if self.day == 0 else f"{self.label}, day {self.day}"

    def text(self) -> str:
        return f"the nadir {fmt(self.units, self.scale)} mm ({self.where()})"


def target_sum(case: Case, timepoint_index: int, scale: int) -> TargetSum:
    """Sum of longest diameters of non-nodal targets and short axes of nodal targets, as recorded."""
    timepoint = case.timepoints[timepoint_index]
    too_small = case.options.too_small_mm
    too_small_units = too_small.numerator * (scale // too_small.denominator)
    too_small_text = f"too small to measure ({fmt(too_small_units, scale)} mm recorded)"
    measured = 0
    missing: list[str] = []
    parts: list[str] = []
    complete_response = True
    for lesion in case.targets:
        diameter = timepoint.target(lesion.id).diameter
        if isinstance(diameter, Measured):
            value = diameter.mm.numerator * (scale // diameter.mm.denominator)
            text = "disappeared (0 mm)" if value == 0 else f"{fmt(value, scale)} mm"
        elif isinstance(diameter, TooSmall):
            value, text = too_small_units, too_small_text
        elif isinstance(diameter, Fragments):
            pieces = [
                part.mm.numerator * (scale // part.mm.denominator) if isinstance(part, Measured) else too_small_units
                for part in diameter.parts
            ]
            value = sum(pieces)
            shown = " + ".join(
                fmt(piece, scale) + ("" if isinstance(part, Measured) else " (too small)")
                for piece, part in zip(pieces, diameter.parts, strict=True)
            )
            text = f"{fmt(value, scale)} mm (split: {shown})"
        else:
            assert isinstance(diameter, NotEvaluated)
            missing.append(lesion.id)
            complete_response = False
            parts.append(f"{lesion.id} not evaluated")
            continue
        parts.append(f"{lesion.id} {text}")
        measured += value
        if complete_response:
            if lesion.nodal:
                complete_response = value < NODE_NORMAL_BELOW_MM * scale
            else:
                complete_response = value == 0 and isinstance(diameter, Measured)
    total = None if missing else measured
    head = f"sum of diameters {fmt(measured, scale)} mm" if total is not None else "targets"
    return TargetSum(total, measured, scale, tuple(missing), f"{head}: {', '.join(parts)}", complete_response)


@dataclass(frozen=True)
class Timeline:
    """The target sum of every timepoint and the nadir before each: computed once, shared by both criteria."""

    scale: int
    sums: tuple[TargetSum, ...]
    nadirs: tuple[Nadir | None, ...]


def timeline(case: Case) -> Timeline:
    """Sums and nadirs of every timepoint (the nadir of the baseline is None: nothing comes before it)."""
    scale = case_scale(case)
    sums = tuple(target_sum(case, index, scale) for index in range(len(case.timepoints)))
    out: list[Nadir | None] = []
    best: Nadir | None = None
    for timepoint, current in zip(case.timepoints, sums, strict=True):
        out.append(best)
        total = current.total
        if total is not None and (best is None or total < best.units):
            best = Nadir(total, scale, timepoint.label, timepoint.day)
    return Timeline(scale, sums, tuple(out))


def meets_recist_growth(value: int, nadir: int, scale: int) -> bool:
    """RECIST PD by size: at least 20% AND at least 5 mm above the nadir (100 (v - n) >= 20 n; v - n >= 5 mm)."""
    return 100 * (value - nadir) >= 20 * nadir and value - nadir >= 5 * scale


def growth_phrase(value: int, nadir: Nadir) -> str:
    """'20.0% and 12.0 mm above the nadir 60.0 mm (3m, day 60)' and its variants, for reasons."""
    difference = value - nadir.units
    if difference <= 0:
        return f"not above {nadir.text()}"
    if nadir.units == 0:
        return f"{fmt(difference, nadir.scale)} mm above {nadir.text()}"
    return f"{pct_text(value, nadir.units)} and {fmt(difference, nadir.scale)} mm above {nadir.text()}"


@lru_cache(maxsize=4096)
def change_pct(value: int | None, reference: int | None) -> Fraction | None:
    """Exact percentage change, for the result; None when either is missing or the reference is 0.

    Cached: both criteria report the same changes for the same timepoint."""
    if value is None or reference is None or reference == 0:
        return None
    return Fraction(100 * (value - reference), reference)
