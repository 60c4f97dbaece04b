"""`sfrt-reader subject add|list`: subjects under their pseudonyms; identifiers kept apart."""

from __future__ import annotations

import argparse

from sfrt_reader.commands._reading import actor, add_db_argument, open_service, parse_date

NAME = "subject"
HELP = "add a subject under a pseudonym (add) or list subjects and their studies (list)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a subject")
    add.add_argument("pseudonym", help="the trial's subject code, shown to blinded readers (e.g. SFRT-014)")
    add.add_argument("--site", required=True, help="site code")
    add.add_argument("--rt-end", required=True, help="last day of radiotherapy, YYYY-MM-DD")
    add.add_argument("--rt-start", help="first day of radiotherapy, YYYY-MM-DD (sharpens the baseline window)")
    add.add_argument("--arm", help="randomised arm (never shown to blinded readers)")
    add.add_argument("--patient-id", help="hospital patient ID (kept apart from the pseudonym; checked at import)")
    add.add_argument("--patient-name", help="patient name as in DICOM (Family^Given)")
    add.add_argument("--birth-date", help="YYYY-MM-DD")
    add_db_argument(add)
    listing = sub.add_parser("list", help="list subjects (pseudonyms) with their studies and timepoints")
    add_db_argument(listing)


def run(args: argparse.Namespace) -> int:
    service = open_service(args)
    if args.action == "add":
        rt_end = parse_date(args.rt_end, "--rt-end")
        assert rt_end is not None
        service.add_subject(
            args.pseudonym,
            args.site,
            rt_end,
            actor=actor(),
            rt_start_date=parse_date(args.rt_start, "--rt-start"),
            arm=args.arm,
            patient_id=args.patient_id,
            patient_name=args.patient_name,
            birth_date=parse_date(args.birth_date, "--birth-date"),
        )
        print(f"subject {args.pseudonym} added")
        return 0
    for pseudonym in service.pseudonyms():
        print(pseudonym)
        for number, label, how, modality, day in service.studies(pseudonym):
            when = "no date" if day is None else f"day {day:+d} from RT end"
            print(f"  study {number}: {modality or '?'} {when} -> {label or 'UNASSIGNED'} ({how or 'no window'})")
    return 0
