"""The error the criteria engine raises for input it cannot assess.

It carries every problem found, not only the first, because a reader correcting a case file wants the whole
list at once. Each problem starts with the JSON path of the offending value (for example
`timepoints[2].targets.T3.diameter_mm: -4 is negative`), so it can be found in the document or the form.
Messages name lesions and timepoints by the labels the reader chose, never by a patient identifier.
"""

from __future__ import annotations

from collections.abc import Iterable

from sfrt_reader.errors import SfrtError


class CriteriaInputError(SfrtError):
    """Input that cannot be assessed: `.problems` holds one line per problem, JSON path first."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        if not self.problems:
            raise ValueError("CriteriaInputError needs at least one problem")
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)
