"""PDF response forms (one signed timepoint) and the subject summary (all signed timepoints), with reportlab.

`write_form` and `write_summary` gather the content through the reader's session (see `content.py`), draw it,
record the content's SHA-256 and the form version in the audit trail (`ReadingService.record_export`) and print that
hash in the footer of every page, so a printed form can be traced to the database state it shows (`verify.py`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.reports import content as C
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.keyimages import ImageLibrary, render
from sfrt_reader.reports.pdfparts import (
    MARGIN,
    PAGE,
    KeyImageFlowable,
    esc,
    field_table,
    grid_table,
    num,
    numbered_canvas,
    signed_pct,
    styles,
    title_band,
)

# Binary (Flate) image streams: reportlab's default ASCII85 text encoding is pure Python and took most of the time
# of a form with four key images, for a PDF a quarter larger.
rl_config.useA85 = 0

FORM_KIND = "response-form-pdf"
SUMMARY_KIND = "subject-summary-pdf"
STATUS_WORDS = {
    "measured": "",
    "too_small": "too small",
    "absent": "disappeared",
    "not_evaluable": "NE",
    "missing": "NE",
}


@dataclass(frozen=True)
class WrittenDocument:
    path: Path
    sha256: str
    export_id: int | None
    removed: int = 0  # identifiers removed from free text (blinded reads), as the export's audit event records


def _contrast(value: bool | None) -> str:
    return "with contrast" if value else ("without contrast" if value is False else "contrast unknown")


def _header_pairs(content: dict[str, Any]) -> list[tuple[str, str]]:
    read, subject = content["read"], content["subject"]
    who = subject["pseudonym"]
    if "patient_id" in subject:
        who += f"  (patient ID {subject['patient_id'] or '-'})"
    protocol = content["protocol"]
    return [
        ("Trial", content["trial"]),
        ("Form", f"{content['form']['id']} version {content['form']['version']}"),
        ("Protocol", f"SHA-256 {protocol['sha256'][:16]}..."),
        ("Criteria", " and ".join(protocol["criteria"])),
        ("Subject", who),
        ("Read", f"{read['id']}: {read['type']}"),
        ("Reader", read["reader"]),
        ("Role", read["role"]),
    ]


def _target_table(rows: list[dict[str, Any]], width: float) -> Table:
    head = [
        "Lesion",
        "Organ",
        "Axis",
        "Now (mm)",
        "Mean HU",
        "Baseline (mm)",
        "Nadir (mm)",
        "vs baseline",
        "vs nadir",
    ]
    body: list[list[Any]] = [head]
    for r in rows:
        status = STATUS_WORDS.get(r["status"], r["status"])
        now = num(r["value_mm"]) if r["value_mm"] is not None else "NE"
        if status and r["status"] not in ("not_evaluable", "missing"):
            now = f"{now} ({status})"
        body.append(
            [
                r["lesion"],
                r["organ"],
                r["axis"],
                now,
                num(r["mean_hu"]),
                num(r["baseline_mm"]),
                num(r["nadir_mm"]),
                signed_pct(r["change_from_baseline_pct"]),
                signed_pct(r["change_from_nadir_pct"]),
            ]
        )
    w = [12, 25, 10, 27, 16, 27, 21, 22, 20]
    scale = width / (sum(w) * mm)
    return grid_table(body, [x * mm * scale for x in w], align_right=(3, 4, 5, 6, 7, 8))


def _response_block(content: dict[str, Any], width: float) -> list[Any]:
    st = styles()
    resp = content["responses"]
    r, c = resp["recist1.1"], resp["choi"]
    sums = [
        ["", "Sum of diameters", "vs baseline", "vs nadir", "Density (mean HU)", "Density change"],
        [
            "Value",
            num(r["sum_mm"], 1, " mm"),
            signed_pct(r["change_from_baseline_pct"]),
            signed_pct(r["change_from_nadir_pct"]),
            num(c["density_hu"], 1, " HU") + ("" if c["density_evaluable"] is not False else " (not evaluable)"),
            signed_pct(c["density_change_pct"]),
        ],
    ]
    sum_table = grid_table(sums, [width * f for f in (0.1, 0.18, 0.14, 0.14, 0.26, 0.18)], align_right=(1, 2, 3, 4, 5))
    head = ["Criterion", "Target", "Non-target", "New lesions", "Timepoint response", "Best response so far"]
    rows: list[list[Any]] = [head]
    for criterion in C.CRITERIA:
        x = resp[criterion]
        rows.append(
            [
                C.CRITERION_NAMES[criterion],
                C.response_word(x["target"]),
                C.response_word(x["non_target"]),
                C.response_word(x["new_lesions"]),
                C.response_word(x["overall"]),
                C.response_word(x["best_so_far"]),
            ]
        )
    table = grid_table(rows, [width * f for f in (0.14, 0.12, 0.16, 0.14, 0.22, 0.22)])
    _, bold = _fonts()
    table.setStyle(TableStyle([("FONT", (4, 1), (5, -1), bold, 9.5), ("ALIGN", (1, 1), (-1, -1), "CENTER")]))
    reasons: list[Any] = []
    for criterion in C.CRITERIA:
        x = resp[criterion]
        lines = [esc(t) for t in x["reasons"]] + [f"<i>best so far:</i> {esc(t)}" for t in x["best_reasons"]]
        reasons.append(Paragraph(f"<b>{C.CRITERION_NAMES[criterion]}</b>", st["small"]))
        reasons += [Paragraph("• " + line, st["small"]) for line in lines]
    return [sum_table, Spacer(1, 4), table, Spacer(1, 3), *reasons]


def _fonts() -> tuple[str, str]:
    from sfrt_reader.reports.fonts import font_names

    return font_names()


def _key_images(ctx: C.ReadContext, content: dict[str, Any], width: float) -> list[Any]:
    library = ImageLibrary()
    size = min((width - 8 * mm) / 2, 64 * mm)
    cells: list[Any] = []
    for spec in content["key_images"]:
        images = ctx.images.get(spec["label"])
        folder = images.folder if images else None
        image = render(library, folder, spec["objects"])
        value = "-" if spec["value_mm"] is None else f"{spec['value_mm']:.1f} mm"
        caption = f"{spec['lesion']}  {spec['label']} (day {spec['day']}, {spec['modality']})  {spec['axis']} {value}"
        note = "" if image is not None else "no drawn measurement recorded"
        cells.append(KeyImageFlowable(image, caption, size, note))
    rows = [cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)]
    out: list[Any] = []
    for row in rows:
        t = Table([row], colWidths=[size + 6 * mm, size + 6 * mm], hAlign="LEFT")
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        out.append(t)
    return out


def _header_notes(content: dict[str, Any]) -> list[Any]:
    """Under the header: how this read is blinded, and the reading rules the engine applied."""
    st = styles()
    protocol = content["protocol"]
    return [
        Spacer(1, 2),
        Paragraph(f"<b>{esc(content['blinding'])}</b>", st["small"]),
        Paragraph(
            esc(
                "Reading rules: " + "; ".join(protocol["rules"]) + f". Reading protocol {content['trial']}, "
                f"SHA-256 {protocol['sha256']} (recorded in the audit trail when the trial was set up)."
            ),
            st["small"],
        ),
    ]


SIGNATURE_NOTE = (
    "The signer applied this electronic signature by entering his or her password at signing; it states the "
    "meaning above and covers the timepoint's recorded content, whose SHA-256 is given."
)


def _signature_block(content: dict[str, Any], width: float) -> Table:
    sig = content["signature"]
    rows = [
        ["Signer", "Date and time (UTC)", "Meaning"],
        [sig["signer"], sig["signed_at_utc"], sig["meaning"]],
        ["Signed content SHA-256", sig["signed_content_sha256"], ""],
    ]
    table = grid_table(rows, [width * 0.25, width * 0.4, width * 0.35])
    table.setStyle(TableStyle([("SPAN", (1, 2), (2, 2))]))
    return table


def _document(path: Path, title: str, footer: str, sha: str) -> tuple[SimpleDocTemplate, type]:
    doc = SimpleDocTemplate(
        str(path),
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=18 * mm,
        title=title,
        author="sfrt-reader",
        subject=title,
        creator="sfrt-reader",
    )
    return doc, numbered_canvas(footer, sha)


def form_story(ctx: C.ReadContext, content: dict[str, Any], width: float) -> list[Any]:
    st = styles()
    tp = content["timepoint"]
    story: list[Any] = [
        title_band(content["form"]["title"], f"{content['trial']}: {content['protocol_title']}", width),
        Spacer(1, 5),
        field_table(_header_pairs(content), width),
        *_header_notes(content),
        Spacer(1, 3),
    ]
    when = f"day {tp['day_from_baseline']} from baseline"
    if tp["study_date"]:
        when += f", study date {tp['study_date']}"
    pairs = [
        ("Timepoint", f"{tp['label']} (version {tp['version']})"),
        ("Day", when),
        ("Modality", f"{tp['modality'] or '-'}, {_contrast(tp['contrast'])}"),
        ("Slice thickness", num(tp["slice_thickness_mm"], 1, " mm")),
    ]
    story.append(field_table(pairs, width))
    story.append(Paragraph("Target lesions", st["h2"]))
    if content["targets"]:
        story.append(_target_table(content["targets"], width))
    else:
        story.append(Paragraph("no target lesion", st["base"]))
    story.append(Paragraph("Non-target and new lesions", st["h2"]))
    nt_rows: list[list[Any]] = [["Lesion", "Organ", "Status"]]
    nt_rows += [[n["lesion"], n["organ"], n["status"]] for n in content["non_targets"]]
    new = content["new_lesions"]
    new_text = new["status"] + (
        " (" + ", ".join(f"{n['lesion']} {n['organ']}, first seen {n['first_seen']}" for n in new["lesions"]) + ")"
        if new["lesions"]
        else ""
    )
    nt_rows.append(["New lesions", "", new_text])
    nt_rows.append(["New intratumoural nodules (Choi)", "", "yes" if new["intratumoral_nodules"] else "no"])
    nt = grid_table(nt_rows, [width * 0.3, width * 0.25, width * 0.45])
    nt.setStyle(TableStyle([("SPAN", (0, -1), (1, -1)), ("SPAN", (0, -2), (1, -2))]))
    story.append(nt)
    story.append(Paragraph("Sum, density and responses", st["h2"]))
    story += _response_block(content, width)
    if content["comment"]:
        story.append(Paragraph(f"<b>Reader's comment:</b> {esc(content['comment'])}", st["base"]))
    if content["amendment_reason"]:
        story.append(Paragraph(f"<b>Amended:</b> {esc(content['amendment_reason'])}", st["base"]))
    # The heading stays with the first row of images (it was left alone at the foot of page 1).
    images = _key_images(ctx, content, width)
    heading = Paragraph("Key images (measured slice at baseline and at this timepoint)", st["h2"])
    story.append(KeepTogether([heading, *images[:1]]))
    story += images[1:]
    story.append(
        KeepTogether(
            [
                Paragraph("Electronic signature manifest", st["h2"]),
                _signature_block(content, width),
                Spacer(1, 2),
                Paragraph(
                    esc(
                        f"{SIGNATURE_NOTE} Responses computed by the criteria engine {content['engine_version']}. "
                        "The footer hash is the SHA-256 of this form's canonical content, recorded in the audit "
                        "trail at export."
                    ),
                    st["small"],
                ),
            ]
        )
    )
    return story


def write_form(session: ReaderSession, read_id: int, label: str, out: Path, record: bool = True) -> WrittenDocument:
    """Write the response form of a signed timepoint to `out` and record its content hash in the audit trail."""
    ctx = C.gather(session, read_id)
    content = C.form_content(session, ctx, label)
    sha = C.sha256_of(content)
    _ensure_folder(out)
    footer = f"{content['form']['id']} v{content['form']['version']} · read {read_id} · {label} · {ctx.view.pseudonym}"
    doc, canvas = _document(out, f"{content['form']['title']}: {ctx.view.pseudonym} {label}", footer, sha)
    width = PAGE[0] - 2 * MARGIN
    doc.build(form_story(ctx, content, width), canvasmaker=canvas)
    export_id = None
    if record:
        details = {"form_version": content["form"]["version"], "free_text_removed": ctx.removed[0]}
        export_id = session.service.record_export(read_id, label, FORM_KIND, sha, session.reader_id, details)
    return WrittenDocument(out, sha, export_id, ctx.removed[0])


def _plot_png(content: dict[str, Any]) -> bytes:
    """Sum of diameters and density over time (matplotlib, Agg), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = content["timepoints"]
    days = [r["day_from_baseline"] or 0 for r in rows]
    fig = Figure(figsize=(7.0, 2.9), dpi=150)
    ax = fig.add_subplot(1, 1, 1)
    sums = [r["sum_mm"] for r in rows]
    ax.plot(days, sums, "o-", color="#23415f", label="sum of diameters (mm)")
    for d, s, r in zip(days, sums, rows, strict=True):
        if s is not None:
            ax.annotate(
                r["label"],
                (d, s),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=7,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    ax.set_xlabel("days from baseline")
    ax.set_ylabel("sum of diameters (mm)", color="#23415f")
    if sums and sums[0]:
        base = sums[0]
        ax.axhline(base * 0.7, color="#2e7d32", lw=0.8, ls="--", label="RECIST PR (-30%)")
    known = [s for s in sums if s is not None]
    # Headroom above the highest point, so its timepoint label stays inside the axes.
    ax.set_ylim(bottom=0, top=1.18 * max(known) if known and max(known) > 0 else None)
    dens = [(d, r["density_hu"]) for d, r in zip(days, rows, strict=True) if r["density_hu"] is not None]
    lines, labels = ax.get_legend_handles_labels()
    if dens:
        ax2 = ax.twinx()
        ax2.plot([d for d, _ in dens], [v for _, v in dens], "s--", color="#b5402a", label="density (mean HU)")
        ax2.set_ylabel("density (mean HU)", color="#b5402a")
        top = max(v for _, v in dens)
        ax2.set_ylim(bottom=min(0.0, min(v for _, v in dens)), top=1.18 * top if top > 0 else None)
        # The sums and their timepoint labels are drawn over the density, not hidden behind its markers.
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        more, more_labels = ax2.get_legend_handles_labels()
        lines, labels = lines + more, labels + more_labels
    ax.legend(lines, labels, fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def summary_story(content: dict[str, Any], width: float) -> list[Any]:
    st = styles()
    story: list[Any] = [
        title_band(content["form"]["title"], f"{content['trial']}: {content['protocol_title']}", width),
        Spacer(1, 5),
        field_table(_header_pairs(content), width),
        *_header_notes(content),
        Paragraph("Timepoints (signed)", st["h2"]),
    ]
    dated = any(r["study_date"] for r in content["timepoints"])
    head = ["Timepoint", "Day", *(["Date"] if dated else []), "Modality", "Sum (mm)", "vs baseline", "vs nadir"]
    head += ["RECIST 1.1", "Density (HU)", "Density change", "Choi", "Signed by"]
    rows: list[list[Any]] = [head]
    for r in content["timepoints"]:
        dens = num(r["density_hu"]) + ("*" if r["density_evaluable"] is False else "")
        rows.append(
            [
                r["label"] + (f" (v{r['version']})" if r["version"] > 1 else ""),
                str(r["day_from_baseline"]),
                *([r["study_date"] or "-"] if dated else []),
                (r["modality"] or "-") + ("+C" if r["contrast"] else ""),
                num(r["sum_mm"]),
                signed_pct(r["change_from_baseline_pct"]),
                signed_pct(r["change_from_nadir_pct"]),
                C.response_word(r["recist"]),
                dens,
                signed_pct(r["density_change_pct"]),
                C.response_word(r["choi"]),
                r["signer"] or "-",
            ]
        )
    w = [19, 10, *([19] if dated else []), 16, 15, 17, 15, 17, 17, 17, 13, 18]
    scale = width / (sum(w) * mm)
    shift = 1 if dated else 0
    right = (1, *(c + shift for c in (3, 4, 5, 7, 8)))
    story.append(grid_table(rows, [x * mm * scale for x in w], align_right=right))
    story.append(
        Paragraph("* density not evaluable (MR, no contrast, or no baseline density): Choi rests on size.", st["small"])
    )
    if content["open_timepoints"]:
        story.append(Paragraph(esc("Not yet signed: " + ", ".join(content["open_timepoints"])), st["small"]))
    story.append(Paragraph("Sum of diameters and density over time", st["h2"]))
    png = _plot_png(content)
    story.append(Image(io.BytesIO(png), width=width, height=width * 2.9 / 7.0))
    story.append(Paragraph("Lesion measurements (mm)", st["h2"]))
    lrows: list[list[Any]] = [["Lesion", "Role", "Organ", "Axis", *[r["label"] for r in content["timepoints"]]]]
    for les in content["lesions"]:
        lrows.append([les["lesion"], les["role"], les["organ"], les["axis"], *[num(v) for v in les["values_mm"]]])
    n = len(content["timepoints"])
    lw = [14, 16, 30, 11] + [max(12.0, (width / mm - 71) / max(n, 1))] * n
    scale = width / (sum(lw) * mm)
    story.append(grid_table(lrows, [x * mm * scale for x in lw], align_right=tuple(range(4, 4 + n))))
    story.append(Paragraph("Best overall response", st["h2"]))
    brows: list[list[Any]] = [["Criterion", "Best overall response", "Progression day"]]
    for criterion in C.CRITERIA:
        b = content["best"][criterion]
        brows.append(
            [
                C.CRITERION_NAMES[criterion],
                C.response_word(b["best_overall_response"]),
                str(b["progression_day"] or "-"),
            ]
        )
    bt = grid_table(brows, [width * 0.3, width * 0.4, width * 0.3])
    _, bold = _fonts()
    bt.setStyle(TableStyle([("FONT", (1, 1), (1, -1), bold, 9.5)]))
    story.append(bt)
    for criterion in C.CRITERIA:
        for reason in content["best"][criterion]["reasons"]:
            story.append(Paragraph(f"• {C.CRITERION_NAMES[criterion]}: {esc(reason)}", st["small"]))
    return story


def write_summary(session: ReaderSession, read_id: int, out: Path, record: bool = True) -> WrittenDocument:
    """Write the subject summary of a read (all signed timepoints) and record its content hash."""
    ctx = C.gather(session, read_id)
    content = C.summary_content(ctx)
    sha = C.sha256_of(content)
    _ensure_folder(out)
    footer = f"{content['form']['id']} v{content['form']['version']} · read {read_id} · {ctx.view.pseudonym}"
    doc, canvas = _document(out, f"{content['form']['title']}: {ctx.view.pseudonym}", footer, sha)
    doc.build(summary_story(content, PAGE[0] - 2 * MARGIN), canvasmaker=canvas)
    export_id = None
    if record:
        details = {"form_version": content["form"]["version"], "free_text_removed": ctx.removed[0]}
        export_id = session.service.record_export(read_id, None, SUMMARY_KIND, sha, session.reader_id, details)
    return WrittenDocument(out, sha, export_id, ctx.removed[0])


def _ensure_folder(out: Path) -> None:
    if not out.parent.exists():
        raise ReportError(f"the folder {out.parent} does not exist: create it or choose another -o path")
