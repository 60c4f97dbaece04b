"""`sfrt-reader assess CASE.json ...`: RECIST 1.1 and Choi responses of a case document, with the reasons.

The readable table is for a reader checking a case by eye; `--json` prints exactly the output document other
tools consume. Invalid input prints one line per problem, JSON path first, and exits 2; nothing is assessed from
a case with a problem, because a partial assessment could be mistaken for a complete one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sfrt_reader.errors import SfrtError

NAME = "assess"
HELP = "Assess a case document (lesions and measurements per timepoint) by RECIST 1.1 and/or Choi, with reasons."


class AssessUsageError(SfrtError):
    """A command-line mistake (an --option that is not NAME=VALUE, an unknown option name)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cases", nargs="+", metavar="CASE.json", help="case document(s); several are assessed in turn")
    parser.add_argument(
        "--criteria",
        choices=("recist1.1", "choi", "both"),
        default="both",
        help="which criteria to apply (default: both)",
    )
    parser.add_argument("--json", action="store_true", help="print exactly the output document instead of a table")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="protocol option, overriding the case document (e.g. --option randomized=false); repeatable",
    )


def parse_options(items: list[str]) -> dict[str, Any]:
    """`NAME=VALUE` strings as the typed JSON values the options expect (validated later, with the case)."""
    from sfrt_reader.criteria.options import OPTION_NAMES, parse_option_text

    out: dict[str, Any] = {}
    for item in items:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise AssessUsageError(f"--option {item}: expected NAME=VALUE, for example --option min_sd_days=56")
        if name not in OPTION_NAMES:
            raise AssessUsageError(f"--option {name}: unknown option (known: {', '.join(OPTION_NAMES)})")
        out[name] = parse_option_text(name, text)
    return out


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.criteria import CriteriaInputError, assess_document
    from sfrt_reader.criteria.options import convert_options

    overrides = parse_options(args.option)
    _, problems = convert_options(overrides, "--option ")
    if problems:
        raise AssessUsageError("; ".join(problems))
    several = len(args.cases) > 1
    failed = False
    documents: dict[str, Any] = {}
    for name in args.cases:
        try:
            document = _read(Path(name))
            output = assess_document(document, args.criteria, overrides)
        except CriteriaInputError as error:
            failed = True
            if several:
                print(f"== {name}: invalid ==", flush=True)
            for problem in error.problems:
                print(f"{name}: {problem}" if several else problem, file=sys.stderr, flush=True)
            continue
        except SfrtError as error:
            failed = True
            print(f"{name}: {error}", file=sys.stderr, flush=True)
            continue
        if args.json:
            documents[name] = output
        else:
            if several:
                print(f"== {name} ==")
            print(render_table(output, args.criteria))
    if args.json and documents:
        chosen = documents if several else next(iter(documents.values()))
        print(json.dumps(chosen, indent=2))
    return 2 if failed else 0


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise AssessUsageError("file not found: give the path of a case document (JSON)") from error
    except OSError as error:
        raise AssessUsageError(f"cannot read the file ({error.strerror})") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AssessUsageError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}): fix the syntax"
        ) from error


_TITLES = {"recist1.1": "RECIST 1.1", "choi": "Choi"}


def _num(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{suffix}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}%"


def _code(value: Any) -> str:
    return "-" if value is None else ("non-CR/non-PD" if value == "NON_CR_NON_PD" else str(value))


def render_table(output: dict[str, Any], criteria: str) -> str:
    """The readable form: per criterion, a row per timepoint with its reasons underneath, then the best response."""
    blocks = output if criteria == "both" else {criteria: output}
    lines: list[str] = []
    for name, document in blocks.items():
        choi = name == "choi"
        lines.append(_TITLES.get(name, name))
        header = f"  {'timepoint':<12} {'day':>5} {'sum mm':>8} {'vs base':>8} {'vs nadir':>8}"
        if choi:
            header += f" {'HU':>7} {'vs base':>8}"
        header += f"  {'target':<7} {'non-target':<14} {'new':<10} {'overall':<14}"
        lines.append(header.rstrip())
        for tp in document["timepoints"]:
            row = (
                f"  {tp['label']:<12} {tp['day']:>5} {_num(tp['sum_mm']):>8} "
                f"{_signed(tp['change_from_baseline_pct']):>8} {_signed(tp['change_from_nadir_pct']):>8}"
            )
            if choi:
                hu = _num(tp["density_hu"])
                if tp["density_evaluable"] is False:
                    hu += "*"
                row += f" {hu:>7} {_signed(tp['density_change_pct']):>8}"
            row += (
                f"  {_code(tp['target']):<7} {_code(tp['non_target']):<14} {tp['new_lesions']:<10} "
                f"{_code(tp['overall']):<14}"
            )
            lines.append(row.rstrip())
            lines.extend(f"      - {reason}" for reason in tp["reasons"])
        progression = document["progression_day"]
        lines.append(
            f"  best overall response: {_code(document['best_overall_response'])}"
            f"   progression day: {'none' if progression is None else progression}"
        )
        lines.extend(f"      - {reason}" for reason in document["reasons"])
        if choi and any(tp["density_evaluable"] is False for tp in document["timepoints"]):
            lines.append("  (* density not evaluable: the response rests on size alone, see the reasons)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
