"""Scrolling an oblique plane (OBL, through a lesion's long axis) of a 512x512x150 CT: the GUI thread's time per
slice step, and the resampling of one oblique slice.

Every step moves the viewport to an oblique slice not seen before (no cache hit), as a reader scrolling through
the lesion does, and times what the GUI thread spends on the wheel event (the viewport's slice change through
its repaint). Resampling an oblique slice is trilinear interpolation at every display pixel
(`sfrt_reader.imaging.reslice`); the viewport hands it to a worker and shows the newest slice asked for when it
is ready, so the GUI thread's time stays that of a repaint. Printed from the same run:
  - the GUI thread's time per step with the slice resampled on the GUI thread (as before; forced here through
    the viewport's fallback path) and now, and the time until the slice asked for is on screen;
  - resampling of one oblique slice alone: before, trilinear through `Volume.lps_to_index`
    (`ResampledPlane.resample_through_index`, still the path of tilted or unevenly spaced stacks), and now
    (`ResampledPlane.resample`, which on this regular stack goes through SimpleITK), with the largest difference
    between the two;
  - reference: SimpleITK's ResampleImageFilter (linear) resampling the same plane (same size, spacing, position
    and directions) from the same array taken as a regular grid, called directly;
Target: GUI thread median under 30 ms per oblique slice step.

    PYTHONPATH=. python bench/ui_oblique_bench.py
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import SimpleITK as sitk
from body_phantom import body_ct

from sfrt_reader.imaging.reslice import ResampledPlane, oblique_through_axis
from sfrt_reader.imaging.volume import Volume

SLICES, PIXEL, STEP = 150, 0.7, 2.0
STEPS = 20
TARGET_MS = 30.0


def axis(volume: Volume) -> tuple[np.ndarray, np.ndarray]:
    """A 90 mm long axis at 30 degrees in the middle slice (an oblique lesion)."""
    centre = volume.index_to_lps(np.array([256.0, 256.0, SLICES / 2]))
    direction = np.array([np.cos(np.radians(30)), np.sin(np.radians(30)), 0.0])
    return centre - 45 * direction, centre + 45 * direction


def sitk_plane(image: sitk.Image, plane: ResampledPlane, s: int) -> np.ndarray:
    """The same plane with SimpleITK (linear), the array taken as a regular grid (true here: an even stack)."""
    origin = plane.origin + s * plane.spacing_s * plane.normal_vector
    f = sitk.ResampleImageFilter()
    f.SetSize((plane.width, plane.height, 1))
    f.SetOutputSpacing((plane.spacing_u, plane.spacing_v, 1.0))
    f.SetOutputOrigin(tuple(float(v) for v in origin))
    f.SetOutputDirection(tuple(float(v) for v in np.column_stack([plane.right, plane.down, plane.normal]).ravel()))
    f.SetInterpolator(sitk.sitkLinear)
    f.SetDefaultPixelValue(-1000)
    return sitk.GetArrayViewFromImage(f.Execute(image))[0]


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from sfrt_reader.ui.state import ViewportState
    from sfrt_reader.ui.state.planes import Plane
    from sfrt_reader.ui.theme import apply_theme
    from sfrt_reader.ui.viewport import SliceViewport

    volume = body_ct(SLICES, PIXEL, STEP, corner_xy=(-180.0, -180.0))
    start, end = axis(volume)
    image = sitk.GetImageFromArray(volume.array)
    image.SetSpacing((PIXEL, PIXEL, STEP))
    image.SetOrigin((-180.0, -180.0, 0.0))

    plane = oblique_through_axis(volume, Plane.OBLIQUE, start, end)
    print(f"oblique plane: {plane.width} x {plane.height} pixels, {plane.slice_count} slices")
    middle = plane.centre_slice
    plane.resample(middle)  # the series as an ITK image, made once per volume: not a per-slice cost
    through_index, ours, ref = [], [], []
    largest = 0
    for n in range(STEPS):
        s = middle - STEPS // 2 + n
        t = time.perf_counter()
        old = plane.resample_through_index(s)
        through_index.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        new = plane.resample(s)
        ours.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        sitk_plane(image, plane, s)
        ref.append((time.perf_counter() - t) * 1000)
        largest = max(largest, int(np.abs(old.astype(np.int32) - new.astype(np.int32)).max()))

    app = QApplication.instance() or QApplication([])
    apply_theme(app)  # type: ignore[arg-type]
    state = ViewportState()
    viewport = SliceViewport(state)
    viewport.resize(800, 800)
    viewport.show()
    state.set_volume(volume)
    state.set_oblique(start, end)
    app.processEvents()
    while viewport.resampling:
        app.processEvents()
    first = state.slice_index
    plane_shown = state.geometry

    def scroll(step: int) -> tuple[list[float], list[float]]:
        gui, shown = [], []
        for n in range(1, STEPS + 1):
            wanted = first + step * n
            t = time.perf_counter()
            state.set_slice(wanted)
            viewport.viewport().repaint()
            gui.append((time.perf_counter() - t) * 1000)
            while viewport.shown_slice != wanted:
                app.processEvents()
                time.sleep(0.0005)
            shown.append((time.perf_counter() - t) * 1000)
        return gui, shown

    # before: the slice resampled on the GUI thread (the viewport's fallback path, forced here)
    viewport.resampler.failed_plane = plane_shown
    gui_before, _ = scroll(-1)
    viewport.resampler.failed_plane = None
    gui, shown = scroll(+1)
    med = statistics.median
    print(f"one oblique slice, median of {STEPS} (ms):")
    print(f"  before (trilinear through Volume.lps_to_index, irregular stacks' path): {med(through_index):7.1f}")
    print(f"  now (ResampledPlane.resample: SimpleITK on this regular stack):       {med(ours):7.1f}")
    print(f"  reference SimpleITK ResampleImageFilter called directly:              {med(ref):7.1f}")
    print(f"  largest difference between before and now: {largest} HU (float32 rounding ties)")
    print(f"viewport scrolling an oblique plane, median of {STEPS} steps (ms):")
    print(f"  GUI thread per step before (resampled on the GUI thread + repaint):   {med(gui_before):7.1f}")
    print(f"  GUI thread per step now (slice change + repaint, resampled in worker): {med(gui):7.1f}")
    print(f"  until the new slice is on screen (worker resampling included):        {med(shown):7.1f}")
    verdict = "met" if med(gui) < TARGET_MS else "NOT met"
    print(f"target GUI thread median < {TARGET_MS:.0f} ms per oblique step: {verdict}")


if __name__ == "__main__":
    main()
