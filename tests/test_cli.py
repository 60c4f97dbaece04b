"""The command-line dispatcher: negative coordinates, closed pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sfrt_reader.cli import glue_negative_values


def test_negative_values_are_glued_to_their_option() -> None:
    assert glue_negative_values(["measure", "d", "--seed", "-12.5,30,40"]) == ["measure", "d", "--seed=-12.5,30,40"]
    assert glue_negative_values(["--seed=-1,2,3"]) == ["--seed=-1,2,3"]
    assert glue_negative_values(["--json", "-h"]) == ["--json", "-h"]
    assert glue_negative_values(["--circle", "-.5,1,2,3"]) == ["--circle=-.5,1,2,3"]


def test_closed_pipe_is_not_a_traceback() -> None:
    examples = sorted(str(p) for p in (Path(__file__).parent.parent / "examples").glob("*.json"))
    assert examples, "the worked examples are missing"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfrt_reader", "assess", *examples],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before the first line, as `| head -0` would
    _, err = proc.communicate()
    assert b"Traceback" not in err
    assert b"BrokenPipe" not in err
