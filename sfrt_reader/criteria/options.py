"""Protocol options: the choices the literature leaves open, with this trial's defaults.

Every option is named in CRITERIA.md; none is a hidden constant in the rules. Values arrive from the case
document (`options`) or from the command line (`--option NAME=VALUE`) and are validated here, so a misspelt name
or an impossible value is refused with a message naming it instead of silently taking the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum
from fractions import Fraction
from typing import Any

from sfrt_reader.criteria.errors import CriteriaInputError
from sfrt_reader.criteria.exact import to_fraction


class SizeReference(Enum):
    """What Choi's +10% size growth is measured from."""

    BASELINE = "baseline"
    NADIR = "nadir"


class DensityPooling(Enum):
    """How the mean HU of several target lesions is pooled into one density."""

    MEAN_OF_LESIONS = "mean_of_lesions"
    VOXEL_WEIGHTED = "voxel_weighted"


@dataclass(frozen=True)
class ProtocolOptions:
    """The protocol's answers to the open choices of RECIST 1.1 and Choi (defaults: NCT06980259)."""

    randomized: bool = True
    min_sd_days: int = 42
    confirmation_min_days: int = 28
    too_small_mm: Fraction = Fraction(5)
    irradiated_target_measurable: bool = True
    choi_size_reference: SizeReference = SizeReference.BASELINE
    choi_density_pooling: DensityPooling = DensityPooling.MEAN_OF_LESIONS

    def __post_init__(self) -> None:
        problems = [f"{name}: {message}" for name, message in _check(self)]
        if problems:
            raise CriteriaInputError(problems)

    def as_dict(self) -> dict[str, Any]:
        """The options as JSON values, in the form the document accepts: stored next to a result, they say
        under which protocol choices it was produced."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, Fraction):
                value = float(value)
            out[item.name] = value
        return out


OPTION_NAMES: tuple[str, ...] = tuple(item.name for item in fields(ProtocolOptions))
_BOOL_OPTIONS = {"randomized", "irradiated_target_measurable"}
_INT_OPTIONS = {"min_sd_days", "confirmation_min_days"}
_ENUM_OPTIONS: dict[str, type[Enum]] = {
    "choi_size_reference": SizeReference,
    "choi_density_pooling": DensityPooling,
}


def _check(options: ProtocolOptions) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if options.min_sd_days < 0:
        problems.append(("min_sd_days", f"{options.min_sd_days} is negative"))
    if options.confirmation_min_days < 1:
        problems.append(("confirmation_min_days", f"{options.confirmation_min_days} must be at least 1 day"))
    if options.too_small_mm <= 0:
        problems.append(("too_small_mm", f"{float(options.too_small_mm)} must be more than 0 mm"))
    return problems


def _describe(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def convert_option(name: str, value: Any) -> tuple[Any, str | None]:
    """One JSON option value -> (typed value, None), or (None, problem) when it does not fit the option."""
    if name in _BOOL_OPTIONS:
        if isinstance(value, bool):
            return value, None
        return None, f"{_describe(value)} is not true or false"
    if name in _INT_OPTIONS:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                return None, f"{_describe(value)} is not a whole number of days"
        if value < 0:
            return None, f"{value} is negative"
        if name == "confirmation_min_days" and value < 1:
            return None, f"{value} must be at least 1 day"
        return value, None
    if name == "too_small_mm":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"{_describe(value)} is not a number of millimetres"
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"{_describe(value)} is not a finite number"
        exact = to_fraction(value)
        if exact <= 0:
            return None, f"{_describe(value)} must be more than 0 mm"
        return exact, None
    enum_type = _ENUM_OPTIONS[name]
    allowed = [member.value for member in enum_type]
    for member in enum_type:
        if value == member.value:
            return member, None
    return None, f"{_describe(value)} is not one of {', '.join(allowed)}"


def convert_options(values: Mapping[str, Any], path: str = "options") -> tuple[dict[str, Any], list[str]]:
    """Typed values for the known, valid options in `values`, and a problem for each unknown name or bad value."""
    problems: list[str] = []
    chosen: dict[str, Any] = {}
    for name, value in values.items():
        if name not in OPTION_NAMES:
            problems.append(f"{path}{name}: unknown option (known: {', '.join(OPTION_NAMES)})")
            continue
        converted, problem = convert_option(name, value)
        if problem is not None:
            problems.append(f"{path}{name}: {problem}")
        else:
            chosen[name] = converted
    return chosen, problems


def parse_option_text(name: str, text: str) -> Any:
    """A command-line `NAME=VALUE` value as the JSON value the option expects (true/false, numbers, words)."""
    if name in _BOOL_OPTIONS:
        lowered = text.strip().lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
        return text
    if name in _INT_OPTIONS:
        try:
            return int(text)
        except ValueError:
            return text
    if name == "too_small_mm":
        try:
            return float(text)
        except ValueError:
            return text
    return text.strip()
