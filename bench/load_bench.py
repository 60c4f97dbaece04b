"""Series load speed, peak memory and time to first slice: `load_series` vs SimpleITK's ImageSeriesReader.

Run: PYTHONPATH=. python bench/load_bench.py [--slices 300] [--repeats 3]
Writes a 512x512 CT series (int16, intercept -1024, noisy so that nothing compresses in the page cache) into a
temporary folder, then measures each reader in a fresh subprocess, --repeats runs interleaved, warm cache
(median time, highest peak memory):
  - time: ours = scan + load_series; SimpleITK = GetGDCMSeriesIDs + GetGDCMSeriesFileNames + Execute
    (and the load alone, file list known, for both);
  - peak memory: peak RSS of the subprocess minus its RSS after imports, against the final array size;
  - time to first slice: from the call to load_series until the progress callback hands over slice 0.
Targets: time <= 1.2x SimpleITK, peak memory <= 1.5x the final array, first slice <= 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process from /proc; ru_maxrss is not used because Linux carries it
    over from the parent across fork+exec, which hid the child's own peak."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _base_mb() -> float:
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def child(kind: str, folder: str) -> dict[str, float]:
    """Runs in a fresh interpreter: one load, its timings and memory."""
    if kind == "sitk":
        import SimpleITK as sitk

        base = _base_mb()
        start = time.perf_counter()
        reader = sitk.ImageSeriesReader()
        (uid,) = reader.GetGDCMSeriesIDs(folder)
        names = reader.GetGDCMSeriesFileNames(folder, uid)
        listed = time.perf_counter()
        reader.SetFileNames(names)
        image = reader.Execute()
        array = sitk.GetArrayViewFromImage(image)
        end = time.perf_counter()
        return {
            "total_s": end - start,
            "load_s": end - listed,
            "peak_mb": _peak_mb() - base,
            "array_mb": array.nbytes / 2**20,
            "dtype": str(array.dtype),
        }
    from sfrt_reader.imaging import load_series, scan

    base = _base_mb()
    start = time.perf_counter()
    (series,) = scan(folder).series()
    listed = time.perf_counter()
    first: list[float] = []

    def progress(done: int, total: int, ready: object) -> None:
        if done == 1:
            first.append(time.perf_counter() - listed)

    volume = load_series(series, progress)
    end = time.perf_counter()
    return {
        "total_s": end - start,
        "load_s": end - listed,
        "first_slice_s": first[0],
        "peak_mb": _peak_mb() - base,
        "array_mb": volume.array.nbytes / 2**20,
        "dtype": str(volume.array.dtype),
    }


def run_child(kind: str, folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def make_series(folder: Path, slices: int) -> None:
    from tests.imaging.dicom_factory import SeriesSpec, write_series

    noise = np.random.default_rng(0).integers(-60, 60, size=(512, 512))
    spec = SeriesSpec(
        n=slices,
        rows=512,
        columns=512,
        pixel_spacing=(0.78, 0.78),
        step=2.5,
        value=lambda i, j, k: (np.asarray(i) // 4 + np.asarray(j) // 4 + k + noise - 200).astype(np.int32),
    )
    write_series(folder, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    import pydicom
    import SimpleITK as sitk

    print(
        f"pydicom {pydicom.__version__}, SimpleITK {sitk.Version_VersionString()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="load_bench_") as tmp:
        folder = Path(tmp)
        make_series(folder, args.slices)
        run_child("ours", folder)  # warm the page cache
        run_child("sitk", folder)
        results: dict[str, list[dict[str, float]]] = {"ours": [], "sitk": []}
        for _ in range(args.repeats):
            for kind in ("sitk", "ours"):
                results[kind].append(run_child(kind, folder))
    for kind, runs in results.items():
        for r in runs:
            print(
                f"  run {kind}: "
                + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())
            )
    # Times: the median run (robust to one stalled or lucky run on a shared machine); memory: the worst run.
    ours = {k: statistics.median(r[k] for r in results["ours"]) for k in ("total_s", "load_s", "first_slice_s")}
    ref = {k: statistics.median(r[k] for r in results["sitk"]) for k in ("total_s", "load_s")}
    ours["peak_mb"] = max(r["peak_mb"] for r in results["ours"])
    ref["peak_mb"] = max(r["peak_mb"] for r in results["sitk"])
    array_mb = results["ours"][0]["array_mb"]
    print(f"{args.slices} slices of 512x512 CT: median time and highest peak memory of {args.repeats} runs each")
    print(
        f"  sfrt load_series: {ours['total_s']:.2f} s with scan, {ours['load_s']:.2f} s load only, "
        f"array {array_mb:.0f} MB {results['ours'][0]['dtype']}, peak +{ours['peak_mb']:.0f} MB, "
        f"first slice after {ours['first_slice_s'] * 1000:.0f} ms"
    )
    print(
        f"  SimpleITK ImageSeriesReader: {ref['total_s']:.2f} s with scan, {ref['load_s']:.2f} s load only, "
        f"array {results['sitk'][0]['array_mb']:.0f} MB {results['sitk'][0]['dtype']}, peak +{ref['peak_mb']:.0f} MB"
    )
    time_ratio = ours["total_s"] / ref["total_s"]
    mem_ratio = ours["peak_mb"] / array_mb
    checks = [
        (f"time ours/SimpleITK = {time_ratio:.2f} (target <= 1.2)", time_ratio <= 1.2),
        (f"peak memory / final array = {mem_ratio:.2f} (target <= 1.5)", mem_ratio <= 1.5),
        (f"first slice {ours['first_slice_s']:.3f} s (target <= 0.3 s)", ours["first_slice_s"] <= 0.3),
    ]
    for text, ok in checks:
        print(f"  {text}: {'MET' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
