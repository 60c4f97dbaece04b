"""The reading window's 3-D lesion dock: its toolbar action, lazy creation, and what it shows.

Nothing here imports VTK: the dock's module (`volume3d`) is imported the first time the reader opens it, so the
workstation starts as fast without it. What it shows is the ACTIVE lesion's accepted segmentation at baseline and
at the timepoint being read (either alone when the other is missing), cropped and resampled by
`state.lesion_scene` with the volumes recorded in the lesion table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QRunnable, Qt, Signal
from PySide6.QtGui import QAction

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.state.lesion_scene import LesionCrop, crop_around_lesion

if TYPE_CHECKING:
    from sfrt_reader.ui.volume3d import Lesion3DDock


class Lesion3DController(QObject):
    """Owns the 3-D dock of a reading window (`window`: a ReadingWindow)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.dock: Lesion3DDock | None = None
        self.action: QAction = window._action("view3d", "3-D lesion view: baseline | current", "Alt+D", checkable=True)
        self.action.toggled.connect(self.set_open)
        window.installEventFilter(self)  # close the VTK view with the window
        self._shown: tuple[Any, ...] | None = None
        self._pending: tuple[Any, ...] | None = None
        self._tasks: list[CropTask] = []  # kept alive until their signals are delivered

    def set_open(self, open_: bool) -> None:
        """Open (building it the first time) or close the dock."""
        if open_ and self.dock is None:
            from sfrt_reader.ui.volume3d import Lesion3DDock  # VTK loads here, not at start-up

            self.dock = Lesion3DDock(self.window)
            self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
            self.dock.visibilityChanged.connect(self._on_visibility)
        if self.dock is None:
            return
        self.dock.setVisible(open_)
        if open_:
            self.refresh()

    def close_view(self) -> None:
        """Release the VTK render window (before the reading window goes: a render window left to the garbage
        collector takes the OpenGL context of the next one with it)."""
        if self.dock is not None:
            self.dock.view.close_view()
            self.dock.setParent(None)
            self.dock.deleteLater()
            self.dock = None
            self._shown = None
            if self.action.isChecked():
                self.action.blockSignals(True)
                self.action.setChecked(False)
                self.action.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.close_view()
        return False

    @property
    def busy(self) -> bool:
        """True while the crops for the picture are being resampled."""
        return self._pending is not None

    def _on_visibility(self, visible: bool) -> None:
        if visible:
            self.refresh()
        elif self.dock is not None and self.dock.isHidden():  # closed with its own button, not tabbed away
            self.action.setChecked(False)

    def timepoints(self) -> list[tuple[str, str]]:
        """(label, title) of baseline and the timepoint being read (once when they are the same)."""
        images = self.window.images
        if not images:
            return []
        baseline_label = self.window.session.protocol.baseline.label
        baseline = next((st for st in images if st.label == baseline_label), images[0])
        chosen = [baseline]
        current = next((st for st in images if st.label == self.window.reading_label), None)
        if current is not None and current.label != baseline.label:
            chosen.append(current)
        out = []
        for st in chosen:
            day = "" if st.day is None else f" · day {st.day}"
            name = st.label if st is not baseline or "baseline" in st.label.lower() else f"baseline ({st.label})"
            out.append((st.label, f"{name}{day}"))
        return out

    def jobs(self) -> list[tuple[Volume, dict[str, Any], str]]:
        """(volume, segmentation result dict, title) of the active lesion at baseline and the current timepoint,
        where it has an accepted segmentation and its images are loaded."""
        code = self.window.active_lesion
        out: list[tuple[Volume, dict[str, Any], str]] = []
        if not code:
            return out
        for label, title in self.timepoints():
            seg = self.window.segmentations.get((label, code))
            volume = self.window.volume_of.get(label)
            if seg is not None and volume is not None:
                out.append((volume, seg, f"{code}  {title}"))
        return out

    def refresh(self) -> None:
        """Rebuild the picture when the dock is open and what it should show changed; the crops are resampled in a
        worker thread (a second or more on a large lesion), the picture is made when they arrive."""
        if self.dock is None or not self.dock.isVisible():
            return
        jobs = self.jobs()
        key = (self.window.active_lesion, *((id(v), id(seg)) for v, seg, _ in jobs))
        if key in (self._shown, self._pending):
            return
        self._pending = key
        task = CropTask(key, jobs)
        task.signals.done.connect(self._on_crops)
        task.signals.failed.connect(self._on_failed)
        self._tasks.append(task)
        self.window.pool.start(task)
        self.window.show_status("Building the 3-D view…")

    def _on_crops(self, task: CropTask, crops: list[LesionCrop]) -> None:
        self._tasks.remove(task)
        if task.key != self._pending or self.dock is None:
            return  # superseded by a newer request
        self._pending = None
        self._shown = task.key
        self.dock.view.show_crops(crops)
        self.window.show_status(
            "3-D view: drag to rotate" if crops else "3-D view: segment the active lesion (Segment tool, G) to see it"
        )

    def _on_failed(self, task: CropTask, message: str) -> None:
        self._tasks.remove(task)
        if task.key == self._pending:
            self._pending = None
            self.window.show_error(f"the 3-D view cannot be built: {message}")


class CropSignals(QObject):
    done = Signal(object, object)  # task, list[LesionCrop]
    failed = Signal(object, str)


class CropTask(QRunnable):
    """Resample the crops around a lesion off the GUI thread (`state.lesion_scene.crop_around_lesion`)."""

    def __init__(self, key: tuple[Any, ...], jobs: list[tuple[Volume, dict[str, Any], str]]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.key = key
        self.jobs = jobs
        self.signals = CropSignals()

    def run(self) -> None:
        from sfrt_reader.measurement.lesion_metrics import SegmentationResult

        try:
            crops = []
            for volume, seg, title in self.jobs:
                result = SegmentationResult.from_dict(seg)
                crops.append(crop_around_lesion(volume, result.segmentation, result.volume_ml, title))
        except (SfrtError, ValueError) as error:
            self.signals.failed.emit(self, str(error))
        except Exception as error:  # a bug below: the type, not the text
            self.signals.failed.emit(self, f"internal error {type(error).__name__}")
        else:
            self.signals.done.emit(self, crops)
