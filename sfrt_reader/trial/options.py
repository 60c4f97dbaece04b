"""The response-criteria options a protocol may set, exactly those of the criteria rules, with their defaults.

The defaults are this trial's; a protocol file may override any of them, and nothing else: an unknown name or a
value of the wrong type is refused when the protocol is read (by the criteria engine's own option rules), so a
typo never silently falls back to a default. Values are kept as JSON values: they go into the engine's input
document as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sfrt_reader.trial.errors import ProtocolError


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
        """Validate with the criteria engine's own option rules; every problem is reported with its key."""
        from sfrt_reader.criteria.options import convert_options

        _, problems = convert_options(values, path=f"{where}.")
        if problems:
            raise ProtocolError("; ".join(problems))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The `options` object of the criteria engine's input document."""
        return asdict(self)
