"""`sfrt-reader reads list`: every read with its signed and open timepoints and best overall responses."""

from __future__ import annotations

import argparse
import json

from sfrt_reader.commands._reading import add_db_argument, open_service

NAME = "reads"
HELP = "list reads with progress and best overall responses (list)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="one line per read")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add_db_argument(listing)


def run(args: argparse.Namespace) -> int:
    service = open_service(args)
    reads = service.list_reads()
    if args.json:
        print(json.dumps([r.__dict__ for r in reads], indent=2, default=list))
        return 0
    if not reads:
        print("no reads yet")
        return 0
    print("read  subject       reader        kind     signed                 open     RECIST  Choi    adjudication")
    for r in reads:
        print(
            f"{r.read_id:<5} {r.pseudonym:<13} {r.reader:<13} {r.kind:<8} {','.join(r.signed) or '-':<22} "
            f"{','.join(r.draft) or '-':<8} {r.best.get('recist1.1') or '-':<7} {r.best.get('choi') or '-':<7} "
            f"{r.adjudication or '-'}"
        )
    return 0
