"""`sfrt-reader report --read ID (--timepoint LABEL | --summary) -o FILE.pdf`: signed PDF forms."""

from __future__ import annotations

import argparse
from pathlib import Path

from sfrt_reader.commands._login import add_login_arguments, login

NAME = "report"
HELP = "PDF response form of a signed timepoint, or the subject summary of a read"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--read", type=int, required=True, metavar="ID", help="read number (see `sfrt-reader reads list`)"
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--timepoint", metavar="LABEL", help="the signed timepoint (baseline, 3m, 6m...)")
    what.add_argument("--summary", action="store_true", help="all signed timepoints, plot and best overall response")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the PDF to write")
    add_login_arguments(parser)


def removed_note(count: int) -> str:
    """The log line's count of identifiers removed from a blinded export's free text (never the identifiers)."""
    if not count:
        return ""
    return f"; {count} identifier(s) removed from free text, marked [removed: ...]"


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.reports.forms import write_form, write_summary

    session = login(args)
    if args.summary:
        written = write_summary(session, args.read, args.output)
    else:
        written = write_form(session, args.read, args.timepoint, args.output)
    print(f"{written.path}: SHA-256 {written.sha256} (recorded in the audit trail){removed_note(written.removed)}")
    return 0
