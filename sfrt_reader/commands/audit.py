"""`sfrt-reader audit verify|show`: check the hash chain (exit 1 at the first broken link) or print events."""

from __future__ import annotations

import argparse
import json

from sfrt_reader.commands._reading import add_db_argument, open_service

NAME = "audit"
HELP = "verify the audit trail's hash chain (verify) or print its events (show)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="exit 0 when intact, 1 with the first broken link")
    add_db_argument(verify)
    show = sub.add_parser("show", help="print events, newest last")
    show.add_argument("--last", type=int, default=50, metavar="N", help="only the last N events (0: all)")
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    add_db_argument(show)


def run(args: argparse.Namespace) -> int:
    service = open_service(args)
    if args.action == "verify":
        report = service.audit_verify()
        if report.ok:
            print(f"audit trail intact: {report.events} events, head {report.head_hash}")
            return 0
        print(f"audit trail BROKEN: {report.problem}")
        return 1
    events = service.audit_events(args.last)
    for e in events:
        if args.json:
            print(json.dumps(e, ensure_ascii=False))
            continue
        line = f"{e['id']:>6} {e['at']} {e['actor']:<14} {e['action']:<10} {e['entity']} {e['entity_id'] or ''}"
        if e["reason"]:
            line += f"  reason: {e['reason']}"
        print(line)
        if e["before"] is not None:
            print(f"         before {e['before']}")
        if e["after"] is not None:
            print(f"         after  {e['after']}")
    report = service.audit_verify()
    print(f"head hash {report.head_hash} after {report.events} events")
    return 0
