"""Shared by the read-database commands: the --db option, opening the service, who is acting, passwords."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from typing import TYPE_CHECKING

from sfrt_reader.errors import SfrtError

if TYPE_CHECKING:
    from sfrt_reader.reading import ReadingService


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="read database: a SQLite file path or postgresql://user@host/name (default: the per-user file)",
    )


def open_service(args: argparse.Namespace) -> ReadingService:
    from sfrt_reader.reading import ReadingService, open_database

    return ReadingService(open_database(args.db))


def actor() -> str:
    """Who ran a set-up command, for the audit trail: the operating-system account."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "os:unknown"


def parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SfrtError(f"{option} {text!r} is not a date: use YYYY-MM-DD") from None


def read_password(from_stdin: bool, confirm: bool) -> str:
    """From the first line of standard input (scripts, tests) or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise SfrtError("--password-stdin: standard input held no password")
        return line
    if not sys.stdin.isatty():
        raise SfrtError("no terminal to ask the password on: pipe it with --password-stdin")
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Password again: ") != first:
        raise SfrtError("the two passwords differ; nothing was saved")
    return first
