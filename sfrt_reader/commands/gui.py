"""`sfrt-reader gui`: the reading workstation on a read database (log-in, worklist, reading), or, with `--open`,
a plain viewer of DICOM folders without a database."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sfrt_reader.errors import SfrtError

NAME = "gui"
HELP = "open the reading workstation on a read database (or, with --open, view DICOM folders without one)"


def add_display_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with `sfrt-reader demo`: layout, screenshot, log-in without the dialog (scripts)."""
    parser.add_argument("--layout", choices=["1x2", "1x3", "2x2"], help="viewer layout (default: the last one used)")
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        type=Path,
        help="save a picture of the window once everything has loaded, then exit",
    )
    parser.add_argument("--user", metavar="USERNAME", help="log in as this reader (the dialog asks otherwise)")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the --user password from standard input (scripts)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="read database (SQLite file or postgresql:// URL; default: the per-user file); ignored with --open",
    )
    parser.add_argument(
        "--open",
        dest="paths",
        metavar="PATH",
        action="append",
        default=[],
        help="DICOM folder or file of one timepoint; repeat for several (ordered by acquisition date when known)",
    )
    parser.add_argument(
        "--blinded",
        action="store_true",
        help="with --open: blinded display, no patient identity, no calendar dates, day numbers only",
    )
    add_display_arguments(parser)


class NoScreenError(SfrtError):
    """There is no display to open a window on."""


def check_screen() -> None:
    """Refuse early, with a sentence instead of Qt's abort, when Linux has no display and no platform was chosen."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise NoScreenError(
            "no screen to open the workstation on (DISPLAY is not set): run it in a desktop session, or set "
            "QT_QPA_PLATFORM=offscreen to render without a screen (e.g. with --screenshot)"
        )


class NoDatabaseError(SfrtError):
    """The read database given to `gui` does not exist."""


def check_database_exists(db: str | None) -> None:
    """Refuse a SQLite read database that is not there instead of opening it.

    Why: SQLite creates a missing file on connect, so a mistyped --db used to leave an empty database behind and
    open a log-in that no user could pass. Server URLs (postgresql://) are checked when connecting.
    """
    from sfrt_reader.reading.database import default_database_path

    if db is None:
        path = default_database_path()
    elif db.startswith("sqlite:///"):
        path = Path(db[len("sqlite:///") :])
    elif "://" in db:
        return
    else:
        path = Path(db).expanduser()
    if path.is_dir():
        raise NoDatabaseError(f"{path}: is a folder, not a read database file; give the database file to --db")
    if not path.exists():
        option = f" --db {db}" if db is not None else ""
        raise NoDatabaseError(
            f"{path}: no read database there (nothing was created); create one with "
            f"`sfrt-reader trial init --protocol NCT06980259{option}` and add readers with "
            f"`sfrt-reader reader add USERNAME --name NAME --role reader{option}`, or run `sfrt-reader demo` "
            "for the demo trial"
        )


def run(args: argparse.Namespace) -> int:
    for path in args.paths:
        if not os.path.exists(path):
            raise SfrtError(f"{path}: no such file or folder; give a DICOM folder or file to --open")
    if args.screenshot is not None and not args.screenshot.parent.exists():
        raise SfrtError(f"{args.screenshot.parent}: folder does not exist; cannot save the screenshot there")
    check_screen()
    if not args.paths:
        check_database_exists(args.db)
        from sfrt_reader.reading.database import database_url
        from sfrt_reader.ui.app import run_reading_workstation

        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        return int(
            run_reading_workstation(
                database_url(args.db),
                layout=args.layout,
                screenshot=args.screenshot,
                username=args.user,
                password=password,
            )
        )
    from sfrt_reader.ui.app import run_workstation

    return int(
        run_workstation(
            paths=list(args.paths), layout=args.layout, blinded=bool(args.blinded), screenshot=args.screenshot
        )
    )
