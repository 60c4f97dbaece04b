"""What the engine returns: per-timepoint responses with their reasons, and the best overall response.

Numbers stay exact (fractions) here; `document.py` turns them into the output document's rounded floats, so a
caller doing statistics can still compare exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from sfrt_reader.criteria.model import NewLesions


class Response(Enum):
    """Response codes of RECIST 1.1 and Choi; NON_CR_NON_PD is the non-target (and no-target overall) code."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"
    NE = "NE"
    NON_CR_NON_PD = "NON_CR_NON_PD"


@dataclass(frozen=True)
class TimepointResult:
    """The assessment of one timepoint. At baseline the responses are None (nothing to compare with yet)."""

    label: str
    day: int
    sum_mm: Fraction | None
    nadir_mm: Fraction | None
    change_from_baseline_pct: Fraction | None
    change_from_nadir_pct: Fraction | None
    density_hu: Fraction | None
    density_change_pct: Fraction | None
    density_evaluable: bool | None
    target: Response | None
    non_target: Response | None
    new_lesions: NewLesions
    overall: Response | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's assessment of a case: every timepoint, the best overall response and its reasons."""

    criterion: str
    timepoints: tuple[TimepointResult, ...]
    best_overall_response: Response
    progression_day: int | None
    reasons: tuple[str, ...]
