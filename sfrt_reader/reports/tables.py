"""Tidy tables for the trial statistician: one row per lesion x timepoint and one row per timepoint (both
criteria), as CSV or as an XLSX workbook with a data dictionary sheet.

The trial-level export is the union of the reads' rows: per read and timepoint, the latest SIGNED version (while
an amendment is drafted, the version it will replace, flagged `amendment_open`); drafts only when asked for, as
extra rows with status "draft". The best overall response and progression day come from the signed timepoints
only, so what a reader is drafting never reaches an analysis. Each row carries the read's adjudication outcome
(chosen / not chosen / pending / withdrawn) when the exporting session may know it.

A blinded (central) read's rows carry the pseudonym and days from baseline only; a local read's rows add the patient
ID and the study date, taken from the session's identity view, which a blinded session cannot obtain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.reports import content as C
from sfrt_reader.reports.errors import ReportError

# column name -> (type, meaning): the data dictionary, and the column order of each table.
COMMON: dict[str, tuple[str, str]] = {
    "trial": ("text", "trial registry identifier"),
    "read_id": ("integer", "read number in the read database"),
    "read_type": ("text", "local (site, unblinded) or central (blinded independent central review)"),
    "reader": ("text", "user name of the reader"),
    "subject": ("text", "subject pseudonym"),
    "patient_id": ("text", "patient ID (local reads only; empty in blinded reads)"),
    "timepoint": ("text", "protocol timepoint label (baseline, 3m, 6m...)"),
    "timepoint_version": ("integer", "version of the timepoint assessment (2 and more after amendments)"),
    "status": (
        "text",
        "signed (the latest signed version of the timepoint), or draft (only with --include-drafts: work in progress, "
        "not for analysis)",
    ),
    "amendment_open": (
        "boolean",
        "true on a signed row whose timepoint is being amended: a newer version is a draft and will replace it when "
        "signed",
    ),
    "day": ("integer", "days from the baseline scan"),
    "study_date": ("date", "calendar date of the study (local reads only; empty in blinded reads)"),
    "modality": ("text", "CT or MR"),
    "contrast": ("boolean", "contrast-enhanced study"),
    "adjudication": (
        "text",
        "central review of a discordant subject: 'chosen' for the read the adjudicator chose (the result to "
        "analyse), 'not chosen' for the other, 'pending' while undecided, 'withdrawn' when amended reads came to "
        "agree; empty when no adjudication was called (or for a reader, who is not told)",
    ),
}
LESION_COLUMNS: dict[str, tuple[str, str]] = {
    **COMMON,
    "lesion": ("text", "lesion code within the read (T1, NT1, N1...)"),
    "role": ("text", "target, non-target or new"),
    "organ": ("text", "organ or site of the lesion"),
    "nodal": ("boolean", "lymph node (measured by its short axis when a target)"),
    "measurement_status": (
        "text",
        "measured, too_small, absent, not_evaluable; for non-targets their status (present, absent, progression...)",
    ),
    "longest_diameter_mm": ("number, mm", "longest diameter as measured"),
    "short_axis_mm": ("number, mm", "short axis as measured"),
    "recist_value_mm": (
        "number, mm",
        "value entering the RECIST sum: long axis, short axis for nodes, fragments' sum, the protocol default for "
        "too small, 0 when disappeared",
    ),
    "mean_density": ("number", "mean of the lesion ROI (HU on CT, signal on MR: see density_unit)"),
    "density_unit": ("text", "HU or signal"),
    "volume_ml": ("number, ml", "lesion volume when segmented"),
    "change_from_baseline_pct": ("number, %", "change of recist_value_mm from this lesion's baseline value"),
}
TIMEPOINT_COLUMNS: dict[str, tuple[str, str]] = {
    **COMMON,
    "new_lesions": ("text", "no, yes or equivocal"),
    "new_intratumoral_nodules": ("boolean", "new or growing intratumoural nodules (Choi)"),
}
for _prefix, _name in (("recist", "RECIST 1.1"), ("choi", "Choi")):
    TIMEPOINT_COLUMNS.update(
        {
            f"{_prefix}_sum_mm": ("number, mm", f"{_name}: sum of target diameters"),
            f"{_prefix}_nadir_mm": ("number, mm", f"{_name}: smallest earlier sum (baseline included)"),
            f"{_prefix}_change_from_baseline_pct": ("number, %", f"{_name}: sum change from baseline"),
            f"{_prefix}_change_from_nadir_pct": ("number, %", f"{_name}: sum change from nadir"),
            f"{_prefix}_target": ("text", f"{_name}: target lesion response"),
            f"{_prefix}_non_target": ("text", f"{_name}: non-target response"),
            f"{_prefix}_overall": ("text", f"{_name}: overall timepoint response"),
            f"{_prefix}_best_overall_response": (
                "text",
                f"{_name}: best overall response of the read, from its signed timepoints only",
            ),
            f"{_prefix}_progression_day": (
                "integer",
                f"{_name}: day of first progression of the read, from its signed timepoints only",
            ),
        }
    )
TIMEPOINT_COLUMNS.update(
    {
        "choi_density_hu": ("number, HU", "Choi: pooled density of the targets"),
        "choi_density_change_pct": ("number, %", "Choi: density change from baseline"),
        "choi_density_evaluable": ("boolean", "Choi: density evaluable (false on MR, without contrast...)"),
        "engine_version": ("text", "criteria engine version that computed the responses"),
        "signed_by": ("text", "signer (user name)"),
        "signed_at_utc": ("date-time", "signature time, UTC"),
    }
)
BLINDED_EMPTY = ("patient_id", "study_date")


@dataclass(frozen=True)
class Tables:
    lesions: pd.DataFrame
    timepoints: pd.DataFrame


def _common(ctx: C.ReadContext, tp: Any, adjudication: str | None) -> dict[str, Any]:
    return {
        "trial": ctx.trial_id,
        "read_id": ctx.view.read_id,
        "read_type": "central" if ctx.blinded else "local",
        "reader": ctx.view.reader,
        "subject": ctx.view.pseudonym,
        "patient_id": ctx.identity.patient_id if ctx.identity else None,
        "timepoint": tp.label,
        "timepoint_version": tp.version,
        "status": "signed" if tp.signature is not None else "draft",
        "amendment_open": tp.label in ctx.amended and tp.signature is not None,
        "day": tp.day,
        "study_date": ctx.study_date(tp.label),
        "modality": tp.modality,
        "contrast": tp.contrast,
        "adjudication": adjudication,
    }


def export_versions(ctx: C.ReadContext, include_drafts: bool = False) -> list[Any]:
    """The timepoint versions a read contributes rows for: the latest signed version of each timepoint, and with
    `include_drafts` the current drafts too (a new timepoint, or an amendment next to the version it amends)."""
    out = []
    for tp in ctx.view.timepoints:
        if tp.status == "signed":
            out.append(tp)
            continue
        if tp.label in ctx.amended:
            out.append(ctx.amended[tp.label])
        if include_drafts:
            out.append(tp)
    return out


def read_rows(
    ctx: C.ReadContext, include_drafts: bool = False, adjudication: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(lesion rows, timepoint rows) of one read."""
    lesion_rows: list[dict[str, Any]] = []
    tp_rows: list[dict[str, Any]] = []
    results = ctx.best_signed()
    timepoints = export_versions(ctx, include_drafts)
    base_versions = [tp for tp in ctx.latest_signed() if tp.label == ctx.baseline_label]
    baseline = base_versions[0] if base_versions else None
    if baseline is None and include_drafts:
        baseline = next((tp for tp in ctx.view.timepoints if tp.label == ctx.baseline_label), None)
    for tp in timepoints:
        common = _common(ctx, tp, adjudication)
        for les in ctx.view.lesions:
            if les.role == "new" and les.first_label != tp.label and C.measurement_of(tp, les.code) is None:
                continue
            m = C.measurement_of(tp, les.code)
            value = C.lesion_value(les, m, ctx.too_small_mm) if les.role != "non-target" else None
            base_value = (
                C.lesion_value(les, C.measurement_of(baseline, les.code), ctx.too_small_mm)
                if baseline is not None and les.role == "target"
                else None
            )
            lesion_rows.append(
                {
                    **common,
                    "lesion": les.code,
                    "role": les.role,
                    "organ": ctx.clean(les.organ),
                    "nodal": les.nodal,
                    "measurement_status": (m.status if m else None)
                    if les.role != "non-target"
                    else tp.non_targets.get(les.code),
                    "longest_diameter_mm": m.diameter_mm if m else None,
                    "short_axis_mm": m.short_axis_mm if m else None,
                    "recist_value_mm": value,
                    "mean_density": m.mean_hu if m else None,
                    "density_unit": (m.unit or ("HU" if m.mean_hu is not None else None)) if m else None,
                    "volume_ml": m.volume_ml if m else None,
                    "change_from_baseline_pct": C.pct(value, base_value) if tp.label != ctx.baseline_label else None,
                }
            )
        row = {**common, "new_lesions": tp.new_lesions, "new_intratumoral_nodules": tp.new_intratumoral_nodules}
        for prefix, criterion in (("recist", "recist1.1"), ("choi", "choi")):
            entry = (tp.results or {}).get(criterion) or {}
            best = results.get(criterion) or {}
            row.update(
                {
                    f"{prefix}_sum_mm": entry.get("sum_mm"),
                    f"{prefix}_nadir_mm": entry.get("nadir_mm"),
                    f"{prefix}_change_from_baseline_pct": entry.get("change_from_baseline_pct"),
                    f"{prefix}_change_from_nadir_pct": entry.get("change_from_nadir_pct"),
                    f"{prefix}_target": entry.get("target"),
                    f"{prefix}_non_target": entry.get("non_target"),
                    f"{prefix}_overall": entry.get("overall"),
                    f"{prefix}_best_overall_response": best.get("best_overall_response"),
                    f"{prefix}_progression_day": best.get("progression_day"),
                }
            )
        choi = (tp.results or {}).get("choi") or {}
        row.update(
            {
                "choi_density_hu": choi.get("density_hu"),
                "choi_density_change_pct": choi.get("density_change_pct"),
                "choi_density_evaluable": choi.get("density_evaluable"),
                "engine_version": tp.engine_version,
                "signed_by": tp.signature.signer if tp.signature else None,
                "signed_at_utc": tp.signature.signed_at.strftime("%Y-%m-%dT%H:%M:%SZ") if tp.signature else None,
            }
        )
        tp_rows.append(row)
    return lesion_rows, tp_rows


def build_tables(
    contexts: list[C.ReadContext], adjudication: dict[int, str | None] | None = None, include_drafts: bool = False
) -> Tables:
    """The union over reads; identifiers only in local reads' rows. Columns follow the data dictionary.

    `adjudication` (read number -> state, from `adjudication_states`) fills both tables' adjudication column, so
    that the statistician takes the chosen read of an adjudicated subject.
    """
    lesion_rows: list[dict[str, Any]] = []
    tp_rows: list[dict[str, Any]] = []
    for ctx in contexts:
        les, tps = read_rows(ctx, include_drafts, (adjudication or {}).get(ctx.view.read_id))
        lesion_rows += les
        tp_rows += tps
    lesions = pd.DataFrame.from_records(lesion_rows, columns=list(LESION_COLUMNS))
    timepoints = pd.DataFrame.from_records(tp_rows, columns=list(TIMEPOINT_COLUMNS))
    if all(ctx.blinded for ctx in contexts):
        # A blinded export has no identifier columns at all, not just empty ones.
        lesions = lesions.drop(columns=list(BLINDED_EMPTY))
        timepoints = timepoints.drop(columns=list(BLINDED_EMPTY))
    return Tables(lesions, timepoints)


def dictionary_frame(tables: Tables) -> pd.DataFrame:
    rows = []
    for sheet, frame, spec in (
        ("lesions", tables.lesions, LESION_COLUMNS),
        ("timepoints", tables.timepoints, TIMEPOINT_COLUMNS),
    ):
        for col in frame.columns:
            kind, meaning = spec[col]
            rows.append({"table": sheet, "column": col, "type": kind, "meaning": meaning})
    return pd.DataFrame(rows, columns=["table", "column", "type", "meaning"])


def write_csv(tables: Tables, out: Path) -> list[Path]:
    """OUT_lesions.csv, OUT_timepoints.csv and OUT_dictionary.csv next to each other (OUT without suffix)."""
    stem = out.with_suffix("") if out.suffix.lower() == ".csv" else out
    if not stem.parent.exists():
        raise ReportError(f"the folder {stem.parent} does not exist: create it or choose another -o path")
    paths = []
    for name, frame in (
        ("lesions", tables.lesions),
        ("timepoints", tables.timepoints),
        ("dictionary", dictionary_frame(tables)),
    ):
        path = stem.parent / f"{stem.name}_{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def write_xlsx(tables: Tables, out: Path) -> list[Path]:
    """One workbook with the sheets lesions, timepoints and dictionary."""
    if not out.parent.exists():
        raise ReportError(f"the folder {out.parent} does not exist: create it or choose another -o path")
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        tables.lesions.to_excel(writer, sheet_name="lesions", index=False)
        tables.timepoints.to_excel(writer, sheet_name="timepoints", index=False)
        dictionary_frame(tables).to_excel(writer, sheet_name="dictionary", index=False)
    return [out]


def adjudication_states(session: ReaderSession) -> dict[int, str | None]:
    """Each read's adjudication outcome (chosen, not chosen, pending, withdrawn). A reader is not told: whether his
    read was chosen is the adjudicator's and the manager's business, as in the worklist."""
    if session.role == "reader":
        return {}
    # From the adjudications themselves (a handful of rows), not from every read's overview: the trial-level
    # export must not go back to one query per read.
    states: dict[int, str | None] = {}
    for adj in session.adjudications():
        for read_id, letter in ((adj.read_a, "A"), (adj.read_b, "B")):
            if adj.status == "decided":
                states[read_id] = "chosen" if adj.chosen == letter else "not chosen"
            else:
                states[read_id] = adj.status
    return states


def contexts_for(session: ReaderSession, read_ids: list[int]) -> list[C.ReadContext]:
    """The contexts of many reads in a constant number of queries: views and identities loaded in bulk."""
    views = session.views(read_ids)
    unblinded = sorted({v.pseudonym for v in views if v.kind != "central"}) if not session.blinded else []
    identities = session.identities(unblinded) if unblinded else {}
    blinded = [v.read_id for v in views if v.kind == "central" or session.blinded]
    screens = session.text_screens(blinded) if blinded else {}
    protocol = session.protocol
    return [
        C.gather(session, v.read_id, False, view=v, identities=identities, protocol=protocol, screens=screens)
        for v in views
    ]
