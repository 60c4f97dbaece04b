"""Log-in for the commands that act as a reader (report, export, import-sr): --user and the password."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sfrt_reader.commands._reading import add_db_argument, open_service, read_password

if TYPE_CHECKING:
    from sfrt_reader.reading import ReaderSession


def add_login_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="your reader user name (see `sfrt-reader reader list`)")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    add_db_argument(parser)


def login(args: argparse.Namespace) -> ReaderSession:
    """A session for --user; blinded or not as the trial's paradigm and the user's role say."""
    service = open_service(args)
    password = read_password(args.password_stdin, confirm=False)
    return service.login(args.user, password)
