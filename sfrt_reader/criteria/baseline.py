"""Whole-case checks: what RECIST 1.1 requires of the baseline and of the lesion list.

Measurability depends on the lesion type and the baseline slice thickness; at most 5 targets and 2 per organ,
with all lymph nodes counting as one organ; previously irradiated lesions may be targets only when the protocol
says so. Each problem is returned with the JSON path of the input it concerns, so the parser and the typed API
report the same words.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from sfrt_reader.criteria.errors import CriteriaInputError
from sfrt_reader.criteria.exact import show
from sfrt_reader.criteria.model import (
    Case,
    Fragments,
    Lesion,
    Measured,
    Modality,
    NewLesions,
    NonTargetStatus,
    NotEvaluated,
    TooSmall,
)
from sfrt_reader.criteria.options import DensityPooling

MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
NODE_TARGET_MIN_MM = Fraction(15)
NODE_NORMAL_MAX_MM = Fraction(10)
NON_NODAL_MIN_MM = Fraction(10)
THIN_SLICE_MAX_MM = Fraction(5)
NODES_AS_ORGAN = "lymph nodes"


def non_nodal_minimum_mm(slice_thickness_mm: Fraction | None) -> Fraction:
    """Smallest measurable longest diameter: 10 mm on slices <= 5 mm, otherwise twice the slice thickness.

    When the baseline slice thickness is not given, the 10 mm rule applies (the CT/MR default of RECIST 1.1).
    """
    if slice_thickness_mm is None or slice_thickness_mm <= THIN_SLICE_MAX_MM:
        return NON_NODAL_MIN_MM
    return 2 * slice_thickness_mm


def organ_key(lesion: Lesion) -> str:
    """The organ a target counts against: every lymph node together is one organ."""
    return NODES_AS_ORGAN if lesion.nodal else " ".join(lesion.organ.lower().split())


def check_case(case: Case) -> list[str]:
    """Every problem that makes the case unassessable, each prefixed with its JSON path."""
    problems: list[str] = []
    problems += _check_lesions(case)
    problems += _check_timepoint_order(case)
    if case.timepoints:
        problems += _check_baseline(case)
        problems += _check_follow_ups(case)
    return problems


def require_valid(case: Case) -> None:
    """Raise CriteriaInputError with every problem of the case, if any."""
    problems = check_case(case)
    if problems:
        raise CriteriaInputError(problems)


def _check_lesions(case: Case) -> list[str]:
    problems: list[str] = []
    if not case.lesions:
        problems.append("lesions: no lesion: at least one target or non-target lesion is needed")
    seen: set[str] = set()
    for index, lesion in enumerate(case.lesions):
        if lesion.id in seen:
            problems.append(f"lesions[{index}].id: {lesion.id} is used by more than one lesion")
        seen.add(lesion.id)
    targets = [(index, lesion) for index, lesion in enumerate(case.lesions) if lesion in case.targets]
    if len(targets) > MAX_TARGETS:
        ids = ", ".join(lesion.id for _, lesion in targets)
        problems.append(f"lesions: {len(targets)} target lesions ({ids}): RECIST 1.1 allows at most {MAX_TARGETS}")
    by_organ: dict[str, list[str]] = defaultdict(list)
    for index, lesion in targets:
        key = organ_key(lesion)
        by_organ[key].append(lesion.id)
        if len(by_organ[key]) > MAX_TARGETS_PER_ORGAN:
            what = "lymph nodes (all nodes count as one organ)" if lesion.nodal else f'organ "{lesion.organ}"'
            problems.append(
                f"lesions[{index}].organ: {lesion.id} is target number {len(by_organ[key])} in {what} "
                f"({', '.join(by_organ[key])}): at most {MAX_TARGETS_PER_ORGAN} targets per organ"
            )
        if lesion.irradiated and not case.options.irradiated_target_measurable:
            problems.append(
                f"lesions[{index}].irradiated: {lesion.id} was previously irradiated and the protocol option "
                "irradiated_target_measurable is false: record it as a non-target lesion"
            )
    return problems


def _check_timepoint_order(case: Case) -> list[str]:
    problems: list[str] = []
    if not case.timepoints:
        return ["timepoints: no timepoint: the first timepoint must be the baseline (day 0)"]
    if case.timepoints[0].day != 0:
        problems.append(f"timepoints[0].day: {case.timepoints[0].day} must be 0 (the baseline is day 0)")
    labels: set[str] = set()
    for index, timepoint in enumerate(case.timepoints):
        if index > 0 and timepoint.day <= case.timepoints[index - 1].day:
            problems.append(
                f"timepoints[{index}].day: {timepoint.day} is not after the previous timepoint's day "
                f"{case.timepoints[index - 1].day}: days must strictly increase"
            )
        if timepoint.label in labels:
            problems.append(f"timepoints[{index}].label: {timepoint.label} is used by more than one timepoint")
        labels.add(timepoint.label)
    return problems


def _check_baseline(case: Case) -> list[str]:
    problems: list[str] = []
    baseline = case.baseline
    minimum = non_nodal_minimum_mm(baseline.slice_thickness_mm)
    for lesion in case.targets:
        path = f"timepoints[0].targets.{lesion.id}.diameter_mm"
        diameter = baseline.target(lesion.id).diameter
        if isinstance(diameter, NotEvaluated):
            problems.append(f"{path}: missing at baseline: every target lesion must be measured at baseline")
        elif isinstance(diameter, TooSmall | Fragments):
            problems.append(f"{path}: a target must have one measured diameter at baseline")
        elif isinstance(diameter, Measured):
            if lesion.nodal and diameter.mm < NODE_TARGET_MIN_MM:
                advice = (
                    "record it as a non-target node (10 to < 15 mm)"
                    if diameter.mm >= NODE_NORMAL_MAX_MM
                    else "a node < 10 mm is normal, not a lesion"
                )
                problems.append(
                    f"{path}: short axis {show(diameter.mm)} mm is below 15 mm: a node is a measurable target only "
                    f"from 15 mm; {advice}"
                )
            elif not lesion.nodal and diameter.mm < minimum:
                why = (
                    f"twice the baseline slice thickness {show(baseline.slice_thickness_mm)} mm"
                    if baseline.slice_thickness_mm is not None and minimum != NON_NODAL_MIN_MM
                    else "the minimum with slices of 5 mm or less"
                )
                problems.append(
                    f"{path}: longest diameter {show(diameter.mm)} mm is below {show(minimum)} mm ({why}): "
                    "not measurable at baseline"
                )
    for lesion in case.non_targets:
        status = baseline.non_target(lesion.id)
        if status is not NonTargetStatus.PRESENT:
            problems.append(
                f"timepoints[0].non_targets.{lesion.id}: {status.value} at baseline: a non-target lesion "
                "must be present at baseline"
            )
    if baseline.new_lesions is not NewLesions.NO:
        problems.append(
            f"timepoints[0].new_lesions: {baseline.new_lesions.value}: there are no new lesions at baseline"
        )
    if baseline.new_intratumoral_nodules:
        problems.append("timepoints[0].new_intratumoral_nodules: true: nothing is new at baseline")
    return problems


def _check_follow_ups(case: Case) -> list[str]:
    problems: list[str] = []
    target_ids = {lesion.id for lesion in case.targets}
    non_target_ids = {lesion.id for lesion in case.non_targets}
    voxel_weighted = case.options.choi_density_pooling is DensityPooling.VOXEL_WEIGHTED
    for index, timepoint in enumerate(case.timepoints):
        for lesion_id, record in timepoint.targets.items():
            path = f"timepoints[{index}].targets.{lesion_id}"
            if lesion_id not in target_ids:
                hint = (
                    " (it is a non-target lesion: record it under non_targets)" if lesion_id in non_target_ids else ""
                )
                problems.append(f"{path}: unknown target lesion {lesion_id}{hint}")
            elif record.mean_hu is not None and timepoint.modality is Modality.MR:
                problems.append(f"{path}.mean_hu: an MR timepoint has no Hounsfield units: leave mean_hu null")
        for lesion_id in timepoint.non_targets:
            if lesion_id not in non_target_ids:
                hint = " (it is a target lesion: record it under targets)" if lesion_id in target_ids else ""
                problems.append(
                    f"timepoints[{index}].non_targets.{lesion_id}: unknown non-target lesion {lesion_id}{hint}"
                )
        if voxel_weighted:
            with_hu = [(i, r) for i, r in timepoint.targets.items() if i in target_ids and r.mean_hu is not None]
            if len(with_hu) > 1:
                for lesion_id, record in with_hu:
                    if record.roi_volume_ml is None:
                        problems.append(
                            f"timepoints[{index}].targets.{lesion_id}.roi_volume_ml: missing: "
                            "choi_density_pooling voxel_weighted needs the ROI volume of every lesion with a mean HU"
                        )
    return problems
