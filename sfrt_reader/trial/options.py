"""The response-criteria options a protocol may set, exactly those of the criteria rules, with their defaults.

The defaults are this trial's; a protocol file may override any of them, and nothing else: an unknown name or a
value of the wrong type is refused when the protocol is read, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sfrt_reader.trial.errors import ProtocolError

_CHOICES: dict[str, tuple[str, ...]] = {
    "choi_size_reference": ("baseline", "nadir"),
    "choi_density_pooling": ("mean_of_lesions", "voxel_weighted"),
}


@dataclass(frozen=True)
class CriteriaOptions:
    """Protocol options of RECIST 1.1 and Choi (see the criteria rules for their meaning)."""

    randomized: bool = True
    min_sd_days: int = 42
    confirmation_min_days: int = 28
    too_small_mm: float = 5
    irradiated_target_measurable: bool = True
    choi_size_reference: str = "baseline"
    choi_density_pooling: str = "mean_of_lesions"

    @classmethod
    def from_mapping(cls, values: dict[str, Any], where: str = "criteria.options") -> CriteriaOptions:
        """Validate names, types and choices; every problem is reported with its key."""
        known = {f.name: f for f in fields(cls)}
        problems: list[str] = []
        clean: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                problems.append(f"{where}.{name}: unknown option (known: {', '.join(sorted(known))})")
                continue
            default = getattr(cls, name)
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int | float):
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            else:
                ok = isinstance(value, str) and value in _CHOICES.get(name, (value,))
            if not ok:
                expected = " or ".join(_CHOICES[name]) if name in _CHOICES else type(default).__name__
                problems.append(f"{where}.{name}: {value!r} is not a valid value (expected {expected})")
                continue
            clean[name] = value
        if problems:
            raise ProtocolError("; ".join(problems))
        return cls(**clean)

    def to_dict(self) -> dict[str, Any]:
        """The `options` object of the criteria engine's input document."""
        return asdict(self)
