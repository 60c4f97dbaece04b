"""`sfrt-reader assign`: set a study's timepoint by hand, with a reason (recorded in the audit trail)."""

from __future__ import annotations

import argparse

from sfrt_reader.commands._reading import actor, add_db_argument, open_service

NAME = "assign"
HELP = "assign a study to a timepoint by hand (a date outside every window, or a correction)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subject", required=True, help="the subject's pseudonym")
    parser.add_argument("--study", required=True, type=int, help="study number (see `sfrt-reader subject list`)")
    parser.add_argument("--timepoint", required=True, help="protocol timepoint label, e.g. baseline, 3m, 18m")
    parser.add_argument("--reason", required=True, help="why (recorded in the audit trail)")
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    service = open_service(args)
    service.assign_study(args.subject, args.study, args.timepoint, args.reason, actor=actor())
    print(f"study {args.study} of {args.subject} assigned to {args.timepoint}")
    return 0
