"""Memory with five timepoints of a 512x512x150 CT open in the workstation (target: under 2 GB resident), oblique
planes included.

Builds five int16 CT volumes in memory, adds them to the main window (2x2 layout: four shown), scrolls every
viewport through every slice (filling the render caches), then turns every shown viewport to an oblique plane
through a 90 mm long axis and scrolls 20 oblique slices in each (resampled in the worker, as a reader scrolls).
Reports the peak resident set size, the resident size before the oblique planes and after them (what the
oblique planes keep while the series stay open), and the peak and kept memory of the oblique planes alone.
References from the same run, each a fresh process:
  - the same five numpy arrays alone, no UI: the floor that the pixel data alone cost;
  - the same arrays plus one SimpleITK image of each shown series, as the oblique planes made once per series
    until they sampled the series' own array (`sitk.GetImageFromArray` copies; SimpleITK 2.5 has no view):
    what that path kept while the series stayed open.

    PYTHONPATH=. python bench/ui_memory_bench.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHAPE = (150, 512, 512)
COUNT = 5
SHOWN = 4
OBLIQUE_STEPS = 20
TARGET_MB = 2048.0

CHILD = r"""
import os, resource, sys
import numpy as np
from sfrt_reader.imaging.volume import Volume

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return float(line.split()[1]) / 1024.0
    return float("nan")

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

def volumes():
    out = []
    for n in range(5):
        rng = np.random.default_rng(n)
        array = rng.integers(-1000, 1500, size=(150, 512, 512), dtype=np.int16)
        positions = np.array([[-180.0, -180.0, 2.0 * k + n] for k in range(150)])
        out.append(Volume(array, (0.7, 0.7), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), positions, label=f"tp{n}"))
    return out

def long_axis(volume):
    centre = volume.index_to_lps(np.array([256.0, 256.0, 75.0]))
    direction = np.array([np.cos(np.radians(30)), np.sin(np.radians(30)), 0.0])
    return centre - 45 * direction, centre + 45 * direction

mode = sys.argv[1]
vols = volumes()
figures = {}
if mode == "ui":
    import time
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
    app.processEvents()
    figures["before_oblique"] = rss_mb()
    figures["peak_before_oblique"] = peak_mb()
    import scipy.ndimage  # the oblique planes' interpolation: the import's own share is reported apart
    figures["after_import"] = rss_mb()
    for viewport in win.grid.viewports:
        start, end = long_axis(viewport.state.volume)
        viewport.state.set_oblique(start, end)
        app.processEvents()
        first = viewport.state.slice_index
        for n in range(1, int(sys.argv[3]) + 1):
            wanted = first + n
            viewport.state.set_slice(wanted)
            viewport.viewport().repaint()
            while viewport.shown_slice != wanted:
                app.processEvents()
                time.sleep(0.0005)
    app.processEvents()
    figures["after_oblique"] = rss_mb()
elif mode == "itk":
    import SimpleITK as sitk
    figures["before_oblique"] = rss_mb()  # after the import of SimpleITK
    images = []
    for v in vols[: int(sys.argv[3])]:
        image = sitk.GetImageFromArray(np.ascontiguousarray(v.array))
        image.SetSpacing((0.7, 0.7, 2.0))
        images.append(image)
    figures["after_oblique"] = rss_mb()
figures["peak"] = peak_mb()
print(" ".join(f"{k}={v:.1f}" for k, v in figures.items()))
"""


def _run(mode: str, settings: str, extra: int = 0) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, settings, str(extra)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    last = result.stdout.strip().splitlines()[-1]
    return {key: float(value) for key, value in (item.split("=") for item in last.split())}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = os.path.join(tmp, "settings.ini")
        ui = _run("ui", settings, OBLIQUE_STEPS)
        arrays = _run("arrays", settings)
        itk = _run("itk", settings, SHOWN)
    raw = COUNT * SHAPE[0] * SHAPE[1] * SHAPE[2] * 2 / 2**20
    series = raw / COUNT
    print(f"five timepoints of {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]} int16 CT ({raw:.0f} MB, {series:.0f} MB a series)")
    print("  sfrt-reader main window, 2x2, all viewports scrolled end to end, then an oblique plane in each of the")
    print(f"  {SHOWN} shown viewports, {OBLIQUE_STEPS} oblique slices scrolled in each:")
    print(f"    peak RSS {ui['peak']:.0f} MB (before the oblique planes: {ui['peak_before_oblique']:.0f} MB)")
    oblique_peak = ui["peak"] - ui["peak_before_oblique"]
    kept = ui["after_oblique"] - ui["before_oblique"]
    imported = ui["after_import"] - ui["before_oblique"]
    print(
        f"    oblique planes: peak +{oblique_peak:.0f} MB, kept +{kept:.0f} MB while the series stay open, of which"
        f" {imported:.0f} MB the import of scipy.ndimage (once per process)"
    )
    print(f"    (resident {ui['before_oblique']:.0f} MB before, {ui['after_oblique']:.0f} MB after)")
    print(f"  reference: the same numpy arrays alone, no UI:                 peak RSS {arrays['peak']:.0f} MB")
    itk_kept = itk["after_oblique"] - itk["before_oblique"]
    print(
        f"  reference: the arrays plus a SimpleITK image of each of the {SHOWN} shown series (the former oblique path):"
        f" peak RSS {itk['peak']:.0f} MB, kept +{itk_kept:.0f} MB ({itk_kept / SHOWN:.0f} MB a series, the import of"
        " SimpleITK apart)"
    )
    print(f"  overhead of the workstation: {ui['peak'] - arrays['peak']:.0f} MB")
    met = ui["peak"] < TARGET_MB
    print(f"target peak < {TARGET_MB:.0f} MB, oblique planes included: {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
