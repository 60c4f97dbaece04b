"""`sfrt-reader verify-form --read ID (--timepoint LABEL | --summary) --sha256 HEX`: check a printed form.

Exit 0 when the footer hash was recorded at export and the database, rebuilt by the rules of the form version it
was printed under, gives it again; exit 1 (with the reason) when not; exit 2 for a wrong argument.
"""

from __future__ import annotations

import argparse

from sfrt_reader.commands._login import add_login_arguments, login

NAME = "verify-form"
HELP = "check a printed response form or subject summary (its footer SHA-256) against the read database"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--read", type=int, required=True, metavar="ID", help="the read number printed in the footer")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--timepoint", metavar="LABEL", help="the timepoint of a response form (baseline, 3m, 6m...)")
    what.add_argument("--summary", action="store_true", help="the form is a subject summary")
    parser.add_argument(
        "--sha256", required=True, metavar="HEX", help="the SHA-256 printed in the footer (64 hexadecimal digits)"
    )
    add_login_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.reports.verify import verify_form

    session = login(args)
    check = verify_form(session, args.read, None if args.summary else args.timepoint, args.sha256)
    print(check.message)
    return 0 if check.ok else 1
