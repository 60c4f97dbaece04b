"""RECIST 1.1 and Choi: pure functions from measurements to responses, each with its reasons.

Public API (other packages code against these names):
- `assess_document(document, criteria="both")`: the JSON case document in, the JSON result document out.
- `CriteriaInputError`: every problem of an unassessable case, one line each, JSON path first.
- `ENGINE_VERSION`: stored with every result, so a result can be traced to the rules that produced it.
- `parse_case`, `assess_recist`, `assess_choi`: the typed layer underneath (dataclasses in and out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfrt_reader.criteria.baseline import check_case, require_valid
from sfrt_reader.criteria.choi import assess_choi, choi_of_valid_case
from sfrt_reader.criteria.document import parse_case, result_document
from sfrt_reader.criteria.errors import CriteriaInputError
from sfrt_reader.criteria.model import (
    Case,
    Fragments,
    Lesion,
    Measured,
    Modality,
    NewLesions,
    NonTargetStatus,
    NotEvaluated,
    Role,
    TargetMeasurement,
    Timepoint,
    TooSmall,
)
from sfrt_reader.criteria.options import DensityPooling, ProtocolOptions, SizeReference
from sfrt_reader.criteria.recist import assess_recist, recist_of_valid_case
from sfrt_reader.criteria.results import CriterionResult, Response, TimepointResult
from sfrt_reader.criteria.sums import timeline

ENGINE_VERSION = "sfrt-criteria 1.0"
CRITERIA = ("recist1.1", "choi", "both")

__all__ = [
    "CRITERIA",
    "ENGINE_VERSION",
    "Case",
    "CriteriaInputError",
    "CriterionResult",
    "DensityPooling",
    "Fragments",
    "Lesion",
    "Measured",
    "Modality",
    "NewLesions",
    "NonTargetStatus",
    "NotEvaluated",
    "ProtocolOptions",
    "Response",
    "Role",
    "SizeReference",
    "TargetMeasurement",
    "Timepoint",
    "TimepointResult",
    "TooSmall",
    "assess_case",
    "assess_choi",
    "assess_document",
    "assess_recist",
    "check_case",
    "parse_case",
    "require_valid",
]


def assess_case(case: Case, criteria: str = "both") -> dict[str, CriterionResult]:
    """The typed results of the chosen criteria, keyed "recist1.1" and/or "choi"."""
    if criteria not in CRITERIA:
        raise CriteriaInputError([f"criteria: {criteria!r} is not one of {', '.join(CRITERIA)}"])
    require_valid(case)
    return _assess_valid(case, criteria)


def _assess_valid(case: Case, criteria: str) -> dict[str, CriterionResult]:
    """Both criteria share one computation of sums and nadirs; the case was checked once, by the caller."""
    line = timeline(case)
    out: dict[str, CriterionResult] = {}
    if criteria in ("recist1.1", "both"):
        out["recist1.1"] = recist_of_valid_case(case, line)
    if criteria in ("choi", "both"):
        out["choi"] = choi_of_valid_case(case, line)
    return out


def assess_document(
    document: Mapping[str, Any], criteria: str = "both", option_overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The output document for a parsed JSON case document.

    With "both": {"recist1.1": {...}, "choi": {...}}; with one criterion, that criterion's document.
    Raises CriteriaInputError listing every problem of the input, each with its JSON path.
    """
    if criteria not in CRITERIA:
        raise CriteriaInputError([f"criteria: {criteria!r} is not one of {', '.join(CRITERIA)}"])
    results = _assess_valid(parse_case(document, option_overrides), criteria)  # parse_case checked the case
    if criteria == "both":
        return {name: result_document(result) for name, result in results.items()}
    return result_document(results[criteria])
