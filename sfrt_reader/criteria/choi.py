"""Choi criteria (J Clin Oncol 2007): size from the RECIST sum, density from the targets' mean HU.

- CR: every target gone (nodes below 10 mm, as RECIST), non-targets gone, no new lesion.
- PR: size at least 10% below baseline OR density at least 15% below baseline density.
- PD: size at least 10% above the reference (option `choi_size_reference`: baseline or nadir) AND not PR by
  density; or a new lesion; or new/growing intratumoural nodules; or unequivocal non-target progression.
- SD: none of these. PD by size is tested before PR by size, because PD by size is only excused by density.
Shrinkage is always measured from baseline; the option only moves the reference of the +10% growth test.

Density is not evaluable on MR, on non-contrast CT, or when the baseline mean HU is <= 0 (a percentage of a
non-positive number means nothing); the timepoint then rests on size alone and says so (`density_evaluable`
false and a reason), never silently. Density compares like with like: the lesions that had a mean HU at
baseline, pooled the same way at baseline and now; a lesion that has disappeared leaves the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sfrt_reader.criteria.baseline import require_valid
from sfrt_reader.criteria.best import Step, backdate_equivocal, best_overall_response, progression_day
from sfrt_reader.criteria.exact import percent_change, show, show_pct
from sfrt_reader.criteria.model import Case, Measured, Modality, TargetMeasurement, Timepoint
from sfrt_reader.criteria.options import DensityPooling, SizeReference
from sfrt_reader.criteria.results import CriterionResult, Response, TimepointResult
from sfrt_reader.criteria.sums import Nadir, TargetSum, nadirs, target_sum
from sfrt_reader.criteria.tables import new_lesion_reason, non_target_response, overall_response

CRITERION = "choi"
ALONE = "Choi rests on size alone"


@dataclass(frozen=True)
class Density:
    """The pooled density at a timepoint and its exact change from the baseline density of the same lesions."""

    evaluable: bool
    hu: Fraction | None
    baseline_hu: Fraction | None
    change_pct: Fraction | None
    reason: str

    @property
    def partial_response(self) -> bool:
        """Density at least 15% below baseline: 100 * (base - now) >= 15 * base, with base > 0."""
        if not self.evaluable or self.hu is None or self.baseline_hu is None:
            return False
        return 100 * (self.baseline_hu - self.hu) >= 15 * self.baseline_hu


def pool(records: list[TargetMeasurement], pooling: DensityPooling) -> Fraction:
    """One density from several lesions: the mean of their means, or weighted by ROI volume (= voxel count)."""
    values = [record.mean_hu for record in records if record.mean_hu is not None]
    if pooling is DensityPooling.VOXEL_WEIGHTED and len(records) > 1:
        weights = [record.roi_volume_ml or Fraction(0) for record in records]
        total = sum(weights, Fraction(0))
        return sum((v * w for v, w in zip(values, weights, strict=True)), Fraction(0)) / total
    return sum(values, Fraction(0)) / len(values)


def _scan_problem(timepoint: Timepoint, which: str) -> str | None:
    if timepoint.modality is Modality.MR:
        return f"{which} is MR: no Hounsfield units"
    if not timepoint.contrast:
        return f"{which} is CT without contrast: Choi density needs contrast-enhanced CT"
    return None


def _pooling_name(case: Case) -> str:
    if case.options.choi_density_pooling is DensityPooling.VOXEL_WEIGHTED:
        return "voxel-weighted mean over"
    return "mean of the per-lesion mean HU of"


def baseline_density(case: Case) -> Density:
    """The baseline density over every target with a mean HU, and whether Choi density can be used at all."""
    baseline = case.baseline
    records = [baseline.target(lesion.id) for lesion in case.targets]
    with_hu = [record for record in records if record.mean_hu is not None]
    hu = pool(with_hu, case.options.choi_density_pooling) if with_hu else None
    problem = _scan_problem(baseline, "the baseline")
    if problem is None and hu is None:
        problem = "no target has a mean HU at baseline"
    if problem is None and hu is not None and hu <= 0:
        problem = f"the baseline mean HU {show(hu)} is <= 0"
    if problem is not None:
        return Density(False, hu, hu, None, f"density not evaluable: {problem}; {ALONE}")
    ids = ", ".join(lesion.id for lesion in case.targets if baseline.target(lesion.id).mean_hu is not None)
    return Density(True, hu, hu, None, f"baseline density {show(hu or Fraction(0))} HU ({_pooling_name(case)} {ids})")


def density_at(case: Case, timepoint: Timepoint) -> Density:
    """Density at a follow-up, compared with the baseline density of the same lesions."""
    baseline = case.baseline
    lesions = [lesion for lesion in case.targets if baseline.target(lesion.id).mean_hu is not None]
    problem = _scan_problem(baseline, "the baseline") or _scan_problem(timepoint, "this timepoint")
    if problem is None and not lesions:
        problem = "no target has a mean HU at baseline"
    included = []
    gone = []
    missing = []
    for lesion in lesions:
        record = timepoint.target(lesion.id)
        if isinstance(record.diameter, Measured) and record.diameter.mm == 0:
            gone.append(lesion.id)
        elif record.mean_hu is None:
            missing.append(lesion.id)
        else:
            included.append(lesion)
    current_records = [timepoint.target(lesion.id) for lesion in included]
    current = pool(current_records, case.options.choi_density_pooling) if included and problem is None else None
    if problem is None and missing:
        problem = f"no mean HU for {', '.join(missing)} at this timepoint"
    if problem is None and not included:
        problem = f"every target with a baseline mean HU has disappeared ({', '.join(gone)})"
    base = (
        pool([baseline.target(lesion.id) for lesion in included], case.options.choi_density_pooling)
        if included
        else None
    )
    if problem is None and base is not None and base <= 0:
        problem = f"the baseline mean HU {show(base)} of {', '.join(lesion.id for lesion in included)} is <= 0"
    if problem is not None or base is None or current is None:
        return Density(False, current, base, None, f"density not evaluable: {problem}; {ALONE}")
    change = percent_change(current, base)
    ids = ", ".join(lesion.id for lesion in included)
    left_out = f"; {', '.join(gone)} disappeared and left the density comparison" if gone else ""
    direction = "below" if current < base else "not below"
    pct = f"{show_pct(change)} " if change is not None and current < base else ""
    verdict = "PR by density (at least 15%)" if 100 * (base - current) >= 15 * base else "not PR by density (needs 15%)"
    return Density(
        True,
        current,
        base,
        change,
        f"density {show(current)} HU is {pct}{direction} the baseline {show(base)} HU ({_pooling_name(case)} "
        f"{ids}{left_out}): {verdict}",
    )


def choi_target_response(
    case: Case, sums: TargetSum, baseline: Fraction, nadir: Nadir, density: Density
) -> tuple[Response, list[str]]:
    """Choi's target response from size and density, with the sentences that explain it."""
    reasons = [sums.description, density.reason]
    by_nadir = case.options.choi_size_reference is SizeReference.NADIR
    reference = nadir.mm if by_nadir else baseline
    reference_name = (
        f"the nadir {show(nadir.mm)} mm ({nadir.where()})" if by_nadir else f"the baseline {show(baseline)} mm"
    )
    density_pr = density.partial_response

    def grows(value: Fraction) -> bool:
        return value > reference and 10 * value >= 11 * reference

    if sums.total is None:
        missing = ", ".join(sums.missing)
        if density_pr:
            reasons.append(f"{missing} not evaluated, but density alone is PR (size cannot make PD against it): PR")
            return Response.PR, reasons
        if grows(sums.measured):
            reasons.append(
                f"{missing} not evaluated, but the measured targets alone sum to {show(sums.measured)} mm, at least "
                f"10% above {reference_name}, and density is not PR: PD"
            )
            return Response.PD, reasons
        reasons.append(f"{missing} not evaluated: size not evaluable and density not PR: NE")
        return Response.NE, reasons
    total = sums.total
    if sums.complete_response:
        reasons.append("every target disappeared (nodes below 10 mm): CR")
        return Response.CR, reasons
    if grows(total):
        growth = percent_change(total, reference)
        amount = f"{show_pct(growth)} above" if growth is not None else "above"
        if density_pr:
            reasons.append(f"size {show(total)} mm is {amount} {reference_name}, but density is PR: not PD; PR")
            return Response.PR, reasons
        reasons.append(f"size {show(total)} mm is {amount} {reference_name} (at least 10%) and density is not PR: PD")
        return Response.PD, reasons
    change = percent_change(total, baseline) or Fraction(0)
    size_pr = 10 * total <= 9 * baseline
    size_text = (
        f"size {show(total)} mm is {show_pct(change)} below the baseline {show(baseline)} mm"
        if total < baseline
        else f"size {show(total)} mm is not below the baseline {show(baseline)} mm"
    )
    if size_pr or density_pr:
        why = " and ".join(
            part
            for part, hit in (("size at least 10% smaller", size_pr), ("density at least 15% lower", density_pr))
            if hit
        )
        reasons.append(f"{size_text}; {why}: PR")
        return Response.PR, reasons
    reasons.append(f"{size_text} (PR needs 10%), not 10% above {reference_name}, density not PR: SD")
    return Response.SD, reasons


def assess_choi(case: Case) -> CriterionResult:
    """Choi for every timepoint of a valid case, the best overall response and the progression day."""
    require_valid(case)
    before = nadirs(case)
    baseline_sum = target_sum(case, case.baseline)
    has_targets = bool(case.targets)
    base_density = baseline_density(case) if has_targets else None
    results: list[TimepointResult] = [
        TimepointResult(
            label=case.baseline.label,
            day=0,
            sum_mm=baseline_sum.total if has_targets else None,
            nadir_mm=None,
            change_from_baseline_pct=None,
            change_from_nadir_pct=None,
            density_hu=base_density.hu if base_density else None,
            density_change_pct=None,
            density_evaluable=base_density.evaluable if base_density else None,
            target=None,
            non_target=None,
            new_lesions=case.baseline.new_lesions,
            overall=None,
            reasons=(
                f"baseline: {baseline_sum.description}" if has_targets else "baseline: no target lesions",
                *([base_density.reason] if base_density else []),
            ),
        )
    ]
    steps: list[Step] = []
    for index, timepoint in enumerate(case.timepoints[1:], start=1):
        sums = target_sum(case, timepoint)
        nadir = before[index]
        reasons: list[str] = []
        target: Response | None = None
        density: Density | None = None
        if has_targets and nadir is not None and baseline_sum.total is not None:
            density = density_at(case, timepoint)
            target, target_reasons = choi_target_response(case, sums, baseline_sum.total, nadir, density)
            reasons += target_reasons
        non_target, non_target_reason = non_target_response(case, timepoint)
        reasons.append(non_target_reason)
        reasons.append(new_lesion_reason(timepoint.new_lesions))
        nodules = "new or growing intratumoural nodules" if timepoint.new_intratumoral_nodules else None
        if nodules:
            reasons.append(f"{nodules}: PD")
        overall, overall_reason = overall_response(target, non_target, timepoint.new_lesions, nodules)
        reasons.append(overall_reason)
        steps.append(Step(timepoint.label, timepoint.day, overall, timepoint.new_lesions))
        results.append(
            TimepointResult(
                label=timepoint.label,
                day=timepoint.day,
                sum_mm=sums.total if has_targets else None,
                nadir_mm=nadir.mm if nadir is not None and has_targets else None,
                change_from_baseline_pct=_change(sums.total, baseline_sum.total if has_targets else None),
                change_from_nadir_pct=_change(sums.total, nadir.mm if nadir is not None and has_targets else None),
                density_hu=density.hu if density else None,
                density_change_pct=density.change_pct if density else None,
                density_evaluable=density.evaluable if density else None,
                target=target,
                non_target=non_target,
                new_lesions=timepoint.new_lesions,
                overall=overall,
                reasons=tuple(reasons),
            )
        )
    steps, notes = backdate_equivocal(steps)
    results = [results[0]] + [
        _revise(result, step, note) for result, step, note in zip(results[1:], steps, notes, strict=True)
    ]
    best, best_reasons = best_overall_response(steps, case.options, has_targets)
    return CriterionResult(CRITERION, tuple(results), best, progression_day(steps), tuple(best_reasons))


def _change(value: Fraction | None, reference: Fraction | None) -> Fraction | None:
    if value is None or reference is None:
        return None
    return percent_change(value, reference)


def _revise(result: TimepointResult, step: Step, note: list[str]) -> TimepointResult:
    from dataclasses import replace

    return replace(result, overall=step.overall, reasons=(*result.reasons, *note))
