"""Memory with five timepoints of a 512x512x150 CT open in the workstation (target: under 2 GB resident).

Builds five int16 CT volumes in memory, adds them to the main window (2x2 layout: four shown), scrolls every
viewport through every slice (filling the render caches) and reports the peak resident set size. Reference from
the same run: the process's peak after allocating the same five numpy arrays without any UI, i.e. the floor that
the pixel data alone costs.

    PYTHONPATH=. python bench/ui_memory_bench.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHAPE = (150, 512, 512)
COUNT = 5
TARGET_MB = 2048.0

CHILD = r"""
import os, resource, sys
import numpy as np
from sfrt_reader.imaging.volume import Volume

def volumes():
    out = []
    for n in range(5):
        rng = np.random.default_rng(n)
        array = rng.integers(-1000, 1500, size=(150, 512, 512), dtype=np.int16)
        positions = np.array([[-180.0, -180.0, 2.0 * k + n] for k in range(150)])
        out.append(Volume(array, (0.7, 0.7), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), positions, label=f"tp{n}"))
    return out

mode = sys.argv[1]
vols = volumes()
if mode == "ui":
    from PySide6.QtCore import QSettings
    from sfrt_reader.ui.app import application
    from sfrt_reader.ui.main_window import MainWindow
    from sfrt_reader.ui.state.hanging import Layout
    app = application()
    win = MainWindow(settings=QSettings(sys.argv[2], QSettings.Format.IniFormat))
    win.set_layout(Layout.TWO_BY_TWO)
    win.resize(1600, 900)
    win.show()
    for v in vols:
        win.add_volume(v, v.label)
    app.processEvents()
    win.set_linked(False)
    for viewport in win.grid.viewports:
        for k in range(viewport.state.slice_count):
            viewport.state.set_slice(k)
            viewport.viewport().repaint()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
"""


def _peak_mb(mode: str, settings: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, settings], capture_output=True, text=True, check=True, env=os.environ
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = os.path.join(tmp, "settings.ini")
        ui = _peak_mb("ui", settings)
        arrays = _peak_mb("arrays", settings)
    raw = COUNT * SHAPE[0] * SHAPE[1] * SHAPE[2] * 2 / 2**20
    print(f"five timepoints of {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]} int16 CT ({raw:.0f} MB of pixels), every slice shown")
    print(f"  sfrt-reader main window, 2x2, all viewports scrolled end to end: peak RSS {ui:.0f} MB")
    print(f"  reference: the same numpy arrays alone, no UI:                 peak RSS {arrays:.0f} MB")
    print(f"  overhead of the workstation: {ui - arrays:.0f} MB")
    met = ui < TARGET_MB
    print(f"target peak < {TARGET_MB:.0f} MB: {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    _ = resource  # the child processes measure themselves
    raise SystemExit(main())
