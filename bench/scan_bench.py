"""Header scan speed: `sfrt_reader.imaging.scan` vs SimpleITK's GDCM scanner on the same folder, warm cache.

Run: PYTHONPATH=. python bench/scan_bench.py [--files 3000] [--folder DIR]
Generates (once, in a temporary folder) a few thousand small CT files in 10 series unless --folder is given, and
also times the real-data samples when SFRT_REALDATA is set. Prints files/s for: a bare
pydicom.dcmread(stop_before_pixels=True) loop, our scan (1 thread and 2 threads), and SimpleITK
GetGDCMSeriesIDs + GetGDCMSeriesFileNames; the target is scan >= 2x SimpleITK. Each figure is the median of
--repeats runs (interleaved with the other readers', so that load from other processes hits all alike), after one
warm-up run of each that fills the page cache; all readers read the same files in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sfrt_reader.imaging import scan
from tests.imaging.dicom_factory import SeriesSpec, write_series


def make_folder(root: Path, files: int) -> Path:
    per_series = max(1, files // 10)
    for s in range(10):
        spec = SeriesSpec(n=per_series, rows=64, columns=64, series_number=s + 1, seed=s)
        write_series(root / f"series{s:02d}", spec)
    return root


def files_under(folder: Path) -> list[str]:
    return [os.path.join(d, f) for d, _, names in os.walk(folder) for f in names]


def median_rates(runs: dict[str, Callable[[], object]], count: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Files per second of each run by wall clock and by CPU time (user + system of this process; GDCM runs
    in-process), median of `repeats`, the runs interleaved so that load from other processes hits all alike.
    The median, not the best run: it is what a user sees on a shared machine, and it is robust to one lucky or
    one stalled run of either reader."""
    for run in runs.values():
        run()  # warm the page cache and imports
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: (count / statistics.median(wall[name]), count / statistics.median(cpu[name])) for name in runs}


def sitk_scan(folder: Path) -> dict[str, int]:
    """Files per SeriesInstanceUID as GDCM groups them."""
    reader = sitk.ImageSeriesReader()
    found: dict[str, int] = {}
    for directory, _, names in os.walk(folder):  # GDCM's scanner is not recursive: give it every folder with files
        if not names:
            continue
        for uid in reader.GetGDCMSeriesIDs(directory):
            found[uid] = found.get(uid, 0) + len(reader.GetGDCMSeriesFileNames(directory, uid))
    return found


def same_series(folder: Path) -> bool:
    """Both readers must find the same series with the same files, or the race is not the same race."""
    ours: dict[str, int] = {}
    for series in scan(folder).series():
        uid = series.series_instance_uid
        ours[uid] = ours.get(uid, 0) + len({f.path for f in series.frames})
    theirs = sitk_scan(folder)
    return ours == theirs


def measure(folder: Path, repeats: int, label: str) -> bool:
    paths = files_under(folder)
    n = len(paths)
    rates = median_rates(
        {
            "bare": lambda: [pydicom.dcmread(p, stop_before_pixels=True, force=True) for p in paths],
            "ours": lambda: scan(folder),
            "ours2": lambda: scan(folder, workers=2),
            "ref": lambda: sitk_scan(folder),
        },
        n,
        repeats,
    )
    print(f"{label}: {n} files (files/s by wall clock, and by CPU time; median of {repeats} runs)")
    names = {
        "bare": "pydicom dcmread loop (reference floor)",
        "ours": "sfrt scan, 1 thread",
        "ours2": "sfrt scan, 2 threads",
        "ref": "SimpleITK GDCM scanner",
    }
    for key, text in names.items():
        print(f"  {text:40s} {rates[key][0]:8.0f} wall {rates[key][1]:8.0f} CPU")
    ratio_wall = rates["ours"][0] / rates["ref"][0]
    ratio_cpu = rates["ours"][1] / rates["ref"][1]
    met = ratio_wall >= 2.0
    print(
        f"  ratio scan / SimpleITK = {ratio_wall:.2f} wall, {ratio_cpu:.2f} CPU (target >= 2.0 wall): "
        f"{'MET' if met else 'NOT MET'}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        f"pydicom {pydicom.__version__}, SimpleITK {sitk.Version_VersionString()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    if args.folder:
        measure(args.folder, args.repeats, str(args.folder.name))
    else:
        with tempfile.TemporaryDirectory(prefix="scan_bench_") as tmp:
            folder = make_folder(Path(tmp), args.files)
            print(f"same series and files found by both readers: {same_series(folder)}")
            measure(folder, args.repeats, "generated 64x64 CT, 10 series")
    realdata = os.environ.get("SFRT_REALDATA")
    if realdata:
        measure(Path(realdata), args.repeats, "real-data samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
