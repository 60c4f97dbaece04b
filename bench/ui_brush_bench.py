"""GUI-thread time of one brush stroke on a large lesion, before and after the stroke moved to a worker.

Set-up: one demo subject generated at 512 x 512 (80 slices of 2.5 mm), imported into a demo database and opened in
the reading window like `sfrt-reader demo` does; the baseline tumour's true mask (about half a million voxels) is
accepted as its segmentation. Then strokes of a 6 mm brush cross the tumour's rim on its largest slice, alternately
adding and erasing, each sent to the window's brush handler as a finished mouse stroke would be.

Per stroke, all on the same mask and the same stroke, in the same run:
  - before: what the GUI thread did per stroke until now: the new mask on the whole series grid (`brush_stroke`,
    the code the handler used to call) plus pushing the undo step (shown, measurement started);
  - after: the GUI thread's work now: queueing the stroke (`on_stroke`) plus pushing the undo step when the
    worker's mask arrives (`_on_painted`); the mask itself is computed in a worker inside the lesion's box;
  - reference: `apply_brush_stroke` alone (new mask + its measurement), what a script without a GUI would pay;
  - also printed: the worker's own time for the mask, and the GUI-thread time of saving the measured result:
    before, the save on the GUI thread (the same lesion objects written with `record_measurement` and the read
    read back and shown, as `sync_measurements` did); now, what stays on the GUI thread (the segmentation's lines
    redrawn and the save queued, then the read-back shown when the save queue's worker has written it), with the
    worker's time for the write and read-back.
Target: the GUI thread's median time per stroke under 50 ms (a stroke must not stall scrolling or the next stroke).

    PYTHONPATH=. python bench/ui_brush_bench.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

SUBJECT = "demo-01"  # the largest baseline tumour of the demo trial
STROKES = 12
RADIUS_MM = 6.0
TARGET_MS = 50.0


def timed(store: list[float], call: Callable[..., Any]) -> Callable[..., Any]:
    """`call`, adding its duration (ms) to `store` each time."""

    def wrapper(*args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return call(*args)
        finally:
            store.append((time.perf_counter() - t0) * 1000.0)

    return wrapper


def rim_strokes(volume: Any, mask: np.ndarray, k: int) -> list[tuple[np.ndarray, bool]]:
    """STROKES short strokes across the rim of the mask on slice k, at evenly spread angles, add / erase in turn."""
    jj, ii = np.nonzero(mask[k])
    cj, ci = float(jj.mean()), float(ii.mean())
    out = []
    for n in range(STROKES):
        angle = 2 * np.pi * n / STROKES
        direction = np.array([np.cos(angle), np.sin(angle)])
        # the farthest mask pixel along this direction: the rim
        along = (ii - ci) * direction[0] + (jj - cj) * direction[1]
        reach = float(along.max())
        points = []
        for f in (-0.12, 0.0, 0.12):
            r = reach * (1 + f)
            points.append([ci + r * direction[0] + 4 * f * direction[1], cj + r * direction[1], k])
        out.append((volume.index_to_lps(np.asarray(points, dtype=np.float64)), n % 2 == 1))
    return out


def main() -> None:
    from PySide6.QtCore import QSettings

    from sfrt_reader.commands.demo import prepare_demo
    from sfrt_reader.imaging.demo_trial import generate_demo_trial, load_mask
    from sfrt_reader.measurement.brush import apply_brush_stroke, brush_stroke, painted_segmentation
    from sfrt_reader.measurement.lesion_mask import LesionSegmentation
    from sfrt_reader.measurement.lesion_metrics import measure_segmentation
    from sfrt_reader.reading import ReadingService, open_database
    from sfrt_reader.trial.expected import expected_responses
    from sfrt_reader.ui.app import application
    from sfrt_reader.ui.reading_window import ReadingWindow

    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate_demo_trial(root / "trial", size=512, subjects=(SUBJECT,), expected=expected_responses)
        setup = prepare_demo(root, "local", 512, quiet=True)
        print(f"demo subject at 512 x 512 generated and imported in {time.perf_counter() - t0:.1f} s")
        session = ReadingService(open_database(setup.database)).login("local", "demo-local")
        window = ReadingWindow(session, SUBJECT, settings=QSettings(str(root / "s.ini"), QSettings.Format.IniFormat))
        window.resize(1500, 950)
        window.show()
        deadline = time.monotonic() + 600
        while (window.tasks or len(window.volume_of) < len(window.images)) and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        label = window.reading_label
        volume = window.volume_of[label]
        labels, geometry = load_mask(root / "trial" / SUBJECT / "masks" / f"{label}.npz")
        if labels.shape != volume.shape or not np.allclose(geometry["positions_lps"], volume.positions):
            raise SystemExit("the demo's truth mask is not on the loaded series' grid")
        truth = LesionSegmentation.from_full_mask(volume, labels == 1, method="demo truth")
        window.session.add_lesion(window.read_id, "T1", "target", "thigh", False, label=label)
        window.refresh_read()
        window.active_lesion = "T1"
        window.proposal = (label, "T1", measure_segmentation(volume, truth))
        window._accept_segmentation()
        key = (label, "T1")
        viewport = window.reading_viewport()
        k = int(np.argmax((labels == 1).sum(axis=(1, 2))))
        print(f"lesion: {truth.voxels} voxels, box {truth.mask.shape}, series {volume.shape}; strokes on slice {k}")

        masks = window.masks
        gui_painted: list[float] = []
        gui_saved: list[float] = []
        masks._on_painted = timed(gui_painted, masks._on_painted)  # type: ignore[method-assign]
        masks._on_measured = timed(gui_saved, masks._on_measured)  # type: ignore[method-assign]
        gui_shown: list[float] = []
        window.show_read_view = timed(gui_shown, window.show_read_view)  # type: ignore[method-assign]
        worker_save_ms: list[float] = []
        submit = masks.saver.submit

        def timed_submit(job: Any) -> None:
            job.work = timed(worker_save_ms, job.work)
            submit(job)

        masks.saver.submit = timed_submit  # type: ignore[method-assign]
        sync_save_ms: list[float] = []
        queue_ms: list[float] = []
        full_grid_ms: list[float] = []
        boxed_ms: list[float] = []
        reference_ms: list[float] = []
        for path, erase in rim_strokes(volume, labels == 1, k):
            base = masks.mask(key)
            assert base is not None
            mode = "erase" if erase else "add"
            t = time.perf_counter()
            old = brush_stroke(volume, base, path, RADIUS_MM, mode)
            full_grid_ms.append((time.perf_counter() - t) * 1000.0)
            t = time.perf_counter()
            new = painted_segmentation(volume, base, path, RADIUS_MM, mode)
            boxed_ms.append((time.perf_counter() - t) * 1000.0)
            t = time.perf_counter()
            apply_brush_stroke(volume, base, path, RADIUS_MM, mode)
            reference_ms.append((time.perf_counter() - t) * 1000.0)
            assert new == old
            t = time.perf_counter()
            masks.on_stroke(viewport, k, path, RADIUS_MM, erase)
            queue_ms.append((time.perf_counter() - t) * 1000.0)
            while masks.busy:
                app.processEvents()
                time.sleep(0.002)
            if masks.mask(key) != old or window.errors:
                raise SystemExit(f"the stroke did not give the expected mask: {window.errors}")
            # the save as the GUI thread did it before: the same objects written, the read read back and shown
            objects, drawn = window._lesion_objects("T1")
            values = window._values(drawn, window.segmentations.get(key))
            t = time.perf_counter()
            window.session.record_measurement(window.read_id, label, "T1", "measured", objects=objects, **values)
            window.read = window.session.view(window.read_id)  # refresh_read as it was, untimed by gui_shown
            window._refresh_panels()
            window.read_changed.emit()
            sync_save_ms.append((time.perf_counter() - t) * 1000.0)
        window.close()

    before = [a + b for a, b in zip(full_grid_ms, gui_painted, strict=True)]
    after = [a + b for a, b in zip(queue_ms, gui_painted, strict=True)]
    med = statistics.median
    print(f"GUI thread per stroke, median of {len(after)} strokes (ms):")
    print(f"  before (full-grid mask on the GUI thread + undo step): {med(before):8.1f}")
    print(f"  after  (queue {med(queue_ms):.2f} + undo step {med(gui_painted):.1f}):            {med(after):8.1f}")
    saved_now = [a + b for a, b in zip(gui_saved, gui_shown, strict=True)]
    print("GUI thread per stroke for saving the measured result, median (ms):")
    print(f"  before (written and read back on the GUI thread):        {med(sync_save_ms):8.1f}")
    print(
        f"  now (lines + queue {med(gui_saved):.1f}, read-back shown {med(gui_shown):.1f}):       {med(saved_now):8.1f}"
    )
    print(f"  the save queue's worker (write + read back):             {med(worker_save_ms):8.1f}")
    print("work per stroke, median (ms):")
    print(f"  mask on the whole grid (brush_stroke, the old path):     {med(full_grid_ms):8.1f}")
    print(f"  mask inside the lesion's box (the worker's path):        {med(boxed_ms):8.1f}")
    print(f"  reference apply_brush_stroke (mask + measurement):       {med(reference_ms):8.1f}")
    verdict = "met" if med(after) < TARGET_MS else "NOT met"
    print(f"target GUI-thread median < {TARGET_MS:.0f} ms per stroke: {verdict}")


if __name__ == "__main__":
    main()
