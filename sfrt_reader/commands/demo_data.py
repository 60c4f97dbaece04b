"""`sfrt-reader demo-data OUT`: write the demo trial (DICOM, ground truth, assessment inputs) into OUT."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sfrt_reader.errors import SfrtError

NAME = "demo-data"
HELP = "write the demo trial (3 subjects, 5 timepoints each) as DICOM with its ground truth into a folder"


class DemoDataError(SfrtError):
    """The output folder cannot take the demo trial."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", type=Path, help="folder to write into (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="texture and noise seed (default 0); same seed, same files")
    parser.add_argument(
        "--size",
        type=int,
        default=256,
        choices=(128, 256, 512),
        help="in-plane matrix: 256 (default, 1.5 mm CT pixels, 5 mm slices), 512 (0.75 mm, 2.5 mm slices), "
        "or 128 (3 mm pixels, a quick trial for tests)",
    )
    parser.add_argument("--force", action="store_true", help="write into OUT even if it already holds files")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DemoDataError(f"{out} is a file, not a folder: give a folder path for the demo trial")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DemoDataError(f"{out} is not empty: choose an empty or new folder, or add --force to write into it")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoDataError(
            f"cannot create {out}: {error.strerror or error}; choose a folder you can write to"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise DemoDataError(f"cannot write into {out}: permission denied; choose a folder you can write to")


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.imaging.demo_trial import ScenarioError, generate_demo_trial
    from sfrt_reader.trial import expected

    out: Path = args.out
    if args.seed < 0:
        raise DemoDataError(f"--seed must be 0 or more, not {args.seed}")
    _prepare(out, args.force)
    start = time.perf_counter()

    def report(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    try:
        summary = generate_demo_trial(
            out, seed=args.seed, size=args.size, progress=report, expected=expected.expected_responses
        )
    except OSError as error:
        raise DemoDataError(
            f"writing the demo trial into {out} failed: {error.strerror or error}; check free space and permissions"
        ) from None
    except ScenarioError as error:
        # The seed changes the tumour's lobulation; on a rare seed a response could land on the other side of a
        # threshold. The truth would then contradict the scenario, so nothing half-right is left as a success.
        raise DemoDataError(f"{error}; with --seed {args.seed}: choose another seed (the default 0 works)") from None
    seconds = time.perf_counter() - start
    print(
        f"demo trial written to {out}: {summary.subjects} subjects, {summary.series} series, {summary.files} DICOM "
        f"files, {summary.bytes / 1e6:.1f} MB in {seconds:.1f} s; ground truth in {out / 'ground_truth.json'}",
        file=sys.stdout,
    )
    return 0
