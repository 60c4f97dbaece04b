"""Resampled slices (oblique planes, reformats of tilted or unevenly spaced stacks) made in a worker thread.

Why: one oblique slice of a 512 x 512 x 150 CT is trilinear interpolation at ~90 000 display pixels, 10 to 16 ms
at a load average of 4 and several times that on a busier machine (bench/ui_oblique_bench.py), too much for the
GUI thread while the reader scrolls. The viewport asks for the slice it shows; while one is being resampled it
keeps the previous slice of the same plane on screen, and when the worker is done it asks again for whatever slice
it shows by then, so the newest request wins and the slices scrolled past are never computed.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from sfrt_reader.imaging.reslice import ResampledPlane


class ResampleSignals(QObject):
    done = Signal(object, object)  # task, image (None when resampling failed)


class ResampleTask(QRunnable):
    """`plane.resample(slice_index)` off the GUI thread (read-only: see `ResampledPlane.resample`)."""

    def __init__(self, plane: ResampledPlane, slice_index: int) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.plane, self.slice_index = plane, slice_index
        self.signals = ResampleSignals()

    def run(self) -> None:
        image: np.ndarray | None
        try:
            image = self.plane.resample(self.slice_index)
        except Exception:  # the GUI thread resamples the slice itself then, and shows its error there
            image = None
        self.signals.done.emit(self, image)


class PlaneResampler(QObject):
    """One slice at a time in the worker pool; `ready` (on the GUI thread) when it is in the plane's cache."""

    ready = Signal()

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self.task: ResampleTask | None = None
        self.failed_plane: ResampledPlane | None = None  # a plane the worker failed on: resampled by the caller
        self._ended: deque[ResampleTask] = deque(maxlen=4)  # a thread may still be returning from run()

    @property
    def busy(self) -> bool:
        return self.task is not None

    def request(self, plane: ResampledPlane, slice_index: int) -> None:
        """Resample this slice unless one is under way (the caller asks again on `ready`: the newest wins)."""
        if self.task is not None:
            return
        task = ResampleTask(plane, slice_index)
        task.signals.done.connect(self._on_done)
        self.task = task
        self.pool.start(task)

    def _on_done(self, task: ResampleTask, image: np.ndarray | None) -> None:
        if task is self.task:
            self.task = None
        self._ended.append(task)
        if image is None:
            self.failed_plane = task.plane
        else:
            task.plane.remember(task.slice_index, image)
        self.ready.emit()
