"""App start to a usable window, as a subprocess (target: under 2 s).

Runs `python -m sfrt_reader gui --screenshot X` offscreen: interpreter start, imports, QApplication, theme, main
window with toolbar and icons, shown, one full event-loop pass, window grabbed to a PNG, exit. That wall time is an
upper bound of "start to usable window". Reference from the same run: a bare PySide6 program that shows an empty
QMainWindow, grabs it and exits (the floor any Qt application pays on this machine), and the same after importing
numpy (the floor of a Qt + numpy application). The machine's load average is printed: on a shared, loaded machine
every figure grows together.

    PYTHONPATH=. python bench/ui_start_bench.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
TARGET_S = 2.0

BARE_QT = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1600, 900); w.show(); app.processEvents()
w.grab().save(sys.argv[1]); w.close()
"""


def _time(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=120)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(Path(tmp) / "config"))
        env.pop("DISPLAY", None)
        shot = str(Path(tmp) / "start.png")
        ours = [_time([sys.executable, "-m", "sfrt_reader", "gui", "--screenshot", shot], env) for _ in range(RUNS)]
        bare = [_time([sys.executable, "-c", BARE_QT, shot], env) for _ in range(RUNS)]
        floor = [_time([sys.executable, "-c", "import numpy\n" + BARE_QT, shot], env) for _ in range(RUNS)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"app start -> usable window (offscreen, subprocess, {RUNS} runs; load average {load:.2f})")
    print(f"  sfrt-reader gui --screenshot: median {statistics.median(ours):.2f} s (min {min(ours):.2f} s)")
    print(f"  reference: bare PySide6 QMainWindow show + grab: median {statistics.median(bare):.2f} s")
    print(f"  reference: the same with numpy imported first:   median {statistics.median(floor):.2f} s")
    met = statistics.median(ours) < TARGET_S
    print(f"target median < {TARGET_S:g} s: {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
