"""Slice change -> repaint time of one SliceViewport at 512x512, offscreen (target: median under 16 ms).

Each iteration moves to a slice not seen before (no cache hit) and forces a synchronous repaint of the viewport
(window/level lookup, QImage, scaled draw, corner text, scale bar). References from the same run, same slices:
  - matplotlib: imshow(vmin/vmax) set_data + Agg canvas draw (what a quick numpy viewer would do);
  - plain float numpy windowing + QImage + QPainter draw into an image of the viewport's size.

    PYTHONPATH=. python bench/ui_repaint_bench.py
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.state import ViewportState
from sfrt_reader.ui.theme import apply_theme
from sfrt_reader.ui.viewport import SliceViewport

SIZE = 512
SLICES = 120
VIEW = 800
TARGET_MS = 16.0


def ct_volume() -> Volume:
    """A 512x512 CT-like stack: body ellipse of soft tissue with noise, air outside, int16 HU."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    body = ((xx - 256) / 220.0) ** 2 + ((yy - 256) / 170.0) ** 2 <= 1.0
    array = np.full((SLICES, SIZE, SIZE), -1000, dtype=np.int16)
    for k in range(SLICES):
        noise = rng.normal(40, 25, size=(SIZE, SIZE)).astype(np.int16)
        array[k][body] = noise[body]
    positions = np.array([[-180.0, -180.0, 2.5 * k] for k in range(SLICES)])
    return Volume(array, (0.7, 0.7), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), positions, series_description="bench")


def numpy_float_paint(volume: Volume, k: int, target: QImage) -> None:
    """Reference: window in float64 numpy, wrap as a Grayscale8 QImage, draw it scaled into the viewport's size."""
    lo, width = 40 - 200, 400.0
    pixels = np.clip((volume.array[k].astype(np.float64) - lo) / width * 255.0, 0, 255).astype(np.uint8)
    image = QImage(pixels.data, SIZE, SIZE, SIZE, QImage.Format.Format_Grayscale8)
    painter = QPainter(target)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawImage(QRectF(0, 0, VIEW, VIEW), image)
    painter.end()


def bench_interleaved(app: QApplication, volume: Volume) -> tuple[list[float], list[float]]:
    """Ours and the numpy reference on the same slice, one after the other, so both see the same machine load."""
    view = SliceViewport(ViewportState(volume))
    view.resize(VIEW, VIEW)
    view.show()
    app.processEvents()
    target = QImage(VIEW, VIEW, QImage.Format.Format_RGB32)
    ours, plain = [], []
    for k in range(SLICES):
        t0 = time.perf_counter()
        view.state.set_slice(k)
        view.viewport().repaint()
        t1 = time.perf_counter()
        numpy_float_paint(volume, k, target)
        t2 = time.perf_counter()
        ours.append((t1 - t0) * 1000)
        plain.append((t2 - t1) * 1000)
    view.close()
    view.deleteLater()
    app.processEvents()
    return ours[1:], plain[1:]


def bench_matplotlib(volume: Volume) -> list[float] | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(VIEW / 100, VIEW / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    shown = ax.imshow(volume.array[0], cmap="gray", vmin=-160, vmax=240, interpolation="bilinear")
    canvas.draw()
    times = []
    for k in range(0, SLICES, 4):
        t0 = time.perf_counter()
        shown.set_data(volume.array[k])
        canvas.draw()
        times.append((time.perf_counter() - t0) * 1000)
    return times[1:]


def main() -> int:
    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    volume = ct_volume()
    ours, plain = bench_interleaved(app, volume)
    mpl = bench_matplotlib(volume)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"slice change -> repaint, {SIZE}x{SIZE} int16 CT, viewport {VIEW}x{VIEW}, offscreen, {len(ours)} new slices")
    print(f"  machine load average (1 min): {load:.2f} on {os.cpu_count()} cores")
    print(
        "  sfrt-reader SliceViewport (LUT -> RGB32, full repaint with overlays): "
        f"median {statistics.median(ours):.2f} ms, p95 {np.percentile(ours, 95):.2f} ms"
    )
    print(
        f"  reference: float numpy windowing + Grayscale8 QImage + scaled draw (no overlays): median "
        f"{statistics.median(plain):.2f} ms"
    )
    if mpl is not None:
        print(f"  reference: matplotlib imshow set_data + Agg canvas draw: median {statistics.median(mpl):.2f} ms")
    met = statistics.median(ours) < TARGET_MS
    print(f"target median < {TARGET_MS:g} ms: {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
