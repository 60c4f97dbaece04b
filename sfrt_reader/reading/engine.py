"""The one place the reading layer calls the criteria engine.

Isolated so that the service can be given another assessor (a test double recording its input), and so that the
engine's input errors become stored "not computable yet" problems rather than failures: a read in progress is
often incomplete (a baseline target not measured yet), and saving a measurement must never fail because of that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EngineOutcome:
    """The engine's output document (None when the input was refused), the problems, and the engine version."""

    output: dict[str, Any] | None
    version: str
    problems: list[str] = field(default_factory=list)


Assessor = Callable[[dict[str, Any]], EngineOutcome]


def assess_with_criteria_engine(document: dict[str, Any]) -> EngineOutcome:
    """Assess by RECIST 1.1 and Choi; input problems are returned, one line each, not raised."""
    from sfrt_reader.criteria import ENGINE_VERSION, CriteriaInputError, assess_document

    try:
        output = assess_document(document, criteria="both")
    except CriteriaInputError as error:
        return EngineOutcome(None, ENGINE_VERSION, list(error.problems))
    return EngineOutcome(output, ENGINE_VERSION, [])
