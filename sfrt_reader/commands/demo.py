"""`sfrt-reader demo`: the demo trial in a demo read database, opened in the workstation (the first quick start).

The first run writes the demo trial's DICOM (once, into the user data folder), creates a central-review database
with its sites, subjects, readers with known demo passwords, and imports every timepoint with de-identified copies
(a blinded reader reads de-identified images only). A later run finds all of it and only opens the workstation.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sfrt_reader.commands.gui import add_display_arguments, check_screen
from sfrt_reader.errors import SfrtError

NAME = "demo"
HELP = "generate the demo trial once, import it into a demo read database, and open the workstation on it"

DONE_MARK = ".sfrt-demo-ready"
DEMO_ACTOR = "demo-setup"


@dataclass(frozen=True)
class DemoReader:
    username: str
    full_name: str
    role: str
    password: str


# Known passwords, printed on the console and shown on the login dialog in demo mode only.
DEMO_READERS: dict[str, tuple[DemoReader, ...]] = {
    "central": (
        DemoReader("reader1", "Dr A. Central Reader", "reader", "demo-reader1"),
        DemoReader("reader2", "Dr B. Central Reader", "reader", "demo-reader2"),
        DemoReader("adjudicator", "Dr C. Adjudicator", "adjudicator", "demo-adjudicator"),
    ),
    "local": (DemoReader("local", "Dr L. Local Radiologist", "reader", "demo-local"),),
}
# Site codes for the demo institutions (the names stay in the database, never shown to a blinded reader).
DEMO_SITES = {"Northbridge University Hospital": "NBH", "Lakeshore Cancer Centre": "LCC"}


class DemoSetupError(SfrtError):
    """The demo folder or database cannot be prepared."""


def default_demo_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("sfrt-reader", appauthor=False)) / "demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        type=Path,
        help="folder for the demo trial and its databases (default: 'demo' in the per-user data folder)",
    )
    parser.add_argument(
        "--paradigm",
        choices=("central", "local"),
        default="central",
        help="central (default: two blinded readers and an adjudicator) or local (one unblinded reader)",
    )
    parser.add_argument(
        "--size",
        type=int,
        choices=(128, 256, 512),
        default=256,
        help="in-plane matrix of the demo images when they are first generated (default 256)",
    )
    parser.add_argument("--no-gui", action="store_true", help="prepare the data and database only, open no window")
    add_display_arguments(parser)


@dataclass(frozen=True)
class DemoSetup:
    folder: Path
    database: Path
    paradigm: str
    readers: tuple[DemoReader, ...]
    created: bool


def _images_folder(folder: Path, size: int, say: Any) -> Path:
    """The demo trial's DICOM, generated on first use (the ground truth file marks a complete generation)."""
    from sfrt_reader.imaging.demo_trial import ScenarioError, generate_demo_trial
    from sfrt_reader.trial.expected import expected_responses

    images = folder / "trial"
    if (images / "ground_truth.json").is_file():
        return images
    try:
        images.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoSetupError(f"cannot create {images}: {error.strerror or error}; choose --data elsewhere") from None
    say(f"writing the demo trial ({size} x {size}) into {images} (once; later runs reuse it)")
    try:
        generate_demo_trial(images, size=size, progress=say, expected=expected_responses)
    except OSError as error:
        raise DemoSetupError(f"writing the demo trial failed: {error.strerror or error}; check free space") from None
    except ScenarioError as error:
        raise DemoSetupError(str(error)) from None
    return images


def prepare_demo(folder: Path, paradigm: str = "central", size: int = 256, quiet: bool = False) -> DemoSetup:
    """Generate (once) and import (once) the demo trial; returns where it is and who can log in."""
    from sfrt_reader.reading import ReadingService, open_database
    from sfrt_reader.reading.importer import import_folder
    from sfrt_reader.trial import load_protocol

    def say(line: str) -> None:
        if not quiet:
            print(line, flush=True)

    images = _images_folder(folder, size, say)
    database = folder / f"demo-{paradigm}.sqlite"
    readers = DEMO_READERS[paradigm]
    mark = folder / f"{DONE_MARK}-{paradigm}"
    if mark.is_file() and database.is_file():
        return DemoSetup(folder, database, paradigm, readers, created=False)
    if database.exists():  # a previous run was interrupted: start the database again from scratch
        database.unlink()
    truth = json.loads((images / "ground_truth.json").read_text(encoding="utf-8"))
    service = ReadingService(open_database(database))
    try:
        service.init_trial(load_protocol("NCT06980259"), paradigm, DEMO_ACTOR)
        sites = sorted({s["identity"]["institution"] for s in truth["subjects"]})
        for name in sites:
            service.add_site(DEMO_SITES.get(name, name[:8].upper()), name, DEMO_ACTOR)
        for reader in readers:
            service.add_reader(reader.username, reader.full_name, reader.role, reader.password, DEMO_ACTOR)
        copies = folder / f"deidentified-{paradigm}"
        for subject in truth["subjects"]:
            ident = subject["identity"]
            birth = ident.get("birth_date") or ""
            service.add_subject(
                subject["subject"],
                DEMO_SITES.get(ident["institution"], ident["institution"][:8].upper()),
                date.fromisoformat(subject["rt_end_date"]),
                DEMO_ACTOR,
                arm=subject["arm"],
                patient_id=ident["patient_id"],
                patient_name=ident["patient_name"],
                birth_date=date(int(birth[:4]), int(birth[4:6]), int(birth[6:8])) if len(birth) == 8 else None,
            )
            say(f"importing {subject['subject']} ({len(subject['timepoints'])} timepoints)")
            for tp in subject["timepoints"]:
                # one folder per timepoint, so that each study's images are found without scanning the others
                import_folder(
                    service,
                    images / tp["series_dir"],
                    subject["subject"],
                    DEMO_ACTOR,
                    deidentify_to=copies if paradigm == "central" else None,
                )
    finally:
        service.db.close()
    mark.write_text("ready\n", encoding="utf-8")
    return DemoSetup(folder, database, paradigm, readers, created=True)


def login_hint(readers: tuple[DemoReader, ...]) -> str:
    return "Demo readers: " + ", ".join(f"{r.username} / {r.password} ({r.role})" for r in readers)


def run(args: argparse.Namespace) -> int:
    folder: Path = (args.data or default_demo_folder()).expanduser()
    if folder.exists() and not folder.is_dir():
        raise DemoSetupError(f"{folder} is a file: give --data a folder")
    if not args.no_gui:
        check_screen()
        if args.screenshot is not None and not args.screenshot.parent.is_dir():
            raise DemoSetupError(f"{args.screenshot.parent}: folder does not exist; cannot save the screenshot there")
    setup = prepare_demo(folder, args.paradigm, args.size)
    mode = "blinded central review" if args.paradigm == "central" else "local (unblinded) reading"
    print(f"demo read database: {setup.database} ({mode}){' - created' if setup.created else ''}")
    for reader in setup.readers:
        print(f"  log in as {reader.username:<12} password {reader.password:<18} ({reader.role})")
    if args.no_gui:
        return 0
    from sfrt_reader.ui.app import run_reading_workstation

    return int(
        run_reading_workstation(
            str(setup.database),
            login_hint=login_hint(setup.readers),
            layout=args.layout,
            screenshot=args.screenshot,
            username=args.user,
            password=sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None,
        )
    )
