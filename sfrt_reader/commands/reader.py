"""`sfrt-reader reader add|list`: readers, adjudicators and managers, with argon2-hashed passwords."""

from __future__ import annotations

import argparse

from sfrt_reader.commands._reading import actor, add_db_argument, open_service, read_password

NAME = "reader"
HELP = "add a reader, adjudicator or manager (add) or list them (list)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a user; the password is asked twice at a hidden prompt")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="full name, shown on signatures")
    add.add_argument("--role", choices=("reader", "adjudicator", "manager"), default="reader")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    add_db_argument(add)
    listing = sub.add_parser("list", help="list users and roles")
    add_db_argument(listing)


def run(args: argparse.Namespace) -> int:
    service = open_service(args)
    if args.action == "add":
        password = read_password(args.password_stdin, confirm=True)
        service.add_reader(args.username, args.name, args.role, password, actor=actor())
        print(f"{args.role} {args.username} added")
        return 0
    for username, name, role in service.readers():
        print(f"{username}\t{role}\t{name}")
    return 0
