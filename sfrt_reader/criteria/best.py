"""Across timepoints: equivocal new lesions dated back once confirmed, and the best overall response.

Shared by RECIST 1.1 and Choi. Best overall response follows RECIST 1.1 table 3: without confirmation in a
randomised trial (the best response, SD only once the minimum interval from baseline has passed), with
confirmation of CR/PR by a later assessment at least `confirmation_min_days` later otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sfrt_reader.criteria.model import NewLesions
from sfrt_reader.criteria.options import ProtocolOptions
from sfrt_reader.criteria.results import Response


@dataclass(frozen=True)
class Step:
    """One follow-up timepoint as the across-time rules see it."""

    label: str
    day: int
    overall: Response
    new_lesions: NewLesions

    def where(self) -> str:
        return f"{self.label} (day {self.day})"


def backdate_equivocal(steps: Sequence[Step]) -> tuple[list[Step], list[list[str]]]:
    """Revise to PD every timepoint of an unbroken run of equivocal new lesions that a later scan confirms.

    RECIST 1.1: an equivocal new lesion is not PD when seen; if a later scan shows it unequivocally, progression
    is dated to the scan where it was first seen. The run must be unbroken: a scan with no new lesion in between
    means the equivocal finding resolved, so a later new lesion is a new event dated to its own scan.
    """
    revised = list(steps)
    notes: list[list[str]] = [[] for _ in steps]
    run_start: int | None = None
    for index, step in enumerate(steps):
        if step.new_lesions is NewLesions.EQUIVOCAL:
            if run_start is None:
                run_start = index
            continue
        if step.new_lesions is NewLesions.YES and run_start is not None:
            first = steps[run_start]
            for k in range(run_start, index):
                earlier = steps[k]
                if earlier.overall is not Response.PD:
                    notes[k].append(
                        f"the equivocal new lesion seen here was confirmed at {step.where()}: overall revised from "
                        f"{earlier.overall.value} to PD, progression dated to {first.where()}"
                    )
                    revised[k] = Step(earlier.label, earlier.day, Response.PD, earlier.new_lesions)
            notes[index].append(
                f"confirms the equivocal new lesion first seen at {first.where()}: progression dated to day {first.day}"
            )
        run_start = None
    return revised, notes


_BETTER_THAN_PD = (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD)


def progression_day(steps: Sequence[Step]) -> int | None:
    """Day of the first PD (after backdating), None if there is none."""
    return next((step.day for step in steps if step.overall is Response.PD), None)


def best_overall_response(
    steps: Sequence[Step], options: ProtocolOptions, has_targets: bool
) -> tuple[Response, list[str]]:
    """Table 3 of RECIST 1.1, per the protocol's `randomized` option. Responses after the first PD do not count."""
    considered: list[Step] = []
    for step in steps:
        considered.append(step)
        if step.overall is Response.PD:
            break
    reasons: list[str] = []
    if len(considered) < len(steps):
        reasons.append(f"responses after the first PD at {considered[-1].where()} do not count")
    if not considered:
        return Response.NE, ["no follow-up assessment: best overall response NE"]
    if options.randomized:
        for response in (Response.CR, Response.PR):
            hit = next((s for s in considered if s.overall is response), None)
            if hit is not None:
                reasons.append(f"best response {response.value} at {hit.where()} (randomised: no confirmation needed)")
                return response, reasons
        return _stable_or_worse(considered, options, has_targets, reasons, reappeared=None)
    return _confirmed(considered, options, has_targets, reasons)


def _confirmer(considered: Sequence[Step], index: int, options: ProtocolOptions) -> Step | None:
    """The first later assessment at least `confirmation_min_days` after `considered[index]`."""
    first = considered[index]
    return next(
        (s for s in considered[index + 1 :] if s.day - first.day >= options.confirmation_min_days),
        None,
    )


def _confirmed(
    considered: Sequence[Step], options: ProtocolOptions, has_targets: bool, reasons: list[str]
) -> tuple[Response, list[str]]:
    confirmed_pr: Step | None = None
    reappeared: Step | None = None
    for index, step in enumerate(considered):
        if step.overall not in (Response.CR, Response.PR):
            continue
        if confirmed_pr is not None and step.overall is Response.PR:
            continue  # a PR is already confirmed; only a later CR could still improve on it
        later = considered[index + 1 :]
        too_early = [s for s in later if s.day - step.day < options.confirmation_min_days]
        confirmer = _confirmer(considered, index, options)
        if too_early:
            reasons.append(
                f"{', '.join(s.where() for s in too_early)} came less than {options.confirmation_min_days} days "
                f"after {step.overall.value} at {step.where()} and does not confirm it"
            )
        if step.overall is Response.CR:
            back = next((s for s in later if s.overall in (Response.PR, Response.SD, Response.NON_CR_NON_PD)), None)
            if back is not None and reappeared is None:
                reappeared = back
        if confirmer is None:
            reasons.append(
                f"{step.overall.value} at {step.where()} is not confirmed: no assessment at least "
                f"{options.confirmation_min_days} days later"
            )
            continue
        if step.overall is Response.CR and confirmer.overall is Response.CR:
            reasons.append(f"CR at {step.where()} confirmed by CR at {confirmer.where()}")
            return Response.CR, reasons
        if step.overall is Response.PR and confirmer.overall in (Response.PR, Response.CR):
            if confirmed_pr is None:
                confirmed_pr = step
                reasons.append(f"PR at {step.where()} confirmed by {confirmer.overall.value} at {confirmer.where()}")
            continue
        reasons.append(
            f"{step.overall.value} at {step.where()} is not confirmed: the next assessment at least "
            f"{options.confirmation_min_days} days later, {confirmer.where()}, is {confirmer.overall.value}"
        )
    if confirmed_pr is not None:
        return Response.PR, reasons
    return _stable_or_worse(considered, options, has_targets, reasons, reappeared)


def _stable_or_worse(
    considered: Sequence[Step],
    options: ProtocolOptions,
    has_targets: bool,
    reasons: list[str],
    reappeared: Step | None,
) -> tuple[Response, list[str]]:
    """No (confirmed) CR/PR: SD once the minimum interval has passed, otherwise the next response in line."""
    stable = Response.SD if has_targets else Response.NON_CR_NON_PD
    name = "SD" if has_targets else "non-CR/non-PD"
    long_enough = next(
        (s for s in considered if s.overall in _BETTER_THAN_PD and s.day >= options.min_sd_days),
        None,
    )
    if long_enough is not None:
        reasons.append(
            f"best response {name}: {long_enough.overall.value} at {long_enough.where()} is at least "
            f"{options.min_sd_days} days after baseline"
        )
        return stable, reasons
    early = [s for s in considered if s.overall in _BETTER_THAN_PD]
    if early:
        reasons.append(
            f"{', '.join(s.where() for s in early)} came less than {options.min_sd_days} days after baseline: "
            f"too early to count as {name}"
        )
    progression = next((s for s in considered if s.overall is Response.PD), None)
    if progression is not None:
        reasons.append(f"best response PD: progression at {progression.where()}")
        return Response.PD, reasons
    if reappeared is not None:
        reasons.append(
            f"best response PD: disease seen again at {reappeared.where()} after a complete response "
            "(RECIST 1.1 table 3: after a CR truly met, any disease again is progression)"
        )
        return Response.PD, reasons
    reasons.append("best response NE: no response that counts and no progression")
    return Response.NE, reasons
