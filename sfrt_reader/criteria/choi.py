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

from dataclasses import dataclass, replace
from fractions import Fraction

from sfrt_reader.criteria.baseline import require_valid
from sfrt_reader.criteria.best import Step, backdate_equivocal, best_overall_response, progression_day
from sfrt_reader.criteria.exact import round_toward_zero, show
from sfrt_reader.criteria.model import Case, Measured, Modality, TargetMeasurement, Timepoint
from sfrt_reader.criteria.options import DensityPooling, SizeReference
from sfrt_reader.criteria.results import CriterionResult, Response, TimepointResult
from sfrt_reader.criteria.sums import Nadir, TargetSum, Timeline, change_pct, common_scale, fmt, pct_text, timeline
from sfrt_reader.criteria.tables import new_lesion_reason, non_target_response, overall_response

CRITERION = "choi"
ALONE = "Choi rests on size alone"


@dataclass(frozen=True)
class Pooled:
    """A pooled density as an exact ratio of integers (HU = num / den, den > 0): compared by cross-multiplying."""

    num: int
    den: int

    def hu(self) -> Fraction:
        return Fraction(self.num, self.den)


@dataclass(frozen=True)
class Density:
    """The pooled density at a timepoint and its exact change from the baseline density of the same lesions."""

    evaluable: bool
    hu: Fraction | None
    baseline_hu: Fraction | None
    change_pct: Fraction | None
    reason: str
    partial_response: bool = False


@dataclass(frozen=True)
class DensityScales:
    """Units per HU and per ml making every mean HU and ROI volume of the case a whole number."""

    hu: int
    volume: int


def density_scales(case: Case) -> DensityScales:
    hu: set[int] = set()
    volume: set[int] = set()
    for timepoint in case.timepoints:
        for record in timepoint.targets.values():
            if record.mean_hu is not None:
                hu.add(record.mean_hu.denominator)
            if record.roi_volume_ml is not None:
                volume.add(record.roi_volume_ml.denominator)
    return DensityScales(common_scale(hu), common_scale(volume))


def pool(records: list[TargetMeasurement], pooling: DensityPooling, scales: DensityScales) -> Pooled:
    """One density from several lesions: the mean of their means, or weighted by ROI volume (= voxel count)."""
    values = [
        record.mean_hu.numerator * (scales.hu // record.mean_hu.denominator)
        for record in records
        if record.mean_hu is not None
    ]
    if pooling is DensityPooling.VOXEL_WEIGHTED and len(records) > 1:
        weights = [
            record.roi_volume_ml.numerator * (scales.volume // record.roi_volume_ml.denominator)
            for record in records
            if record.roi_volume_ml is not None
        ]
        return Pooled(sum(v * w for v, w in zip(values, weights, strict=True)), sum(weights) * scales.hu)
    return Pooled(sum(values), len(values) * scales.hu)


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


def baseline_density(case: Case, scales: DensityScales) -> Density:
    """The baseline density over every target with a mean HU, and whether Choi density can be used at all."""
    baseline = case.baseline
    with_hu = [baseline.target(lesion.id) for lesion in case.targets if baseline.target(lesion.id).mean_hu is not None]
    pooled = pool(with_hu, case.options.choi_density_pooling, scales) if with_hu else None
    hu = pooled.hu() if pooled else None
    problem = _scan_problem(baseline, "the baseline")
    if problem is None and hu is None:
        problem = "no target has a mean HU at baseline"
    if problem is None and hu is not None and hu <= 0:
        problem = f"the baseline mean HU {show(hu)} is <= 0"
    if problem is not None or hu is None:
        return Density(False, hu, hu, None, f"density not evaluable: {problem}; {ALONE}")
    ids = ", ".join(lesion.id for lesion in case.targets if baseline.target(lesion.id).mean_hu is not None)
    return Density(True, hu, hu, None, f"baseline density {show(hu)} HU ({_pooling_name(case)} {ids})")


def density_at(case: Case, timepoint: Timepoint, scales: DensityScales) -> Density:
    """Density at a follow-up, compared with the baseline density of the same lesions."""
    baseline = case.baseline
    pooling = case.options.choi_density_pooling
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
    current = pool([timepoint.target(lesion.id) for lesion in included], pooling, scales) if included else None
    if problem is None and missing:
        problem = f"no mean HU for {', '.join(missing)} at this timepoint"
    if problem is None and not included:
        problem = f"every target with a baseline mean HU has disappeared ({', '.join(gone)})"
    base = pool([baseline.target(lesion.id) for lesion in included], pooling, scales) if included else None
    if problem is None and base is not None and base.num <= 0:
        problem = f"the baseline mean HU {show(base.hu())} of {', '.join(lesion.id for lesion in included)} is <= 0"
    if problem is not None or base is None or current is None:
        # The density is still shown when only its baseline is unusable (<= 0 HU); never a partial pool.
        complete = current is not None and not missing and _scan_problem(timepoint, "") is None
        shown = current.hu() if complete and current is not None else None
        return Density(False, shown, base.hu() if base else None, None, f"density not evaluable: {problem}; {ALONE}")
    # Exact comparisons of current = c.num / c.den with base = b.num / b.den (both denominators positive).
    now_times_base_den = current.num * base.den
    base_times_now_den = base.num * current.den
    partial = 20 * now_times_base_den <= 17 * base_times_now_den  # at least 15% lower
    change = Fraction(100 * (now_times_base_den - base_times_now_den), base_times_now_den)
    ids = ", ".join(lesion.id for lesion in included)
    left_out = f"; {', '.join(gone)} disappeared and left the density comparison" if gone else ""
    lower = now_times_base_den < base_times_now_den
    pct = f"{abs(round_toward_zero(change)):.1f}% below" if lower else "not below"
    verdict = "PR by density (at least 15%)" if partial else "not PR by density (needs 15%)"
    current_hu, base_hu = current.hu(), base.hu()
    return Density(
        True,
        current_hu,
        base_hu,
        change,
        f"density {show(current_hu)} HU is {pct} the baseline {show(base_hu)} HU ({_pooling_name(case)} "
        f"{ids}{left_out}): {verdict}",
        partial,
    )


def choi_target_response(
    case: Case, sums: TargetSum, baseline: int, nadir: Nadir, density: Density
) -> tuple[Response, list[str]]:
    """Choi's target response from size (case units) and density, with the sentences that explain it."""
    scale = sums.scale
    reasons = [sums.description, density.reason]
    by_nadir = case.options.choi_size_reference is SizeReference.NADIR
    reference = nadir.units if by_nadir else baseline
    reference_name = nadir.text() if by_nadir else f"the baseline {fmt(baseline, scale)} mm"
    density_pr = density.partial_response

    def grows(value: int) -> bool:
        """At least 10% above the reference: 10 v >= 11 r, and strictly above (a reference of 0 included)."""
        return value > reference and 10 * value >= 11 * reference

    if sums.total is None:
        missing = ", ".join(sums.missing)
        if density_pr:
            reasons.append(f"{missing} not evaluated, but density alone is PR (size cannot make PD against it): PR")
            return Response.PR, reasons
        if grows(sums.measured):
            reasons.append(
                f"{missing} not evaluated, but the measured targets alone sum to {fmt(sums.measured, scale)} mm, "
                f"at least 10% above {reference_name}, and density is not PR: PD"
            )
            return Response.PD, reasons
        reasons.append(f"{missing} not evaluated: size not evaluable and density not PR: NE")
        return Response.NE, reasons
    total = sums.total
    shown = fmt(total, scale)
    if sums.complete_response:
        reasons.append("every target disappeared (nodes below 10 mm): CR")
        return Response.CR, reasons
    if grows(total):
        amount = f"{pct_text(total, reference)} above" if reference > 0 else "above"
        if density_pr:
            reasons.append(f"size {shown} mm is {amount} {reference_name}, but density is PR: not PD; PR")
            return Response.PR, reasons
        reasons.append(f"size {shown} mm is {amount} {reference_name} (at least 10%) and density is not PR: PD")
        return Response.PD, reasons
    size_pr = 10 * total <= 9 * baseline
    size_text = (
        f"size {shown} mm is {pct_text(total, baseline)} below the baseline {fmt(baseline, scale)} mm"
        if total < baseline
        else f"size {shown} mm is not below the baseline {fmt(baseline, scale)} mm"
    )
    if size_pr or density_pr:
        hits = (("size at least 10% smaller", size_pr), ("density at least 15% lower", density_pr))
        why = " and ".join(part for part, hit in hits if hit)
        reasons.append(f"{size_text}; {why}: PR")
        return Response.PR, reasons
    reasons.append(f"{size_text} (PR needs 10%), not 10% above {reference_name}, density not PR: SD")
    return Response.SD, reasons


def assess_choi(case: Case) -> CriterionResult:
    """Choi for every timepoint of a valid case, the best overall response and the progression day."""
    require_valid(case)
    return choi_of_valid_case(case, timeline(case))


def choi_of_valid_case(case: Case, line: Timeline) -> CriterionResult:
    """Choi of a case already checked, with its sums and nadirs already computed."""
    before = line.nadirs
    baseline_sum = line.sums[0]
    has_targets = bool(case.targets)
    scales = density_scales(case)
    base_density = baseline_density(case, scales) if has_targets else None
    results: list[TimepointResult] = [
        TimepointResult(
            label=case.baseline.label,
            day=0,
            sum_mm=baseline_sum.total_mm if has_targets else None,
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
        sums = line.sums[index]
        nadir = before[index]
        reasons: list[str] = []
        target: Response | None = None
        density: Density | None = None
        if has_targets and nadir is not None and baseline_sum.total is not None:
            density = density_at(case, timepoint, scales)
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
                sum_mm=sums.total_mm if has_targets else None,
                nadir_mm=nadir.mm if nadir is not None and has_targets else None,
                change_from_baseline_pct=change_pct(sums.total, baseline_sum.total if has_targets else None),
                change_from_nadir_pct=change_pct(
                    sums.total, nadir.units if nadir is not None and has_targets else None
                ),
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


def _revise(result: TimepointResult, step: Step, note: list[str]) -> TimepointResult:
    """The timepoint after equivocal-lesion backdating (unchanged, and not copied, in the usual case)."""
    if not note and step.overall is result.overall:
        return result
    return replace(result, overall=step.overall, reasons=(*result.reasons, *note))
