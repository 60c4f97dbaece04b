"""Non-target and new-lesion responses, and the overall response tables of RECIST 1.1 (table 1, table 2).

Choi uses the same non-target and new-lesion rules and the same table shape (its target response differs), so
both criteria share this module. An equivocal new lesion does not make PD at the timepoint it is seen; the
backdating when a later scan confirms it lives in `best.py`.
"""

from __future__ import annotations

from sfrt_reader.criteria.model import Case, NewLesions, NonTargetStatus, Timepoint
from sfrt_reader.criteria.results import Response


def non_target_response(case: Case, timepoint: Timepoint) -> tuple[Response | None, str]:
    """CR (all gone), NON_CR_NON_PD (persisting), PD (unequivocal progression), NE (not all assessed).

    Any progression is PD even when others were not assessed; otherwise one lesion not assessed makes NE,
    because it could hide the progression. Non-target nodes count as gone when the reader records them absent
    (short axis back below 10 mm). None when the case has no non-target lesion.
    """
    lesions = case.non_targets
    if not lesions:
        return None, "no non-target lesions"
    statuses = {lesion.id: timepoint.non_target(lesion.id) for lesion in lesions}

    def ids(status: NonTargetStatus) -> str:
        return ", ".join(lesion_id for lesion_id, value in statuses.items() if value is status)

    if any(value is NonTargetStatus.PROGRESSION for value in statuses.values()):
        return Response.PD, f"non-target: unequivocal progression of {ids(NonTargetStatus.PROGRESSION)}: PD"
    if any(value is NonTargetStatus.NOT_EVALUATED for value in statuses.values()):
        return Response.NE, f"non-target: {ids(NonTargetStatus.NOT_EVALUATED)} not evaluated: NE"
    if all(value is NonTargetStatus.ABSENT for value in statuses.values()):
        return Response.CR, f"non-target: all gone ({ids(NonTargetStatus.ABSENT)}): CR"
    return Response.NON_CR_NON_PD, f"non-target: {ids(NonTargetStatus.PRESENT)} still present: non-CR/non-PD"


def new_lesion_reason(new: NewLesions) -> str:
    if new is NewLesions.YES:
        return "new lesion (unequivocal): PD"
    if new is NewLesions.EQUIVOCAL:
        return (
            "equivocal new lesion: not PD at this timepoint; if a later scan confirms it, progression is dated "
            "back to the scan where it was first seen"
        )
    return "no new lesion"


def _name(response: Response | None) -> str:
    if response is None:
        return "none"
    return "non-CR/non-PD" if response is Response.NON_CR_NON_PD else response.value


def overall_response(
    target: Response | None, non_target: Response | None, new: NewLesions, extra_pd: str | None = None
) -> tuple[Response, str]:
    """Table 1 (with targets) or table 2 (without). `extra_pd` names a further PD cause (Choi's nodules).

    `non_target` None means the case has no non-target lesion: it then neither blocks CR nor adds NE.
    """
    shown = f"target {_name(target)}, non-target {_name(non_target)}, new lesions {new.value}"
    table = "table 1" if target is not None else "table 2"
    if new is NewLesions.YES:
        return Response.PD, f"overall PD: new lesion ({shown}; {table})"
    if extra_pd is not None:
        return Response.PD, f"overall PD: {extra_pd} ({shown})"
    if target is Response.PD:
        return Response.PD, f"overall PD: target PD ({shown}; {table})"
    if non_target is Response.PD:
        return Response.PD, f"overall PD: non-target PD ({shown}; {table})"
    if target is None:
        result = non_target if non_target is not None else Response.NE
        return (
            result,
            f"overall {_name(result)}: no target lesions, so the non-target response decides ({shown}; {table})",
        )
    if target is Response.CR:
        result = Response.CR if non_target in (Response.CR, None) else Response.PR
        return result, f"overall {_name(result)} ({shown}; {table})"
    return target, f"overall {_name(target)} ({shown}; {table})"
