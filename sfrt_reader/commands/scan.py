"""`sfrt-reader scan DIR...`: index DICOM folders and print the catalogue as a tree or as JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sfrt_reader.imaging.catalog import Catalog, SeriesInfo
    from sfrt_reader.imaging.headers import NonImageObject

NAME = "scan"
HELP = "index DICOM folders (recursively, DICOMDIR too) and list patients, studies, series and problems"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="DIR", help="folders, DICOM files or DICOMDIR files to index")
    parser.add_argument("--json", action="store_true", help="print the catalogue as JSON instead of a tree")
    parser.add_argument(
        "--blinded",
        action="store_true",
        help="leave out patient name, ID, birth date and accession number (patients are numbered instead)",
    )


def _date(text: str) -> str:
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else (text or "no date")


def _series_line(s: SeriesInfo) -> str:
    number = f"series {s.series_number}" if s.series_number is not None else "series -"
    desc = f" '{s.description}'" if s.description else ""
    stack = f" [{s.stack}]" if s.stack else ""
    parts = [f"{number}  {s.modality or '?'}{desc}{stack}", f"{s.slice_count} slice{'s' if s.slice_count != 1 else ''}"]
    if s.pixel_spacing:
        z = (
            f"{s.slice_spacing_mm:.2f}"
            if s.slice_spacing_mm
            else (f"{s.slice_thickness:g}" if s.slice_thickness else "-")
        )
        parts.append(f"{s.pixel_spacing[1]:.3f} x {s.pixel_spacing[0]:.3f} x {z} mm")
    if s.contrast is not None:
        parts.append("contrast" if s.contrast else "no contrast")
    if s.stack_index:
        parts.append(f"key {s.key}")
    if not s.usable:
        parts.append("CANNOT BE LOADED")
    return ", ".join(parts)


def _object_lines(objects: Sequence[NonImageObject]) -> list[str]:
    """One line per kind of non-image object and what it refers to; identical ones (a file-set of placeholder
    files, one SR per image...) are counted on one line instead of repeated."""
    counts: dict[tuple[str, tuple[str, ...]], int] = {}
    for obj in objects:
        refs = f", refers to {len(obj.referenced_series)} series" if obj.referenced_series else ""
        number_text = f"series {obj.header.series_number}" if obj.header.series_number is not None else ""
        desc = f" '{obj.header.series_description}'" if obj.header.series_description else ""
        key = (f"    {obj.kind} {number_text}{desc} ({obj.sop_class_name}){refs}", obj.referenced_series)
        counts[key] = counts.get(key, 0) + 1
    lines: list[str] = []
    for (text, referenced), count in counts.items():
        lines.append(text + (f", {count} files" if count > 1 else ""))
        lines.extend(f"      -> {uid}" for uid in referenced)
    return lines


def render_tree(catalog: Catalog, blinded: bool = False) -> str:
    """The catalogue as indented text a reader can scan by eye."""
    lines: list[str] = []
    for number, patient in enumerate(catalog.patients, start=1):
        if blinded:
            who = f"patient {number}"
        else:
            who = f"patient {patient.patient_name or '(no name)'}, ID {patient.patient_id or '(none)'}"
            if patient.birth_date:
                who += f", born {_date(patient.birth_date)}"
        if patient.sex:
            who += f", sex {patient.sex}"
        lines.append(who)
        for study in patient.studies:
            desc = f" '{study.description}'" if study.description else ""
            lines.append(f"  study {_date(study.study_date)}{desc}")
            for s in study.series:
                lines.append(f"    {_series_line(s)}")
                lines.extend(f"      ! {p}" for p in s.problems)
            lines.extend(_object_lines(study.objects))
    lines.append(
        f"files: {catalog.dicom_files} DICOM, {catalog.non_dicom_files} not DICOM (ignored), "
        f"{catalog.unreadable_files} unreadable"
    )
    for d in catalog.dicomdirs:
        where = "" if blinded else f" {d.path}"  # folder names on clinical media often carry the patient's name
        listed = f"{d.referenced} files listed, {d.missing} missing" if d.referenced else "lists no files"
        lines.append(f"DICOMDIR{where}: {listed}" + (f" - {d.problem}" if d.problem else ""))
    lines.extend(f"problem: {p}" for p in catalog.problems)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.imaging.catalog import scan
    from sfrt_reader.imaging.errors import NoImageSeriesError

    catalog = scan(args.paths)
    if catalog.dicom_files == 0:
        found = f" ({catalog.non_dicom_files} other files)" if catalog.non_dicom_files else ""
        problems = f"; {catalog.problems[0]}" if catalog.problems else ""
        raise NoImageSeriesError(f"no DICOM file found in {', '.join(map(str, args.paths))}{found}{problems}")
    text = (
        json.dumps(catalog.to_dict(blinded=args.blinded), indent=2)
        if args.json
        else render_tree(catalog, blinded=args.blinded)
    )
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `sfrt-reader scan DIR | head`: the reader stopped listening, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
