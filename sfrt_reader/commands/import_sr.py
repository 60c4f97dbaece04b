"""`sfrt-reader import-sr FILE [--read ID]`: restore the measurements of an exported DICOM SR into your read."""

from __future__ import annotations

import argparse
from pathlib import Path

from sfrt_reader.commands._login import add_login_arguments, login

NAME = "import-sr"
HELP = (
    "re-import a TID 1500 DICOM SR written by `export --format sr` into the timepoint it measures (started if needed)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the SR file")
    parser.add_argument("--read", type=int, metavar="ID", help="the read to import into (default: found by study)")
    add_login_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.reports.sr_import import import_sr

    session = login(args)
    result = import_sr(session, args.file, args.read)
    started = f" ({result.label} started)" if result.started else ""
    print(f"read {result.read_id}, {result.label}{started}: measurements of {', '.join(result.lesions)} restored")
    return 0
