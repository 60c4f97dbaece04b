"""The case as the engine sees it: lesions, and what was recorded for each at every timepoint.

Plain frozen dataclasses with exact numbers. The recording rules of RECIST 1.1 live in the types: a target at a
timepoint is measured (0 mm = disappeared), too small to measure, split into fragments, or not evaluated;
`sums.py` turns each into the value the sum of diameters uses. Structural checks that need the whole case
(baseline measurability, lesion counts) live in `baseline.py`; the document parser collects every problem first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from functools import cached_property

from sfrt_reader.criteria.errors import CriteriaInputError
from sfrt_reader.criteria.exact import show
from sfrt_reader.criteria.options import ProtocolOptions


class Role(Enum):
    TARGET = "target"
    NON_TARGET = "non-target"


class Modality(Enum):
    CT = "CT"
    MR = "MR"


class NonTargetStatus(Enum):
    """What the reader recorded for one non-target lesion at one timepoint."""

    ABSENT = "absent"
    PRESENT = "present"
    PROGRESSION = "progression"
    NOT_EVALUATED = "not_evaluated"


class NewLesions(Enum):
    """New lesions at a timepoint: none, unequivocal, or equivocal (not PD until confirmed)."""

    NO = "no"
    YES = "yes"
    EQUIVOCAL = "equivocal"


@dataclass(frozen=True)
class Lesion:
    """A lesion chosen at baseline. Nodal lesions are measured by short axis and count as one organ."""

    id: str
    role: Role
    organ: str
    nodal: bool = False
    irradiated: bool = False

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise CriteriaInputError(["lesion id: empty"])


@dataclass(frozen=True)
class Measured:
    """A measured diameter in mm (short axis for nodes); 0 means the lesion disappeared."""

    mm: Fraction

    def __post_init__(self) -> None:
        if self.mm < 0:
            raise CriteriaInputError([f"diameter: {show(self.mm)} is negative"])


@dataclass(frozen=True)
class TooSmall:
    """Present but too small to measure: recorded as the protocol's `too_small_mm` (default 5 mm)."""


@dataclass(frozen=True)
class Fragments:
    """A lesion that split: recorded as the sum of its fragments."""

    parts: tuple[Measured | TooSmall, ...]

    def __post_init__(self) -> None:
        if not self.parts:
            raise CriteriaInputError(["fragments: a split lesion needs at least one fragment"])


@dataclass(frozen=True)
class NotEvaluated:
    """Not assessed or not evaluable at this timepoint."""


Diameter = Measured | TooSmall | Fragments | NotEvaluated


@dataclass(frozen=True)
class TargetMeasurement:
    """One target at one timepoint: its diameter record and, for Choi, its ROI mean HU and volume."""

    diameter: Diameter = field(default_factory=NotEvaluated)
    mean_hu: Fraction | None = None
    roi_volume_ml: Fraction | None = None

    def __post_init__(self) -> None:
        if self.roi_volume_ml is not None and self.roi_volume_ml <= 0:
            raise CriteriaInputError([f"roi_volume_ml: {show(self.roi_volume_ml)} must be more than 0"])


NOT_EVALUATED = TargetMeasurement()


@dataclass(frozen=True)
class Timepoint:
    """One imaging timepoint. `day` counts from the baseline scan (day 0), never a calendar date (blinding)."""

    label: str
    day: int
    modality: Modality = Modality.CT
    contrast: bool = True
    slice_thickness_mm: Fraction | None = None
    targets: Mapping[str, TargetMeasurement] = field(default_factory=dict)
    non_targets: Mapping[str, NonTargetStatus] = field(default_factory=dict)
    new_lesions: NewLesions = NewLesions.NO
    new_intratumoral_nodules: bool = False

    def target(self, lesion_id: str) -> TargetMeasurement:
        """The record of a target; an absent key means not evaluated, as the input document defines."""
        return self.targets.get(lesion_id, NOT_EVALUATED)

    def non_target(self, lesion_id: str) -> NonTargetStatus:
        return self.non_targets.get(lesion_id, NonTargetStatus.NOT_EVALUATED)


@dataclass(frozen=True)
class Case:
    """One subject's lesions and timepoints (the first timepoint is the baseline) under protocol options."""

    lesions: tuple[Lesion, ...]
    timepoints: tuple[Timepoint, ...]
    options: ProtocolOptions = field(default_factory=ProtocolOptions)

    @cached_property
    def targets(self) -> tuple[Lesion, ...]:
        return tuple(lesion for lesion in self.lesions if lesion.role is Role.TARGET)

    @cached_property
    def non_targets(self) -> tuple[Lesion, ...]:
        return tuple(lesion for lesion in self.lesions if lesion.role is Role.NON_TARGET)

    @property
    def baseline(self) -> Timepoint:
        return self.timepoints[0]
