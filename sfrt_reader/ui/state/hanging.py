"""Hanging protocol: which timepoint goes in which cell of the viewer grid.

A reader compares the CURRENT timepoint with BASELINE (shrinkage is judged against baseline) and with the
PREVIOUS one (growth is judged against the nadir, usually recent). Layouts: 1x2 baseline | current;
1x3 baseline | previous | current; 2x2 adds the timepoint before the previous one (EARLIER), so at 12 months the
reader sees baseline, 6, 9 and 12 months. A role with no distinct timepoint leaves its cell empty rather than
showing the same scan twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    BASELINE = "Baseline"
    EARLIER = "Earlier"
    PREVIOUS = "Previous"
    CURRENT = "Current"


class Layout(Enum):
    ONE_BY_TWO = "1x2"
    ONE_BY_THREE = "1x3"
    TWO_BY_TWO = "2x2"

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        rows, cols = self.value.split("x")
        return int(rows), int(cols)

    @property
    def roles(self) -> tuple[Role, ...]:
        """Roles in reading order (row by row)."""
        return _ROLES[self]

    @classmethod
    def parse(cls, text: str) -> Layout:
        for layout in cls:
            if layout.value == text:
                return layout
        raise ValueError(f"unknown layout {text!r}: choose one of {', '.join(x.value for x in cls)}")


_ROLES = {
    Layout.ONE_BY_TWO: (Role.BASELINE, Role.CURRENT),
    Layout.ONE_BY_THREE: (Role.BASELINE, Role.PREVIOUS, Role.CURRENT),
    Layout.TWO_BY_TWO: (Role.BASELINE, Role.EARLIER, Role.PREVIOUS, Role.CURRENT),
}


@dataclass(frozen=True)
class Cell:
    """One grid cell: its row and column, its role, and the index of the timepoint shown (None: empty)."""

    row: int
    column: int
    role: Role
    timepoint: int | None


@dataclass(frozen=True)
class HangingProtocol:
    """A layout plus the rule that assigns chronologically ordered timepoints to its roles."""

    layout: Layout = Layout.ONE_BY_THREE

    def assign(self, timepoint_count: int, current: int | None = None) -> list[Cell]:
        """Cells for `timepoint_count` timepoints in chronological order (0 is baseline).

        `current` is the timepoint being read (default: the latest). Each timepoint appears at most once; the
        CURRENT and BASELINE roles win over PREVIOUS and EARLIER.
        """
        if timepoint_count < 0:
            raise ValueError("timepoint count cannot be negative")
        if current is None:
            current = timepoint_count - 1
        if timepoint_count and not 0 <= current < timepoint_count:
            raise ValueError(f"current timepoint {current} is outside 0..{timepoint_count - 1}")
        wanted: dict[Role, int | None] = {role: None for role in Role}
        if timepoint_count:
            wanted[Role.CURRENT] = current
            wanted[Role.BASELINE] = 0 if current != 0 else None
            previous = current - 1
            wanted[Role.PREVIOUS] = previous if previous > 0 else None
            earlier = current - 2
            wanted[Role.EARLIER] = earlier if earlier > 0 else None
        _rows, cols = self.layout.shape
        cells = []
        for n, role in enumerate(self.layout.roles):
            cells.append(Cell(n // cols, n % cols, role, wanted[role]))
        return cells
