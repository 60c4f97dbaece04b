"""`sfrt-reader import DIR --subject ID [--deidentify OUT]`: link a subject's studies and assign timepoints."""

from __future__ import annotations

import argparse
from pathlib import Path

from sfrt_reader.commands._reading import actor, add_db_argument, open_service

NAME = "import"
HELP = "index a subject's DICOM folder, link its studies and assign timepoints; optionally de-identify copies"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="folder with one patient's DICOM files (searched recursively)")
    parser.add_argument("--subject", required=True, help="the subject's pseudonym")
    parser.add_argument(
        "--deidentify",
        metavar="OUT",
        type=Path,
        help="write de-identified copies (PS3.15 basic profile, dates shifted, UIDs remapped) under OUT/<pseudonym>/",
    )
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.reading.importer import import_folder

    service = open_service(args)
    report = import_folder(service, args.folder, args.subject, actor=actor(), deidentify_to=args.deidentify)
    for study in report.studies:
        state = "new" if study.created else "known"
        where = study.label or "UNASSIGNED"
        note = f": {study.message}" if study.message and study.created else ""
        print(f"study {study.study_id} ({state}) -> {where}{note}")
    if args.deidentify is not None:
        print(f"{report.copied} de-identified file(s) written under {args.deidentify / args.subject}")
    for line in report.refused:
        print(f"not copied: {line}")
    for line in report.problems:
        print(f"problem: {line}")
    return 0
