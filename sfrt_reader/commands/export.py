"""`sfrt-reader export --format csv|xlsx|sr (--read ID ... | --all) -o PATH`: data for statisticians and PACS."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from sfrt_reader.commands._login import add_login_arguments, login
from sfrt_reader.errors import SfrtError

NAME = "export"
HELP = "tidy tables (CSV, XLSX with a data dictionary) or DICOM SR TID 1500 of signed timepoints"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", required=True, choices=("csv", "xlsx", "sr"), help="what to write")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--read", type=int, action="append", metavar="ID", help="a read number (repeat for several)")
    which.add_argument("--all", action="store_true", help="every read you may see (the trial-level export)")
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
    if args.all:
        read_ids = session.my_reads() if session.role == "reader" else [r.read_id for r in session.service.list_reads()]
    else:
        read_ids = list(dict.fromkeys(args.read))
    if not read_ids:
        raise SfrtError("there is no read to export")
    if args.format == "sr":
        count = 0
        for rid in read_ids:
            count += len(sr.write_sr(session, rid, args.output))
        print(f"{count} DICOM SR file(s) written into {args.output}")
        return 0
    data = tables.build_tables(tables.contexts_for(session, read_ids), tables.adjudication_states(session))
    paths = tables.write_csv(data, args.output) if args.format == "csv" else tables.write_xlsx(data, args.output)
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        for rid in read_ids:
            session.service.record_export(rid, None, f"table-{args.format}", digest, session.reader_id)
        print(f"{path}: {digest}")
    print(f"{len(data.lesions)} lesion row(s), {len(data.timepoints)} timepoint row(s) from {len(read_ids)} read(s)")
    return 0
