"""The `sfrt-reader` command line. With no sub-command it opens the workstation (`gui`).

Sub-commands live in `sfrt_reader.commands`, one module each, discovered at start-up. Errors the user can cause
(`SfrtError`) print one line and exit 2; anything else is a bug, reported without patient data and with the
exception type only, so that a crash never prints identifiers to a shared terminal.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys
from collections.abc import Sequence
from types import ModuleType

from sfrt_reader import __version__
from sfrt_reader.errors import SfrtError

_NEGATIVE_VALUE = re.compile(r"^-\d|^-\.\d")


def glue_negative_values(argv: Sequence[str]) -> list[str]:
    """Turn `--seed -12.5,30,40` into `--seed=-12.5,30,40`.

    LPS coordinates are negative half the time, and argparse takes a token that starts with '-' and is not a
    plain number for an option. No option of ours starts with a digit, so gluing is unambiguous.
    """
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        token = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        if token.startswith("--") and "=" not in token and nxt is not None and _NEGATIVE_VALUE.match(nxt):
            out.append(f"{token}={nxt}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def _command_modules() -> list[ModuleType]:
    import sfrt_reader.commands as package

    modules = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            modules.append(module)
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sfrt-reader",
        description="Tumour response reading workstation (RECIST 1.1 and Choi) for serial CT and MRI.",
    )
    parser.add_argument("--version", action="version", version=f"sfrt-reader {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(child)
        child.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    has_gui = any(module.NAME == "gui" for module in _command_modules())
    if has_gui and (not args_in or args_in[0].startswith("--db")):
        args_in = ["gui", *args_in]
    args = parser.parse_args(glue_negative_values(args_in))
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 2
    try:
        code = int(run(args) or 0)
        sys.stdout.flush()
        return code
    except SfrtError as error:
        print(f"sfrt-reader {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("sfrt-reader: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`sfrt-reader scan DIR | head`): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
