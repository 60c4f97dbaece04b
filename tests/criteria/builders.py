"""Small builders for case documents, so each test states only the numbers its rule is about."""

from __future__ import annotations

from typing import Any

from sfrt_reader.criteria import assess_document


def lesion(lesion_id: str, role: str = "target", organ: str | None = None, nodal: bool = False) -> dict[str, Any]:
    return {"id": lesion_id, "role": role, "organ": organ or f"organ of {lesion_id}", "nodal": nodal}


def _targets(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, dict) else {"diameter_mm": value} for key, value in values.items()}


def case(
    baseline: dict[str, Any],
    *follow_ups: dict[str, Any],
    nodal: tuple[str, ...] = (),
    non_targets: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
    baseline_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A case document. `baseline` maps target id -> diameter (or a full target record).

    Each follow-up is a timepoint dict whose `targets` may use the same shorthand; labels default to f1, f2...
    and days to 91, 182, ...; non-targets default to present at baseline.
    """
    lesions = [lesion(t, nodal=t in nodal) for t in baseline]
    lesions += [lesion(n, role="non-target") for n in non_targets]
    timepoints = [
        {
            "label": "baseline",
            "day": 0,
            "targets": _targets(baseline),
            "non_targets": dict.fromkeys(non_targets, "present"),
            **(baseline_extra or {}),
        }
    ]
    for index, follow in enumerate(follow_ups, start=1):
        entry = {"label": f"f{index}", "day": 91 * index, **follow}
        entry["targets"] = _targets(follow.get("targets", {}))
        timepoints.append(entry)
    document: dict[str, Any] = {"lesions": lesions, "timepoints": timepoints}
    if options:
        document["options"] = options
    return document


def recist(document: dict[str, Any]) -> dict[str, Any]:
    return assess_document(document, "recist1.1")


def choi(document: dict[str, Any]) -> dict[str, Any]:
    return assess_document(document, "choi")


def last(result: dict[str, Any]) -> dict[str, Any]:
    timepoint: dict[str, Any] = result["timepoints"][-1]
    return timepoint
