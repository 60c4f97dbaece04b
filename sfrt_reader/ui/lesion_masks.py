"""The lesion masks of a read on screen, and the brush that corrects them (one undoable command per stroke).

Where a mask lives: an accepted segmentation is stored by the reading layer as the lesion's
`segmentation_result` object (its mask inside, packed bits) in `ReadingWindow.segmentations`. A brush stroke never
computes on the GUI thread: the stroke joins a queue, shown at once as a translucent sweep, and a worker paints it
into the mask inside the lesion's box (`measurement.brush.painted_segmentation`, the same mask as `brush_stroke`).
Strokes are painted one after the other in the order drawn, each on the mask the previous one left, so a quick
series of strokes loses none and none races another. When a new mask arrives it becomes one undo step and is
shown; its metrics (volume, mean, longest axial diameter, short axis: convex hulls over the slices, up to a few
hundred ms on a large sarcoma) are measured in a second worker, and when they arrive the new `segmentation_result`
replaces the old one and is saved through the reading layer like an accepted segmentation, so the lesion table, the
form and the exports carry the edited values. That save (the database write, the criteria recomputed, the read
read back: about 150 ms) runs in the save queue's worker (`save_queue.SaveQueue`, in order, flushed before any other
database call of the window and when it closes); only the panels are refreshed on the GUI thread. Undo and redo
swap the stored result back and forth (no recomputation) and save the same way.

A save that fails leaves the correction on screen and in memory, and the lesion in `unsaved` (with why) until a
later save of it succeeds: the window refuses to sign, to switch timepoint or to close quietly while any is there,
since the database would otherwise hold (and a signed form print) numbers the reader never saw. `retry_unsaved`
saves them again.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Signal
from PySide6.QtGui import QUndoCommand

from sfrt_reader.errors import SfrtError
from sfrt_reader.ui.mask_overlay import ShownMask
from sfrt_reader.ui.save_queue import SaveJob, SaveQueue
from sfrt_reader.ui.worker_errors import failure_text

if TYPE_CHECKING:
    from sfrt_reader.imaging.volume import Volume
    from sfrt_reader.measurement.lesion_mask import LesionSegmentation
    from sfrt_reader.ui.reading_window import ReadingWindow

Key = tuple[str, str]  # (timepoint label, lesion code)


def painted_mask(
    volume: Volume, mask: LesionSegmentation | None, path: np.ndarray, radius_mm: float, erase: bool
) -> LesionSegmentation:
    """The mask after one stroke (`measurement.brush.painted_segmentation`, inside the lesion's box); a lesion
    without a mask yet gets the stroke as its mask, so a reader can outline by hand a lesion the one-click
    segmentation does not find."""
    from sfrt_reader.measurement.brush import painted_segmentation

    return painted_segmentation(volume, mask, path, radius_mm, "erase" if erase else "add")


@dataclass(frozen=True, eq=False)
class Stroke:
    """One finished brush stroke waiting for its mask: on which lesion, where (LPS mm), how wide, add or erase."""

    key: Key
    volume: Volume
    path: np.ndarray
    radius_mm: float
    erase: bool


class StrokeSignals(QObject):
    done = Signal(object, object)  # task, LesionSegmentation
    failed = Signal(object, str)


class StrokeTask(QRunnable):
    """The new mask of one stroke, off the GUI thread, painted on `base` (the mask shown when it started)."""

    def __init__(self, stroke: Stroke, base: LesionSegmentation | None) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.stroke, self.base = stroke, base
        self.signals = StrokeSignals()

    def run(self) -> None:
        s = self.stroke
        try:
            mask = painted_mask(s.volume, self.base, s.path, s.radius_mm, s.erase)
        except Exception as error:
            self.signals.failed.emit(self, failure_text(error, "the brush stroke could not be painted"))
        else:
            self.signals.done.emit(self, mask)


class MeasureSignals(QObject):
    done = Signal(object, object)  # task, SegmentationResult
    failed = Signal(object, str)


class MeasureMaskTask(QRunnable):
    """The metrics of an edited mask, off the GUI thread."""

    def __init__(self, volume: Volume, mask: LesionSegmentation, command: BrushEdit) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.volume, self.mask, self.command = volume, mask, command
        self.signals = MeasureSignals()
        self.cancelled = threading.Event()

    def run(self) -> None:
        from sfrt_reader.measurement.lesion_metrics import measure_segmentation

        try:
            result = measure_segmentation(self.volume, self.mask)
        except Exception as error:
            self.signals.failed.emit(self, failure_text(error, "the edited mask could not be measured"))
        else:
            self.signals.done.emit(self, result)


class BrushEdit(QUndoCommand):
    """One brush stroke on one lesion's mask: redo shows the new mask, undo the one before."""

    def __init__(
        self,
        editor: LesionMasks,
        key: Key,
        before_mask: LesionSegmentation | None,
        before: dict[str, Any] | None,
        after_mask: LesionSegmentation,
        erase: bool,
    ) -> None:
        super().__init__(f"{'Erase from' if erase else 'Paint'} {key[1]}")
        self.editor, self.key = editor, key
        self.before_mask, self.before = before_mask, before
        self.after_mask = after_mask
        self.after: dict[str, Any] | None = None  # the measured result, once the worker has it

    def redo(self) -> None:
        self.editor.show_state(self.key, self.after_mask, self.after, self)

    def undo(self) -> None:
        self.editor.show_state(self.key, self.before_mask, self.before, None)


class LesionMasks(QObject):
    """Masks of the read shown in every viewport, the fill toggle, and brush strokes on the timepoint read."""

    measured = Signal()  # an edited mask's metrics arrived and were saved
    unsaved_changed = Signal()  # a correction's save failed, or a correction not saved before now is

    def __init__(self, window: ReadingWindow) -> None:
        super().__init__(window)
        self.window = window
        self.fill = False
        self.edited: dict[Key, LesionSegmentation | None] = {}  # the mask shown when it differs from the stored one
        self.tasks: list[MeasureMaskTask] = []
        self.strokes: deque[Stroke] = deque()  # finished strokes in the order drawn, the one being painted first
        self.painting: StrokeTask | None = None
        self._ended: deque[StrokeTask] = deque(maxlen=8)
        self._parsed: dict[int, tuple[dict[str, Any], LesionSegmentation]] = {}
        self.saver = SaveQueue(self)  # the edited masks' saves, off the GUI thread and in order
        # corrections on screen whose last save failed, with the reason: kept until saved, never dropped quietly
        self.unsaved: dict[Key, str] = {}

    # ----------------------------------------------------------------------------------------- the masks
    def stored_mask(self, key: Key) -> LesionSegmentation | None:
        """The mask inside the stored segmentation result of a lesion at a timepoint (parsed once)."""
        from sfrt_reader.measurement.lesion_mask import LesionSegmentation

        result = self.window.segmentations.get(key)
        if result is None or "segmentation" not in result:
            return None
        cached = self._parsed.get(id(result))
        if cached is None or cached[0] is not result:
            try:
                cached = (result, LesionSegmentation.from_dict(result["segmentation"]))
            except SfrtError as error:
                self.window.show_error(f"the saved mask of {key[1]} at {key[0]} cannot be read: {error}")
                return None
            self._parsed[id(result)] = cached
        return cached[1]

    def mask(self, key: Key) -> LesionSegmentation | None:
        return self.edited[key] if key in self.edited else self.stored_mask(key)

    def forget_edits(self, key: Key) -> None:
        """A new segmentation was accepted for this lesion: show the stored mask again."""
        self.edited.pop(key, None)

    def refresh(self) -> None:
        """Give each viewport the masks of its timepoint (and the proposal, dashed, on the timepoint read)."""
        w = self.window
        keys = set(w.segmentations) | set(self.edited)
        for viewport in w.grid.viewports:
            label = viewport.info.timepoint_label
            volume = viewport.state.volume
            shown: list[ShownMask] = []
            for key in sorted(k for k in keys if k[0] == label):
                mask = self.mask(key)
                if mask is not None and volume is not None and tuple(mask.volume_shape) == volume.shape:
                    active = label == w.reading_label and key[1] == w.active_lesion
                    shown.append(ShownMask(key[1], mask, active=active))
            if w.proposal is not None and w.proposal[0] == label and volume is not None:
                shown.append(ShownMask(w.proposal[1], w.proposal[2].segmentation, proposal=True, active=True))
            viewport.set_masks(shown)
            viewport.mask_overlay.set_fill(self.fill)

    def set_fill(self, fill: bool) -> None:
        self.fill = fill
        self.refresh()

    # ------------------------------------------------------------------------------------------- brush
    def on_stroke(self, viewport: Any, slice_index: int, path: np.ndarray, radius_mm: float, erase: bool) -> None:
        """A stroke finished on a viewport: queue it for the active lesion on the timepoint read (one undo step).

        Nothing is computed here: the stroke is shown as painted, and a worker makes its mask (`_paint_next`)."""
        key = self._refused(viewport)
        if key is None:
            return
        self.strokes.append(Stroke(key, viewport.state.volume, np.asarray(path, dtype=np.float64), radius_mm, erase))
        self._show_pending()
        self._paint_next()

    def _refused(self, viewport: Any) -> Key | None:
        """The (timepoint, lesion) a stroke on this viewport edits, or None (and the reason shown) if refused."""
        w = self.window
        if viewport is not w.reading_viewport() or w.locked:
            w.show_error(f"paint on {w.reading_label}, the timepoint being read (and not signed)")
            return None
        if not w.active_lesion:
            w.show_error("select or add a lesion first, then paint it")
            return None
        key = (w.reading_label, w.active_lesion)
        if w.proposal is not None and (w.proposal[0], w.proposal[1]) == key:
            w.show_error(f"accept or discard the proposed segmentation of {key[1]} before correcting it")
            return None
        return key

    def _show_pending(self) -> None:
        """Draw the queued strokes (translucent, like the stroke in progress) on the viewports of their volumes."""
        for viewport in self.window.grid.viewports:
            volume = viewport.state.volume
            viewport.set_pending_strokes(
                [(s.path, s.radius_mm, s.erase) for s in self.strokes if volume is not None and s.volume is volume]
            )

    def _paint_next(self) -> None:
        """Start the oldest queued stroke on the mask shown now, unless a stroke is being painted."""
        if self.painting is not None or not self.strokes:
            return
        stroke = self.strokes[0]
        task = StrokeTask(stroke, self.mask(stroke.key))
        task.signals.done.connect(self._on_painted)
        task.signals.failed.connect(self._on_paint_failed)
        self.painting = task
        self.window.pool.start(task)

    def _take(self, task: StrokeTask) -> bool:
        """The painting task ended: True when its stroke still applies as painted (same mask, still editable)."""
        self.painting = None
        self._ended.append(task)  # its thread may still be returning from run(): keep the object alive a while
        if not self.strokes or self.strokes[0] is not task.stroke:
            return False  # the queue was dropped (the window moved on) while it ran
        w = self.window
        key = task.stroke.key
        if key[0] != w.reading_label or w.locked:
            self.strokes.clear()
            w.show_error(f"the brush strokes still being painted were dropped: {key[0]} is no longer editable")
            return False
        current = self.mask(key)
        # undo, redo or a new segmentation meanwhile: paint again on the mask shown (the saved result of the
        # previous stroke parses to an equal mask, not the same object: that is no change)
        if current is not task.base and (current is None or task.base is None or current != task.base):
            return False
        self.strokes.popleft()
        return True

    def _on_painted(self, task: StrokeTask, mask: LesionSegmentation) -> None:
        if self._take(task):
            s = task.stroke
            self.window.undo_stack.push(
                BrushEdit(self, s.key, task.base, self.window.segmentations.get(s.key), mask, s.erase)
            )
        self._show_pending()
        self._paint_next()

    def _on_paint_failed(self, task: StrokeTask, message: str) -> None:
        if self._take(task):
            self.window.show_error(message)
        self._show_pending()
        self._paint_next()

    def drop_strokes(self) -> None:
        """Forget the strokes not yet painted (the timepoint read changed, or the window closes)."""
        self.strokes.clear()
        self._show_pending()

    def show_state(
        self, key: Key, mask: LesionSegmentation | None, result: dict[str, Any] | None, command: BrushEdit | None
    ) -> None:
        """Show `mask` for the lesion; store `result` when known, else measure the mask in a worker first."""
        w = self.window
        self.edited[key] = mask
        if result is not None or command is None:
            self._store(key, result)
        else:
            volume = w.volume_of.get(key[0])
            if volume is not None and mask is not None:
                task = MeasureMaskTask(volume, mask, command)
                task.signals.done.connect(self._on_measured)
                task.signals.failed.connect(self._on_failed)
                self.tasks.append(task)
                w.show_status(f"Measuring {key[1]}…")
                w.pool.start(task)
        self.refresh()

    def _store(self, key: Key, result: dict[str, Any] | None) -> None:
        """Make `result` the lesion's segmentation (lines redrawn on their slice) and save it."""
        w = self.window
        if result is None:
            w.segmentations.pop(key, None)
        else:
            w.segmentations[key] = result
        self.edited.pop(key, None)
        viewport = next((vp for vp in w.grid.viewports if vp.info.timepoint_label == key[0]), None)
        if viewport is not None:
            for item in list(viewport.measurements):
                if item.lesion_id == key[1] and item.property("segmentation"):
                    viewport.remove_measurement(item)
            for line in ("longest_axial", "short_axis") if result is not None else ():
                try:
                    item = viewport.draw_lps("length", [result[line]["start"], result[line]["end"]], undoable=False)
                except (SfrtError, KeyError, ValueError) as error:
                    w.show_error(f"the {line.replace('_', ' ')} line of {key[1]} cannot be drawn: {error}")
                    continue
                item.setProperty("segmentation", True)
                item.lesion_id = key[1]
        self.refresh()
        if key[0] == w.reading_label:  # last: once queued, the save's thread competes for the interpreter
            self._save(key)

    def _save(self, key: Key) -> None:
        """Save the lesion's objects on the timepoint read (its drawings and the edited segmentation) in the save
        queue's worker, as `sync_measurements` would on the GUI thread. The objects are taken now, on the GUI
        thread; they count as saved at once, so a later `sync_measurements` does not save them a second time, and
        count as unsaved again if the save fails."""
        from sfrt_reader.ui.reading_window import _objects_key

        w = self.window
        if w._restoring:
            return
        objects, drawn = w._lesion_objects(key[1])
        objects_key = _objects_key(objects)
        if not objects or w.saved.get(key) == objects_key:
            self.mark_saved(key)  # what is on screen is what the database holds (or the lesion has no drawing)
            w.sync_measurements()  # nothing to save, or nothing left to save (it says so)
            return
        values = w._values(drawn, w.segmentations.get(key))
        previous = w.saved.get(key)
        w.saved[key] = objects_key
        session, read_id, (label, code) = w.session, w.read_id, key

        def work() -> Any:
            session.record_measurement(read_id, label, code, "measured", objects=objects, **values)
            return session.view(read_id)

        def done(view: Any) -> None:
            self.mark_saved(key)
            w.show_read_view(view)
            w.show_status(f"{code} at {label} saved")

        def failed(message: str) -> None:
            if w.saved.get(key) == objects_key:  # not saved: the next change of the lesion saves it again
                if previous is None:
                    w.saved.pop(key, None)
                else:
                    w.saved[key] = previous
            self.unsaved[key] = message
            self.unsaved_changed.emit()
            w.show_error(
                f"the correction of {code} at {label} was not saved: {message}. It is kept on screen: press "
                "Retry save (signing retries it too)"
            )

        self.saver.submit(SaveJob(f"the edited mask of {code} could not be saved", work, done, failed))

    def mark_saved(self, key: Key) -> None:
        """The lesion's objects on screen are now those in the database (saved here or by the window)."""
        if self.unsaved.pop(key, None) is not None:
            self.unsaved_changed.emit()

    def retry_unsaved(self) -> bool:
        """Save again every correction whose save failed, and wait for the answers: True when all reached the
        database. What still fails stays in `unsaved` (and on screen) with the new reason."""
        for key in list(self.unsaved):
            if key[0] != self.window.reading_label:
                continue  # cannot happen (leaving the timepoint is refused meanwhile); kept, never dropped
            self._save(key)
        self.saver.flush()
        return not self.unsaved

    def discard_unsaved(self) -> None:
        """The reader chose to leave without the corrections not saved: the database keeps its last values."""
        self.unsaved.clear()
        self.unsaved_changed.emit()

    def unsaved_text(self) -> str:
        """Which corrections were not saved and why, in one sentence (lesion codes and timepoints only)."""
        return "; ".join(
            f"the brush correction of {code} at {label} was not saved ({why})"
            for (label, code), why in sorted(self.unsaved.items())
        )

    def finish(self, timeout_s: float = 120.0) -> bool:
        """Paint, measure and save every stroke already drawn (the window is closing): True when nothing is left.

        Runs the event loop meanwhile (the workers report through it); the strokes of a large lesion take well under
        a second each."""
        import time

        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout_s
        while (self.strokes or self.painting is not None or self.tasks) and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.005)
        self.saver.flush()
        return not self.busy

    def _finish(self, task: MeasureMaskTask) -> bool:
        """Drop the task; True when its mask is still the one shown (not undone or painted over meanwhile)."""
        if task in self.tasks:
            self.tasks.remove(task)
        key = task.command.key
        return self.edited.get(key, None) is task.mask and key in self.edited

    def _on_measured(self, task: MeasureMaskTask, result: Any) -> None:
        current = self._finish(task)
        task.command.after = result.to_dict()  # a later redo restores it without measuring again
        # the stored result's mask is the one just measured: known, so not parsed back from its packed bits
        self._parsed[id(task.command.after)] = (task.command.after, result.segmentation)
        if current:
            unit = "HU" if result.is_hu else "(signal)"
            self.window.show_status(
                f"{task.command.key[1]}: volume {result.volume_ml:.1f} ml, mean {result.mean:.1f} {unit}, "
                f"LD {result.longest_axial_diameter_mm:.1f} mm, SA {result.short_axis_mm:.1f} mm"
            )
            self._store(task.command.key, task.command.after)
            self.measured.emit()

    def _on_failed(self, task: MeasureMaskTask, message: str) -> None:
        current = self._finish(task)
        if not current:
            return
        self.window.show_error(f"{message}. The stroke is undone.")
        stack = self.window.undo_stack
        if stack.index() > 0 and stack.command(stack.index() - 1) is task.command:
            stack.undo()

    @property
    def busy(self) -> bool:
        """Strokes are waiting or being painted, or an edited mask is being measured or saved."""
        return bool(self.tasks) or bool(self.strokes) or self.painting is not None or self.saver.pending
