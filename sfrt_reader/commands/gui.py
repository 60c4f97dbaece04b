"""`sfrt-reader gui`: open the reading workstation, optionally with DICOM folders loaded as timepoints."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sfrt_reader.errors import SfrtError

NAME = "gui"
HELP = "open the reading workstation (each --open folder or file is one timepoint, baseline first)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--open",
        dest="paths",
        metavar="PATH",
        action="append",
        default=[],
        help="DICOM folder or file of one timepoint; repeat for several (ordered by acquisition date when known)",
    )
    parser.add_argument("--layout", choices=["1x2", "1x3", "2x2"], help="viewer layout (default: the last one used)")
    parser.add_argument(
        "--blinded",
        action="store_true",
        help="blinded display: no patient identity, no calendar dates, day numbers only",
    )
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        type=Path,
        help="save a picture of the window once every folder has loaded (or failed), then exit",
    )


class NoScreenError(SfrtError):
    """There is no display to open a window on."""


def _check_screen() -> None:
    """Refuse early, with a sentence instead of Qt's abort, when Linux has no display and no platform was chosen."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise NoScreenError(
            "no screen to open the workstation on (DISPLAY is not set): run it in a desktop session, or set "
            "QT_QPA_PLATFORM=offscreen to render without a screen (e.g. with --screenshot)"
        )


def run(args: argparse.Namespace) -> int:
    for path in args.paths:
        if not os.path.exists(path):
            raise SfrtError(f"{path}: no such file or folder; give a DICOM folder or file to --open")
    if args.screenshot is not None and not args.screenshot.parent.exists():
        raise SfrtError(f"{args.screenshot.parent}: folder does not exist; cannot save the screenshot there")
    _check_screen()
    from sfrt_reader.ui.app import run_workstation

    return int(
        run_workstation(
            paths=list(args.paths), layout=args.layout, blinded=bool(args.blinded), screenshot=args.screenshot
        )
    )
