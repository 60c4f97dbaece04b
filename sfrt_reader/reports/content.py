"""What a response form says, gathered once from a reader's session and kept as plain, canonical data.

The PDF is drawn from this content, and the form's SHA-256 is the hash of its canonical JSON (sorted keys, no
spaces, UTF-8; the reading layer's `audit.canonical_json`). Everything printed on the form except the footer
(the hash itself and the page numbers) is in the content, so anyone holding the database can recompute the hash
of a printed form with `form_content(...)` and compare it with the footer and with the audit trail.

The content is versioned (`FORM_VERSIONS`): each version's rules are kept, so a form printed under an earlier
version is rebuilt by the rules it was printed under (the version is in its footer and in the export's audit
event) and still verifies after an upgrade; new forms use `FORM_VERSION`.

Blinding is decided here, once: a central read (or a blinded session) yields no identity at all, so no drawing
or table code can leak what it never receives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sfrt_reader.reading.audit import canonical_json
from sfrt_reader.reading.document import LesionInput, MeasurementInput, TimepointInput, build_engine_document
from sfrt_reader.reading.free_text import TextScreen
from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.reading.views import (
    AssessmentView,
    IdentityView,
    LesionView,
    MeasurementView,
    ReadView,
    StudyImages,
)
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.trial import Protocol

FORM_ID = "SFRT-RF"
# Every form version this release can rebuild, oldest first, with what it changed in the printed content.
FORM_VERSIONS: dict[str, str] = {
    "1.0": "the first response form and subject summary",
    "1.1": "reading protocol hash, reading rules and blinding statement printed; the summary keeps the signed "
    "version of a timepoint under amendment",
    "1.2": "free text screened: in a blinded read, identifiers and dates in the comment, the amendment reason and "
    "the lesions' organ names are replaced by a '[removed: ...]' marker",
}
FORM_VERSION = "1.2"  # what new forms are printed under
UNSCREENED_VERSIONS = ("1.0", "1.1")  # printed free text as stored
SUMMARY_ID = "SFRT-SUM"
CRITERIA = ("recist1.1", "choi")
CRITERION_NAMES = {"recist1.1": "RECIST 1.1", "choi": "Choi"}
RESPONSE_WORDS = {"NON_CR_NON_PD": "non-CR/non-PD"}


@dataclass(frozen=True)
class ReadContext:
    """Everything the reports need about one read, as this session may see it."""

    view: ReadView
    trial_id: str
    trial_title: str
    blinded: bool
    identity: IdentityView | None
    images: dict[str, StudyImages]
    too_small_mm: float
    baseline_label: str
    # label -> the latest signed version of a timepoint whose current version is an amendment still in draft
    amended: dict[str, AssessmentView] = field(default_factory=dict)
    # best overall response and progression day per criterion over the signed timepoints only; None when every
    # current version is signed (then the read's stored results are exactly that)
    signed_results: dict[str, dict[str, Any]] | None = None
    # the reading protocol in force: SHA-256 of its TOML (as recorded in the audit trail when the trial was set
    # up) and the criteria options the engine applied
    protocol_sha256: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    # blinded reads: the subject's free-text screen, which redacts what was stored before text was screened at
    # entry; None in local reads (their documents are identified anyway)
    screen: TextScreen | None = field(default=None, repr=False, compare=False)
    # how many identifiers `clean` removed so far (an export's count; one element, so the frozen context can add)
    removed: list[int] = field(default_factory=lambda: [0], repr=False, compare=False)

    def clean(self, text: str | None) -> str | None:
        """Free text as it may leave the workstation: in a blinded read, identifiers replaced by a marker."""
        if self.screen is None or not text:
            return text
        out, count = self.screen.redact(text)
        self.removed[0] += count
        return out

    def timepoint(self, label: str) -> AssessmentView:
        for tp in self.view.timepoints:
            if tp.label == label:
                return tp
        known = ", ".join(tp.label for tp in self.view.timepoints) or "none"
        raise ReportError(f"read {self.view.read_id} has no timepoint {label!r} (started: {known})")

    def signed(self) -> list[AssessmentView]:
        return [tp for tp in self.view.timepoints if tp.status == "signed"]

    def latest_signed(self) -> list[AssessmentView]:
        """Per timepoint, the latest signed version: the current one, or the one an open amendment will replace."""
        out = []
        for tp in self.view.timepoints:
            if tp.status == "signed":
                out.append(tp)
            elif tp.label in self.amended:
                out.append(self.amended[tp.label])
        return out

    def signed_version(self, label: str) -> AssessmentView:
        """The latest signed version of a timepoint (the current one, or the one an open amendment replaces);
        the current version when none is signed (the caller refuses it)."""
        current = self.timepoint(label)
        if current.status != "signed" and label in self.amended:
            return self.amended[label]
        return current

    def best_signed(self) -> dict[str, Any]:
        """Best overall response and progression day per criterion from the signed timepoints only: what a
        statistician analyses and what a summary prints, whatever a reader is drafting."""
        if self.signed_results is not None:
            return self.signed_results
        return self.view.results or {}

    def study_date(self, label: str) -> str | None:
        """The calendar date of a timepoint's study: only in unblinded reads."""
        if self.identity is None:
            return None
        for st in self.identity.studies:
            if st.label == label and st.study_date is not None:
                return st.study_date.isoformat()
        return None


def gather(
    session: ReaderSession,
    read_id: int,
    with_images: bool = True,
    view: ReadView | None = None,
    identities: dict[str, IdentityView] | None = None,
    protocol: Protocol | None = None,
    screens: dict[int, TextScreen] | None = None,
) -> ReadContext:
    """Read view, identity (unblinded reads only) and image locations of a read, through the session's views.

    `view`, `identities`, `protocol` and `screens` (free-text screens by read) may be given already loaded (a
    trial-level export loads them for every read at once); what is missing is asked of the session.
    """
    view = view if view is not None and view.read_id == read_id else session.view(read_id)
    blinded = view.kind == "central" or session.blinded
    if blinded:
        identity = None
    elif identities is not None and view.pseudonym in identities:
        identity = identities[view.pseudonym]
    else:
        identity = session.identity(view.pseudonym)
    protocol = protocol or session.protocol
    screen = None
    if blinded:
        known = screens if screens is not None and read_id in screens else session.text_screens([read_id])
        screen = known[read_id]
    amended: dict[str, AssessmentView] = {}
    for tp in view.timepoints:
        if tp.status == "draft" and tp.version > 1:
            signed = [v for v in session.history(read_id, tp.label) if v.signature is not None]
            if signed:
                amended[tp.label] = signed[-1]
    signed_results = None
    if any(tp.status != "signed" for tp in view.timepoints):
        latest = [tp for tp in view.timepoints if tp.status == "signed" or tp.label in amended]
        signed_tps = [amended.get(tp.label, tp) for tp in latest]
        signed_results = engine_best(session, view, signed_tps) if signed_tps else {}
    return ReadContext(
        view=view,
        trial_id=protocol.trial_id,
        trial_title=protocol.title,
        blinded=blinded,
        identity=identity,
        images=session.study_images(read_id) if with_images else {},
        too_small_mm=float(protocol.options.to_dict().get("too_small_mm", 5)),
        baseline_label=protocol.baseline.label,
        amended=amended,
        signed_results=signed_results,
        protocol_sha256=hashlib.sha256(protocol.source_text.encode("utf-8")).hexdigest(),
        options=protocol.options.to_dict(),
        screen=screen,
    )


def sha256_of(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a form's content: what the footer prints and the audit trail records."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def response_word(value: Any) -> str:
    if value is None:
        return "-"
    return RESPONSE_WORDS.get(str(value), str(value))


# ----- per-lesion numbers -----


def lesion_value(lesion: LesionView, m: MeasurementView | None, too_small_mm: float) -> float | None:
    """The number RECIST sums for a lesion: long axis, short axis for a node, fragments' sum; None if unknown."""
    if m is None:
        return None
    if m.status == "absent":
        return 0.0
    if m.status == "too_small":
        return too_small_mm
    if m.status != "measured":
        return None
    if m.fragments_mm:
        return float(sum(m.fragments_mm))
    value = m.short_axis_mm if lesion.nodal and lesion.role == "target" else m.diameter_mm
    return None if value is None else float(value)


def measurement_of(tp: AssessmentView, code: str) -> MeasurementView | None:
    return next((m for m in tp.measurements if m.lesion == code), None)


def pct(new: float | None, ref: float | None) -> float | None:
    """Percent change, one decimal; None when either value is unknown or the reference is 0."""
    if new is None or ref is None or ref == 0:
        return None
    return round(100.0 * (new - ref) / ref, 1)


def target_rows(ctx: ReadContext, label: str) -> list[dict[str, Any]]:
    """One row per target lesion at `label`: value, mean HU, baseline, lesion nadir (before now), changes."""
    order = [tp.label for tp in ctx.view.timepoints]
    upto = [ctx.signed_version(tp.label) for tp in ctx.view.timepoints[: order.index(label) + 1]]
    rows = []
    for les in ctx.view.lesions:
        if les.role != "target":
            continue
        values = [lesion_value(les, measurement_of(tp, les.code), ctx.too_small_mm) for tp in upto]
        now = values[-1]
        base = values[0]
        earlier = [v for v in values[:-1] if v is not None]
        nadir = min(earlier) if earlier else None
        m = measurement_of(upto[-1], les.code)
        rows.append(
            {
                "lesion": les.code,
                "organ": les.organ,
                "axis": "SA" if les.nodal else "LD",
                "status": m.status if m else "missing",
                "value_mm": now,
                "mean_hu": m.mean_hu if m and m.unit in (None, "HU") else None,
                "baseline_mm": base,
                "nadir_mm": nadir if label != ctx.baseline_label else None,
                "change_from_baseline_pct": pct(now, base) if label != ctx.baseline_label else None,
                "change_from_nadir_pct": pct(now, nadir) if label != ctx.baseline_label else None,
            }
        )
    return rows


# ----- best response as of a timepoint -----


def best_so_far(session: ReaderSession, ctx: ReadContext, label: str) -> dict[str, dict[str, Any]]:
    """The engine's best overall response using only the timepoints up to and including `label`.

    The read's stored best response covers every timepoint read so far; a form must show what was known when its
    own timepoint was signed, so the engine (the service's assessor) is run again on the truncated read.
    """
    order = [tp.label for tp in ctx.view.timepoints]
    upto = [ctx.signed_version(tp.label) for tp in ctx.view.timepoints[: order.index(label) + 1]]
    return engine_best(session, ctx.view, upto)


def engine_best(session: ReaderSession, view: ReadView, upto: list[AssessmentView]) -> dict[str, dict[str, Any]]:
    """The engine's best overall response, progression day and reasons over the given timepoint versions."""
    lesions = [LesionInput(les.code, les.role, les.organ, les.nodal) for les in view.lesions]
    tps = [
        TimepointInput(
            label=tp.label,
            day=tp.day or 0,
            modality=tp.modality,
            contrast=tp.contrast,
            slice_thickness_mm=tp.slice_thickness_mm,
            measurements=tuple(
                MeasurementInput(m.lesion, m.status, m.diameter_mm, m.short_axis_mm, m.mean_hu, m.unit, m.fragments_mm)
                for m in tp.measurements
            ),
            non_targets=dict(tp.non_targets),
            new_lesions=tp.new_lesions,
            new_intratumoral_nodules=tp.new_intratumoral_nodules,
        )
        for tp in upto
    ]
    document = build_engine_document(session.protocol.options.to_dict(), lesions, tps)
    outcome = session.service.assessor(document)
    out: dict[str, dict[str, Any]] = {}
    for criterion in CRITERIA:
        doc = (outcome.output or {}).get(criterion) or {}
        out[criterion] = {
            "best_overall_response": doc.get("best_overall_response"),
            "progression_day": doc.get("progression_day"),
            "reasons": list(doc.get("reasons", [])),
        }
    return out


# ----- the form's content -----


BLINDED_STATEMENT = (
    "Blinded central read: the subject's identity, site, treatment arm and calendar dates are withheld from the "
    "reader and from this form; time is counted in days from the baseline scan."
)
LOCAL_STATEMENT = "Local read by a site radiologist, unblinded: the patient ID and study dates are shown."


def rules_text(options: dict[str, Any]) -> list[str]:
    """The criteria options in words, as a monitor checks them against the protocol."""
    words = []
    if options.get("randomized", True):
        words.append("randomised trial: a response needs no confirmation")
    else:
        words.append(f"responses confirmed at least {options.get('confirmation_min_days')} days later")
    if "min_sd_days" in options:
        words.append(f"stable disease at least {options['min_sd_days']} days after baseline")
    if "too_small_mm" in options:
        words.append(f"a lesion too small to measure counts {options['too_small_mm']:g} mm")
    if options.get("irradiated_target_measurable"):
        words.append("the irradiated tumour is measurable (protocol override of RECIST 1.1)")
    if "choi_size_reference" in options:
        words.append(f"Choi size change against the {options['choi_size_reference']}")
    pooling = options.get("choi_density_pooling")
    if pooling == "mean_of_lesions":
        words.append("Choi density: mean of the target lesions' mean HU")
    elif pooling is not None:
        words.append(f"Choi density pooling: {pooling}")
    known = {
        "randomized",
        "confirmation_min_days",
        "min_sd_days",
        "too_small_mm",
        "irradiated_target_measurable",
        "choi_size_reference",
        "choi_density_pooling",
    }
    words += [f"{key} = {value}" for key, value in sorted(options.items()) if key not in known]
    return words


def check_version(version: str) -> str:
    """`version` when this release can build it; otherwise a ReportError naming the versions it knows."""
    if version not in FORM_VERSIONS:
        known = ", ".join(FORM_VERSIONS)
        raise ReportError(
            f"form version {version!r} is not one this release knows ({known}): check the version printed in the "
            "form's footer"
        )
    return version


def _header(ctx: ReadContext, version: str) -> dict[str, Any]:
    subject: dict[str, Any] = {"pseudonym": ctx.view.pseudonym}
    if ctx.identity is not None:
        subject["patient_id"] = ctx.identity.patient_id
    header: dict[str, Any] = {
        "trial": ctx.trial_id,
        "protocol_title": ctx.trial_title,
        "read": {
            "id": ctx.view.read_id,
            "type": "central (blinded)" if ctx.blinded else "local",
            "reader": ctx.view.reader,
            "role": "blinded independent central reader" if ctx.view.kind == "central" else "site radiologist",
        },
        "subject": subject,
    }
    if version != "1.0":
        header["protocol"] = {
            "sha256": ctx.protocol_sha256,
            "criteria": [CRITERION_NAMES[c] for c in CRITERIA],
            "rules": rules_text(ctx.options),
        }
        header["blinding"] = BLINDED_STATEMENT if ctx.blinded else LOCAL_STATEMENT
    return header


def _timepoint_block(ctx: ReadContext, tp: AssessmentView) -> dict[str, Any]:
    return {
        "label": tp.label,
        "version": tp.version,
        "day_from_baseline": tp.day,
        "study_date": ctx.study_date(tp.label),
        "modality": tp.modality,
        "contrast": tp.contrast,
        "slice_thickness_mm": tp.slice_thickness_mm,
    }


def _responses(tp: AssessmentView, best: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for criterion in CRITERIA:
        entry = (tp.results or {}).get(criterion) or {}
        out[criterion] = {
            "sum_mm": entry.get("sum_mm"),
            "nadir_mm": entry.get("nadir_mm"),
            "change_from_baseline_pct": entry.get("change_from_baseline_pct"),
            "change_from_nadir_pct": entry.get("change_from_nadir_pct"),
            "density_hu": entry.get("density_hu"),
            "density_change_pct": entry.get("density_change_pct"),
            "density_evaluable": entry.get("density_evaluable"),
            "target": entry.get("target"),
            "non_target": entry.get("non_target"),
            "new_lesions": entry.get("new_lesions"),
            "overall": entry.get("overall"),
            "reasons": list(entry.get("reasons") or []),
            "best_so_far": best[criterion]["best_overall_response"],
            "best_reasons": best[criterion]["reasons"],
        }
    return out


def key_image_specs(ctx: ReadContext, label: str) -> list[dict[str, Any]]:
    """For each target lesion: the drawn objects at baseline and at `label` (SOP Instance UID, points in LPS mm)."""
    base = ctx.signed_version(ctx.baseline_label)
    now = ctx.signed_version(label)
    labels = [base] if label == ctx.baseline_label else [base, now]
    specs = []
    for les in ctx.view.lesions:
        if les.role != "target":
            continue
        for tp in labels:
            m = measurement_of(tp, les.code)
            specs.append(
                {
                    "lesion": les.code,
                    "label": tp.label,
                    "day": tp.day,
                    "modality": tp.modality,
                    "status": m.status if m else "missing",
                    "value_mm": lesion_value(les, m, ctx.too_small_mm),
                    "axis": "SA" if les.nodal else "LD",
                    "objects": [dict(o) for o in m.objects] if m else [],
                }
            )
    return specs


def form_content(session: ReaderSession, ctx: ReadContext, label: str, version: str = FORM_VERSION) -> dict[str, Any]:
    """The content of the response form of one signed timepoint (what is printed, minus the footer); while an
    amendment of it is drafted, the form of the signed version the amendment will replace.

    `version`: the form version whose rules apply (a form printed by an earlier release is rebuilt by its own). A
    1.0 form was refused while an amendment was drafted; rebuilt now, it shows the signed version, as it was
    printed before the amendment was opened.
    """
    check_version(version)
    tp = ctx.signed_version(label)
    if tp.signature is None:
        raise ReportError(
            f"timepoint {label} of read {ctx.view.read_id} is {tp.status}, not signed: a response form is made only "
            "for a signed timepoint (sign it first)"
        )
    best = best_so_far(session, ctx, label)
    non_targets = [
        {"lesion": les.code, "organ": les.organ, "status": tp.non_targets.get(les.code, "not recorded")}
        for les in ctx.view.lesions
        if les.role == "non-target"
    ]
    new = [
        {"lesion": les.code, "organ": les.organ, "first_seen": les.first_label}
        for les in ctx.view.lesions
        if les.role == "new"
    ]
    sig = tp.signature
    content = {
        "form": {"id": FORM_ID, "version": version, "title": "Tumour response form (RECIST 1.1 and Choi)"},
        **_header(ctx, version),
        "timepoint": _timepoint_block(ctx, tp),
        "targets": target_rows(ctx, label),
        "non_targets": non_targets,
        "new_lesions": {"status": tp.new_lesions, "lesions": new, "intratumoral_nodules": tp.new_intratumoral_nodules},
        "responses": _responses(tp, best),
        "comment": tp.comment,
        "amendment_reason": tp.amendment_reason,
        "key_images": key_image_specs(ctx, label),
        "signature": {
            "signer": sig.signer,
            "signed_at_utc": sig.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "meaning": sig.meaning,
            "signed_content_sha256": sig.content_hash,
        },
        "engine_version": tp.engine_version,
    }
    if version not in UNSCREENED_VERSIONS:
        content["comment"] = ctx.clean(content["comment"])
        content["amendment_reason"] = ctx.clean(content["amendment_reason"])
        _clean_organs(ctx, [*content["targets"], *content["non_targets"], *content["new_lesions"]["lesions"]])
    return content


def _clean_organs(ctx: ReadContext, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["organ"] = ctx.clean(row["organ"])


def summary_content(ctx: ReadContext, version: str = FORM_VERSION) -> dict[str, Any]:
    """The subject summary: every timepoint's latest signed version (while an amendment is drafted, the version it
    will replace), its numbers and responses, and the best overall response of those signed versions.

    Under version 1.0 a timepoint whose amendment was being drafted was left out: its rules are kept as they were.
    """
    check_version(version)
    shown = ctx.signed() if version == "1.0" else ctx.latest_signed()
    rows = []
    for tp in shown:
        results = tp.results or {}
        r = results.get("recist1.1") or {}
        c = results.get("choi") or {}
        rows.append(
            {
                **_timepoint_block(ctx, tp),
                "sum_mm": r.get("sum_mm"),
                "change_from_baseline_pct": r.get("change_from_baseline_pct"),
                "change_from_nadir_pct": r.get("change_from_nadir_pct"),
                "recist": r.get("overall"),
                "density_hu": c.get("density_hu"),
                "density_change_pct": c.get("density_change_pct"),
                "density_evaluable": c.get("density_evaluable"),
                "choi": c.get("overall"),
                "signer": tp.signature.signer if tp.signature else None,
                "signed_at_utc": tp.signature.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC") if tp.signature else None,
            }
        )
    if not rows:
        raise ReportError(f"read {ctx.view.read_id} has no signed timepoint yet: sign at least the baseline")
    lesions = []
    for les in ctx.view.lesions:
        if les.role not in ("target", "new"):
            continue
        lesions.append(
            {
                "lesion": les.code,
                "role": les.role,
                "organ": les.organ,
                "axis": "SA" if les.nodal else "LD",
                "values_mm": [lesion_value(les, measurement_of(tp, les.code), ctx.too_small_mm) for tp in shown],
            }
        )
    if version not in UNSCREENED_VERSIONS:
        _clean_organs(ctx, lesions)
    results = ctx.best_signed()
    return {
        "form": {"id": SUMMARY_ID, "version": version, "title": "Subject response summary (RECIST 1.1 and Choi)"},
        **_header(ctx, version),
        "timepoints": rows,
        "lesions": lesions,
        "open_timepoints": [tp.label for tp in ctx.view.timepoints if tp.status != "signed"],
        "best": {
            criterion: {
                "best_overall_response": (results.get(criterion) or {}).get("best_overall_response"),
                "progression_day": (results.get(criterion) or {}).get("progression_day"),
                "reasons": list((results.get(criterion) or {}).get("reasons") or []),
            }
            for criterion in CRITERIA
        },
        "engine_version": ctx.view.engine_version,
    }
