"""The JSON case document in, the JSON result document out.

Parsing collects EVERY problem with its JSON path (`timepoints[2].targets.T3.diameter_mm: -4 is negative`)
before giving up, so a reader fixes a case file in one pass; it then runs the whole-case checks of
`baseline.py` on what could be read. Rendering turns the exact results into the output document: exact decimal
sums as floats, percentages rounded toward zero to one decimal (display only: every decision was already taken
on exact fractions).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
from typing import Any

from sfrt_reader.criteria.baseline import check_case
from sfrt_reader.criteria.errors import CriteriaInputError
from sfrt_reader.criteria.exact import round_toward_zero, to_fraction
from sfrt_reader.criteria.model import (
    Case,
    Diameter,
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
from sfrt_reader.criteria.options import ProtocolOptions, convert_options
from sfrt_reader.criteria.results import CriterionResult, TimepointResult

HU_MIN = -1024
HU_MAX = 3071
TOO_SMALL = "too_small"
_TOP_KEYS = ("options", "lesions", "timepoints")
_LESION_KEYS = ("id", "role", "organ", "nodal", "irradiated")
_TIMEPOINT_KEYS = (
    "label",
    "day",
    "modality",
    "contrast",
    "slice_thickness_mm",
    "targets",
    "non_targets",
    "new_lesions",
    "new_intratumoral_nodules",
)
_TARGET_KEYS = ("diameter_mm", "mean_hu", "roi_volume_ml")
_ROLES = {role.value: role for role in Role}
_MODALITIES = {modality.value: modality for modality in Modality}
_NON_TARGET = {status.value: status for status in NonTargetStatus}
_NEW = {new.value: new for new in NewLesions}


def _text(value: Any) -> str:
    """A JSON value as the reader typed it (-4 stays -4, -4.0 stays -4.0)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


class _Parser:
    """Reads one document, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.unreadable_lesions: set[str] = set()
        self.lesion_count_known = True

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def unknown_keys(self, value: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in value:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problem(where, f"unknown key (expected one of: {', '.join(allowed)})")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.problem(path, f"{_text(value)} is not an object")
        return None

    def number(self, value: Any, path: str, *, minimum: int | None = 0, positive: bool = False) -> Fraction | None:
        lowest = minimum if minimum is not None else value
        if type(value) is float and math.isfinite(value) and value >= lowest and (not positive or value > 0):
            return to_fraction(value)  # the common case, checked in one step
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, f"{_text(value)} is not a number")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(path, f"{value} is not a finite number")
            return None
        if minimum is not None and value < minimum:
            self.problem(path, f"{_text(value)} is negative")
            return None
        if positive and value <= 0:
            self.problem(path, f"{_text(value)} must be more than 0")
            return None
        return to_fraction(value)

    def boolean(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.problem(path, f"{_text(value)} is not true or false")
        return default

    def choice(self, value: Any, path: str, allowed: Mapping[str, Any]) -> Any:
        """The enum member a JSON string names, or None with a problem listing the allowed words."""
        if isinstance(value, str) and value in allowed:
            return allowed[value]
        self.problem(path, f"{_text(value)} is not one of {', '.join(allowed)}")
        return None

    def lesions(self, value: Any) -> list[Lesion]:
        if not isinstance(value, list):
            self.problem("lesions", f"{_text(value)} is not a list of lesions" if value is not None else "missing")
            return []
        out: list[Lesion] = []
        for index, item in enumerate(value):
            path = f"lesions[{index}]"
            entry = self.mapping(item, path)
            if entry is None:
                self.lesion_count_known = False
                continue
            self.unknown_keys(entry, _LESION_KEYS, path)
            lesion_id = entry.get("id")
            ok = True
            if not isinstance(lesion_id, str) or not lesion_id.strip():
                self.problem(f"{path}.id", f"{_text(lesion_id)} is not a lesion name (a non-empty text)")
                ok = False
            role: Role | None = self.choice(entry.get("role"), f"{path}.role", _ROLES)
            organ = entry.get("organ")
            if not isinstance(organ, str) or not organ.strip():
                self.problem(f"{path}.organ", f"{_text(organ)} is not an organ name (a non-empty text)")
                ok = False
            nodal = self.boolean(entry.get("nodal"), f"{path}.nodal", False)
            irradiated = self.boolean(entry.get("irradiated"), f"{path}.irradiated", False)
            if ok and role is not None and isinstance(lesion_id, str) and isinstance(organ, str):
                out.append(Lesion(lesion_id, role, organ, nodal, irradiated))
            else:
                self.lesion_count_known = False
                if isinstance(lesion_id, str):
                    self.unreadable_lesions.add(lesion_id)
        return out

    def diameter(self, value: Any, path: str) -> Diameter | None:
        if value is None:
            return NotEvaluated()
        if value == TOO_SMALL:
            return TooSmall()
        if isinstance(value, list):
            if not value:
                self.problem(path, "an empty list: a split lesion needs the diameters of its fragments")
                return None
            parts: list[Measured | TooSmall] = []
            for index, item in enumerate(value):
                if item == TOO_SMALL:
                    parts.append(TooSmall())
                    continue
                number = self.number(item, f"{path}[{index}]")
                if number is not None and number == 0:
                    self.problem(f"{path}[{index}]", "a fragment of 0 mm: leave a fragment that disappeared out")
                elif number is not None:
                    parts.append(Measured(number))
            return Fragments(tuple(parts)) if len(parts) == len(value) else None
        if isinstance(value, str):
            self.problem(path, f'{_text(value)} is not a number, "too_small", a list of fragment diameters or null')
            return None
        number = self.number(value, path)
        return Measured(number) if number is not None else None

    def target(self, value: Any, path: str) -> TargetMeasurement | None:
        entry = self.mapping(value, path)
        if entry is None:
            return None
        self.unknown_keys(entry, _TARGET_KEYS, path)
        diameter = self.diameter(entry.get("diameter_mm"), f"{path}.diameter_mm")
        mean_hu: Fraction | None = None
        if entry.get("mean_hu") is not None:
            mean_hu = self.number(entry["mean_hu"], f"{path}.mean_hu", minimum=None)
            if mean_hu is not None and not HU_MIN <= mean_hu <= HU_MAX:
                self.problem(f"{path}.mean_hu", f"{_text(entry['mean_hu'])} is outside {HU_MIN} to {HU_MAX} HU")
                mean_hu = None
        volume: Fraction | None = None
        if entry.get("roi_volume_ml") is not None:
            volume = self.number(entry["roi_volume_ml"], f"{path}.roi_volume_ml", positive=True)
        if diameter is None:
            return None
        return TargetMeasurement(diameter, mean_hu, volume)

    def timepoint(self, value: Any, index: int) -> Timepoint:
        path = f"timepoints[{index}]"
        entry = self.mapping(value, path)
        if entry is None:
            return Timepoint(label=f"#{index}", day=-1)
        self.unknown_keys(entry, _TIMEPOINT_KEYS, path)
        label = entry.get("label")
        if not isinstance(label, str) or not label.strip():
            self.problem(f"{path}.label", f"{_text(label)} is not a timepoint label (a non-empty text)")
        day = entry.get("day")
        if isinstance(day, float) and day.is_integer():
            day = int(day)
        if isinstance(day, bool) or not isinstance(day, int):
            self.problem(f"{path}.day", f"{_text(day)} is not a whole number of days since baseline")
        elif day < 0:
            self.problem(f"{path}.day", f"{day} is negative")
        modality: Modality | None = self.choice(entry.get("modality", "CT"), f"{path}.modality", _MODALITIES)
        contrast = self.boolean(entry.get("contrast"), f"{path}.contrast", True)
        thickness: Fraction | None = None
        if entry.get("slice_thickness_mm") is not None:
            thickness = self.number(entry["slice_thickness_mm"], f"{path}.slice_thickness_mm", positive=True)
        targets: dict[str, TargetMeasurement] = {}
        raw_targets = entry.get("targets", {})
        targets_map = self.mapping(raw_targets if raw_targets is not None else {}, f"{path}.targets")
        for lesion_id, record in (targets_map or {}).items():
            parsed = self.target(record, f"{path}.targets.{lesion_id}")
            if parsed is not None:
                targets[lesion_id] = parsed
        non_targets: dict[str, NonTargetStatus] = {}
        raw_non = entry.get("non_targets", {})
        non_map = self.mapping(raw_non if raw_non is not None else {}, f"{path}.non_targets")
        for lesion_id, status in (non_map or {}).items():
            chosen: NonTargetStatus | None = self.choice(status, f"{path}.non_targets.{lesion_id}", _NON_TARGET)
            if chosen is not None:
                non_targets[lesion_id] = chosen
        new: NewLesions | None = self.choice(entry.get("new_lesions", "no"), f"{path}.new_lesions", _NEW)
        nodules = self.boolean(entry.get("new_intratumoral_nodules"), f"{path}.new_intratumoral_nodules", False)
        # With a problem, fields fall back to placeholders so the whole-case checks can still run on the rest;
        # problems about a path already reported are dropped there.
        return Timepoint(
            label=label if isinstance(label, str) and label.strip() else f"#{index}",
            day=day if isinstance(day, int) and not isinstance(day, bool) else -1,
            modality=modality if modality is not None else Modality.CT,
            contrast=contrast,
            slice_thickness_mm=thickness,
            targets=targets,
            non_targets=non_targets,
            new_lesions=new if new is not None else NewLesions.NO,
            new_intratumoral_nodules=nodules,
        )


def parse_case(document: Any, option_overrides: Mapping[str, Any] | None = None) -> Case:
    """The case a JSON document describes, or CriteriaInputError listing every problem with its JSON path.

    `option_overrides` (from `--option NAME=VALUE`) win over the document's `options`; their problems are
    reported as `--option NAME: ...`.
    """
    parser = _Parser()
    if not isinstance(document, Mapping):
        kind = {list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false"}.get(
            type(document), "not JSON"
        )
        # Only the kind is named: the content of an unexpected document is never echoed.
        raise CriteriaInputError([f"(document): {kind}, not a JSON object with lesions and timepoints"])
    parser.unknown_keys(document, _TOP_KEYS, "")
    options_map = parser.mapping(document.get("options") or {}, "options") or {}
    chosen, option_problems = convert_options(options_map, "options.")
    parser.problems += option_problems
    if option_overrides:
        overrides, override_problems = convert_options(option_overrides, "--option ")
        parser.problems += override_problems
        chosen.update(overrides)
    options = replace(ProtocolOptions(), **chosen)
    lesions = parser.lesions(document.get("lesions"))
    raw_timepoints = document.get("timepoints")
    timepoints: list[Timepoint] = []
    if not isinstance(raw_timepoints, list):
        parser.problem("timepoints", "missing" if raw_timepoints is None else f"{_text(raw_timepoints)} is not a list")
    else:
        timepoints = [parser.timepoint(item, index) for index, item in enumerate(raw_timepoints)]
    case = Case(tuple(lesions), tuple(timepoints), options)
    if not parser.problems:
        problems = check_case(case)
        if not problems:
            return case
        raise CriteriaInputError(problems)
    _add_case_problems(parser, case)
    raise CriteriaInputError(parser.problems)


def _add_case_problems(parser: _Parser, case: Case) -> None:
    """The whole-case problems of a document that already has some, minus those a reported one explains."""
    reported = {problem.split(": ", 1)[0] for problem in parser.problems}
    for problem in check_case(case):
        path = problem.split(": ", 1)[0]
        if any(path == seen or seen.startswith(path + ".") or path.startswith(seen + ".") for seen in reported):
            continue
        if any(seen.startswith(path + "[") or path.startswith(seen + "[") for seen in reported):
            continue
        if not parser.lesion_count_known and (path == "lesions" or path.startswith("lesions[")):
            continue
        if any(f".{lesion_id}" in path.split(".", 1)[-1] for lesion_id in parser.unreadable_lesions):
            continue
        if problem.split(": ", 1)[1].startswith("unknown") and not parser.lesion_count_known:
            continue
        parser.problems.append(problem)


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _pct(value: Fraction | None) -> float | None:
    return None if value is None else round_toward_zero(value)


def timepoint_document(result: TimepointResult) -> dict[str, Any]:
    """One timepoint of the output document."""
    return {
        "label": result.label,
        "day": result.day,
        "sum_mm": _float(result.sum_mm),
        "nadir_mm": _float(result.nadir_mm),
        "change_from_baseline_pct": _pct(result.change_from_baseline_pct),
        "change_from_nadir_pct": _pct(result.change_from_nadir_pct),
        "density_hu": _pct(result.density_hu),
        "density_change_pct": _pct(result.density_change_pct),
        "density_evaluable": result.density_evaluable,
        "target": result.target.value if result.target else None,
        "non_target": result.non_target.value if result.non_target else None,
        "new_lesions": result.new_lesions.value,
        "overall": result.overall.value if result.overall else None,
        "reasons": list(result.reasons),
    }


def result_document(result: CriterionResult) -> dict[str, Any]:
    """One criterion's output document."""
    return {
        "criteria": result.criterion,
        "timepoints": [timepoint_document(tp) for tp in result.timepoints],
        "best_overall_response": result.best_overall_response.value,
        "progression_day": result.progression_day,
        "reasons": list(result.reasons),
    }
