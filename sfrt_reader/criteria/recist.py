"""RECIST 1.1 (Eisenhauer 2009, with the 2016 committee clarifications): every timepoint and the best response.

Target response per timepoint, in this order:
- CR: every non-nodal target disappeared (0 mm) and every nodal target below 10 mm short axis (the sum may be
  > 0). CR is tested first: nodes that stay below 10 mm are normal, so their growth is not progression.
- PD: the sum at least 20% AND at least 5 mm above the nadir (smallest complete sum before, baseline included).
- PR: the sum at least 30% below the baseline sum. Shrinkage is judged against baseline, growth against nadir.
- SD: neither.
- NE: a target not evaluated, unless the measured targets alone already meet PD (missing values only add).
"""

from __future__ import annotations

from sfrt_reader.criteria.baseline import require_valid
from sfrt_reader.criteria.best import Step, backdate_equivocal, best_overall_response, progression_day
from sfrt_reader.criteria.model import Case
from sfrt_reader.criteria.results import CriterionResult, Response, TimepointResult
from sfrt_reader.criteria.sums import (
    Nadir,
    TargetSum,
    Timeline,
    change_pct,
    fmt,
    growth_phrase,
    meets_recist_growth,
    pct_text,
    timeline,
)
from sfrt_reader.criteria.tables import new_lesion_reason, non_target_response, overall_response

CRITERION = "recist1.1"


def meets_recist_shrinkage(value: int, baseline: int) -> bool:
    """PR by size: at least 30% below baseline, i.e. 100 * (baseline - value) >= 30 * baseline, exactly."""
    return 100 * (baseline - value) >= 30 * baseline


def recist_target_response(sums: TargetSum, baseline: int, nadir: Nadir) -> tuple[Response, list[str]]:
    """The RECIST 1.1 target response at one follow-up (sums in case units), with the sentences explaining it."""
    scale = sums.scale
    reasons = [sums.description]
    if sums.total is None:
        missing = ", ".join(sums.missing)
        measured = fmt(sums.measured, scale)
        if meets_recist_growth(sums.measured, nadir.units, scale):
            reasons.append(
                f"{missing} not evaluated, but the measured targets alone sum to {measured} mm, "
                f"{growth_phrase(sums.measured, nadir)}: PD already (at least 20% and 5 mm)"
            )
            return Response.PD, reasons
        reasons.append(
            f"{missing} not evaluated: target response NE (the measured targets, {measured} mm, do not already meet PD)"
        )
        return Response.NE, reasons
    total = sums.total
    shown = fmt(total, scale)
    if sums.complete_response:
        reasons.append(f"every non-nodal target disappeared and every nodal target is below 10 mm (sum {shown} mm): CR")
        return Response.CR, reasons
    if meets_recist_growth(total, nadir.units, scale):
        reasons.append(f"sum {shown} mm is {growth_phrase(total, nadir)}: PD (at least 20% and 5 mm)")
        return Response.PD, reasons
    base = fmt(baseline, scale)
    vs_baseline = (
        f"{pct_text(total, baseline)} below the baseline {base} mm"
        if total < baseline
        else f"not below the baseline {base} mm"
    )
    if meets_recist_shrinkage(total, baseline):
        reasons.append(f"sum {shown} mm is {vs_baseline}: PR (at least 30% shrinkage)")
        return Response.PR, reasons
    growth = growth_phrase(total, nadir)
    if total > nadir.units and 100 * (total - nadir.units) >= 20 * nadir.units:
        growth += " (20% reached but not 5 mm)"
    reasons.append(f"sum {shown} mm is {vs_baseline} (PR needs 30%) and {growth} (PD needs 20% and 5 mm): SD")
    return Response.SD, reasons


def assess_recist(case: Case) -> CriterionResult:
    """RECIST 1.1 for every timepoint of a valid case, the best overall response and the progression day."""
    require_valid(case)
    return recist_of_valid_case(case, timeline(case))


def recist_of_valid_case(case: Case, line: Timeline) -> CriterionResult:
    """RECIST 1.1 of a case already checked, with its sums and nadirs already computed."""
    before = line.nadirs
    baseline_sum = line.sums[0]
    has_targets = bool(case.targets)
    drafts: list[tuple[Response | None, Response | None, Response, list[str], TargetSum, Nadir | None]] = []
    for index, timepoint in enumerate(case.timepoints[1:], start=1):
        sums = line.sums[index]
        nadir = before[index]
        reasons: list[str] = []
        target: Response | None = None
        if has_targets and nadir is not None and baseline_sum.total is not None:
            target, target_reasons = recist_target_response(sums, baseline_sum.total, nadir)
            reasons += target_reasons
        non_target, non_target_reason = non_target_response(case, timepoint)
        reasons.append(non_target_reason)
        reasons.append(new_lesion_reason(timepoint.new_lesions))
        overall, overall_reason = overall_response(target, non_target, timepoint.new_lesions)
        reasons.append(overall_reason)
        drafts.append((target, non_target, overall, reasons, sums, nadir))

    steps = [
        Step(tp.label, tp.day, draft[2], tp.new_lesions) for tp, draft in zip(case.timepoints[1:], drafts, strict=True)
    ]
    steps, notes = backdate_equivocal(steps)
    results = [_baseline_result(case, baseline_sum)]
    for timepoint, draft, step, note in zip(case.timepoints[1:], drafts, steps, notes, strict=True):
        target, non_target, _, reasons, sums, nadir = draft
        results.append(
            TimepointResult(
                label=timepoint.label,
                day=timepoint.day,
                sum_mm=sums.total_mm if has_targets else None,
                nadir_mm=nadir.mm if nadir is not None and has_targets else None,
                change_from_baseline_pct=change_pct(sums.total, baseline_sum.total),
                change_from_nadir_pct=change_pct(sums.total, nadir.units if nadir is not None else None),
                density_hu=None,
                density_change_pct=None,
                density_evaluable=None,
                target=target,
                non_target=non_target,
                new_lesions=timepoint.new_lesions,
                overall=step.overall,
                reasons=(*reasons, *note),
            )
        )
    best, best_reasons = best_overall_response(steps, case.options, has_targets)
    return CriterionResult(CRITERION, tuple(results), best, progression_day(steps), tuple(best_reasons))


def _baseline_result(case: Case, sums: TargetSum) -> TimepointResult:
    baseline = case.baseline
    reasons = [f"baseline: {sums.description}" if case.targets else "baseline: no target lesions"]
    return TimepointResult(
        label=baseline.label,
        day=baseline.day,
        sum_mm=sums.total_mm if case.targets else None,
        nadir_mm=None,
        change_from_baseline_pct=None,
        change_from_nadir_pct=None,
        density_hu=None,
        density_change_pct=None,
        density_evaluable=None,
        target=None,
        non_target=None,
        new_lesions=baseline.new_lesions,
        overall=None,
        reasons=tuple(reasons),
    )
