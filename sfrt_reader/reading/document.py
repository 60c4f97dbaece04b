"""Assembling the criteria engine's input document from a read's lesions and current timepoint versions.

Kept apart from the database so that the mapping (a measurement's status to `diameter_mm`, nodal targets by short
axis, HU only from CT, new lesions and non-targets per timepoint) can be tested on its own, value by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MEASUREMENT_STATUSES = ("measured", "too_small", "disappeared", "not_evaluable")
NON_TARGET_STATUSES = ("absent", "present", "progression", "not_evaluated")
NEW_LESION_VALUES = ("no", "yes", "equivocal")


@dataclass(frozen=True)
class LesionInput:
    code: str
    role: str  # target, non-target, new
    organ: str
    nodal: bool


@dataclass(frozen=True)
class MeasurementInput:
    lesion: str
    status: str
    diameter_mm: float | None = None
    short_axis_mm: float | None = None
    mean_hu: float | None = None
    unit: str | None = None
    fragments_mm: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TimepointInput:
    label: str
    day: int
    modality: str | None
    contrast: bool | None
    slice_thickness_mm: float | None
    measurements: tuple[MeasurementInput, ...]
    non_targets: dict[str, str]
    new_lesions: str
    new_intratumoral_nodules: bool


def target_value(lesion: LesionInput, m: MeasurementInput) -> float | str | list[float] | None:
    """The engine's `diameter_mm` for one target at one timepoint.

    measured: the long axis, or the short axis for a node, or the fragments of a split lesion (summed by the
    engine); too small: "too_small" (the engine applies the protocol's value); disappeared: 0; not evaluable: null.
    """
    if m.status == "too_small":
        return "too_small"
    if m.status == "disappeared":
        return 0.0
    if m.status == "not_evaluable":
        return None
    if m.fragments_mm:
        return [float(f) for f in m.fragments_mm]
    value = m.short_axis_mm if lesion.nodal else m.diameter_mm
    return None if value is None else float(value)


def _is_hu(unit: str | None) -> bool:
    return unit is None or unit.upper() == "HU"


def build_engine_document(
    options: dict[str, Any], lesions: list[LesionInput], timepoints: list[TimepointInput]
) -> dict[str, Any]:
    """The input document of the criteria engine ("both" criteria), timepoints in reading order."""
    engine_lesions = [
        {"id": les.code, "role": les.role, "organ": les.organ, "nodal": les.nodal}
        for les in lesions
        if les.role in ("target", "non-target")
    ]
    by_code = {les.code: les for les in lesions}
    targets = [les for les in lesions if les.role == "target"]
    non_targets = [les for les in lesions if les.role == "non-target"]
    out_timepoints: list[dict[str, Any]] = []
    for tp in timepoints:
        measured = {m.lesion: m for m in tp.measurements}
        target_entries: dict[str, dict[str, Any]] = {}
        for les in targets:
            m = measured.get(les.code)
            if m is None:
                target_entries[les.code] = {"diameter_mm": None, "mean_hu": None}
                continue
            hu = m.mean_hu if _is_hu(m.unit) and m.status in ("measured", "too_small") else None
            target_entries[les.code] = {"diameter_mm": target_value(by_code[les.code], m), "mean_hu": hu}
        entry: dict[str, Any] = {
            "label": tp.label,
            "day": tp.day,
            "modality": tp.modality or "CT",
            "targets": target_entries,
            "non_targets": {les.code: tp.non_targets.get(les.code, "not_evaluated") for les in non_targets},
            "new_lesions": tp.new_lesions,
            "new_intratumoral_nodules": tp.new_intratumoral_nodules,
        }
        if tp.contrast is not None:
            entry["contrast"] = tp.contrast
        if tp.slice_thickness_mm is not None:
            entry["slice_thickness_mm"] = tp.slice_thickness_mm
        out_timepoints.append(entry)
    return {"options": dict(options), "lesions": engine_lesions, "timepoints": out_timepoints}
