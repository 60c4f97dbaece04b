"""`sfrt-reader trial init|show`: create the read database's trial from a protocol, or show the protocol."""

from __future__ import annotations

import argparse

from sfrt_reader.commands._reading import actor, add_db_argument, open_service

NAME = "trial"
HELP = "create the trial of a read database from a protocol (init), or show its protocol (show)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="create the trial from a bundled protocol name or a TOML file")
    init.add_argument("--protocol", required=True, help="bundled protocol name (NCT06980259) or a .toml path")
    init.add_argument(
        "--paradigm", choices=("local", "central"), help="local unblinded reading or blinded central review"
    )
    add_db_argument(init)
    show = sub.add_parser("show", help="print the protocol's schedule, windows, criteria options and paradigm")
    add_db_argument(show)


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.trial import load_protocol

    service = open_service(args)
    if args.action == "init":
        protocol = load_protocol(args.protocol)
        service.init_trial(protocol, args.paradigm, actor=actor())
        print(
            f"trial {protocol.trial_id} created ({args.paradigm or protocol.default_paradigm} reading) "
            f"in {service.db.describe()}"
        )
        return 0
    protocol = service.protocol
    print(f"trial {protocol.trial_id}: {protocol.title}")
    print(f"reading: {service.paradigm}; criteria: {', '.join(protocol.criteria)}")
    b = protocol.baseline
    print(f"  {b.label:<9} up to {b.max_days_before_rt_start} days before RT start")
    for t in protocol.timepoints:
        flag = "  primary endpoint" if t.primary else ""
        print(f"  {t.label:<9} {t.months_after_rt_end} months after RT end +/- {t.window_days} days{flag}")
    for key, value in protocol.options.to_dict().items():
        print(f"  option {key} = {value}")
    return 0
