"""`sfrt-reader export --format csv|xlsx|sr (--read ID ... | --all) -o PATH`: data for statisticians and PACS.

The tables hold, per read and timepoint, the latest signed version (drafts only with --include-drafts, marked as
such); `--all` is every read the user may see: a manager all reads, an adjudicator the reads of the subjects he
adjudicates, a reader his own.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from sfrt_reader.commands._login import add_login_arguments, login
from sfrt_reader.commands.report import removed_note
from sfrt_reader.errors import SfrtError

if TYPE_CHECKING:
    from sfrt_reader.reading.session import ReaderSession

NAME = "export"
HELP = "tidy tables (CSV, XLSX with a data dictionary) or DICOM SR TID 1500 of signed timepoints"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", required=True, choices=("csv", "xlsx", "sr"), help="what to write")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--read", type=int, action="append", metavar="ID", help="a read number (repeat for several)")
    which.add_argument("--all", action="store_true", help="every read you may see (the trial-level export)")
    parser.add_argument(
        "--include-drafts",
        action="store_true",
        help="csv/xlsx: add rows for unsigned (draft) timepoints, with status 'draft'; without it only signed "
        "versions are exported",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="PATH",
        help="csv: OUT.csv gives OUT_lesions.csv, OUT_timepoints.csv, OUT_dictionary.csv; xlsx: the workbook; "
        "sr: a folder, one file per signed timepoint",
    )
    add_login_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.reports import sr, tables

    session = login(args)
    read_ids = visible_reads(session) if args.all else list(dict.fromkeys(args.read))
    if not read_ids:
        raise SfrtError("there is no read to export")
    if args.include_drafts and args.format == "sr":
        raise SfrtError("--include-drafts is for csv and xlsx: an SR is written only for a signed timepoint")
    if args.format == "sr":
        count = cut = 0
        for rid in read_ids:
            written = sr.write_sr(session, rid, args.output)
            count += len(written)
            cut += written.removed
        print(f"{count} DICOM SR file(s) written into {args.output}{removed_note(cut)}")
        return 0
    contexts = tables.contexts_for(session, read_ids)
    data = tables.build_tables(contexts, tables.adjudication_states(session), include_drafts=args.include_drafts)
    paths = tables.write_csv(data, args.output) if args.format == "csv" else tables.write_xlsx(data, args.output)
    removed = {ctx.view.read_id: ctx.removed[0] for ctx in contexts}
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        for rid in read_ids:
            details = {"free_text_removed": removed.get(rid, 0)}
            session.service.record_export(rid, None, f"table-{args.format}", digest, session.reader_id, details)
        print(f"{path}: {digest}")
    rows = f"{len(data.lesions)} lesion row(s), {len(data.timepoints)} timepoint row(s) from {len(read_ids)} read(s)"
    print(rows + removed_note(sum(removed.values())))
    unsigned = [ctx.view.read_id for ctx in contexts if not ctx.latest_signed()]
    drafts = sum(1 for ctx in contexts for tp in ctx.view.timepoints if tp.status == "draft")
    if unsigned:
        print(f"read(s) {', '.join(map(str, unsigned))} have no signed timepoint yet", end="")
        print(" (their drafts are included)" if args.include_drafts else ": no rows")
    if drafts and not args.include_drafts:
        print(f"{drafts} draft timepoint(s) left out (add --include-drafts to see them)")
    return 0


def visible_reads(session: ReaderSession) -> list[int]:
    """The reads `--all` exports: a reader's own, an adjudicator's subjects' reads, a manager's all."""
    if session.role == "reader":
        return session.my_reads()
    if session.role == "adjudicator":
        return sorted({rid for adj in session.adjudications() for rid in (adj.read_a, adj.read_b)})
    return [r.read_id for r in session.service.list_reads()]
