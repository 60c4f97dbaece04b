"""`sfrt-reader site add|list`: the trial's recruiting sites."""

from __future__ import annotations

import argparse

from sfrt_reader.commands._reading import actor, add_db_argument, open_service

NAME = "site"
HELP = "add a recruiting site (add) or list the sites (list)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a site")
    add.add_argument("code", help="short site code, e.g. SD01")
    add.add_argument("--name", required=True, help="the site's name")
    add_db_argument(add)
    listing = sub.add_parser("list", help="list the sites")
    add_db_argument(listing)


def run(args: argparse.Namespace) -> int:
    service = open_service(args)
    if args.action == "add":
        service.add_site(args.code, args.name, actor=actor())
        print(f"site {args.code} added")
        return 0
    for code, name in service.sites():
        print(f"{code}\t{name}")
    return 0
