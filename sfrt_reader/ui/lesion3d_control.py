"""The reading window's 3-D lesion dock: its toolbar action, lazy creation, and what it shows.

Nothing here imports VTK: the dock's module (`volume3d`) is imported the first time the reader opens it, so the
workstation starts as fast without it. What it shows is the ACTIVE lesion's accepted segmentation at baseline and
at the timepoint being read (either alone when the other is missing), cropped and resampled by
`state.lesion_scene` with the volumes recorded in the lesion table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction

from sfrt_reader.errors import SfrtError
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
        self._shown: tuple[Any, ...] | None = None

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

    def crops(self) -> list[LesionCrop]:
        """The active lesion's crops at baseline and at the current timepoint, where it has a segmentation."""
        from sfrt_reader.measurement.lesion_metrics import SegmentationResult

        code = self.window.active_lesion
        out: list[LesionCrop] = []
        if not code:
            return out
        for label, title in self.timepoints():
            seg = self.window.segmentations.get((label, code))
            volume = self.window.volume_of.get(label)
            if seg is None or volume is None:
                continue
            result = SegmentationResult.from_dict(seg)
            out.append(crop_around_lesion(volume, result.segmentation, result.volume_ml, f"{code}  {title}"))
        return out

    def refresh(self) -> None:
        """Rebuild the picture when the dock is open and what it should show changed."""
        if self.dock is None or not self.dock.isVisible():
            return
        code = self.window.active_lesion
        shown = [
            (label, id(self.window.segmentations.get((label, code))), id(self.window.volume_of.get(label)))
            for label, _ in self.timepoints()
        ]
        key = (code, *shown)
        if key == self._shown:
            return
        try:
            crops = self.crops()
        except (SfrtError, ValueError) as error:
            self.window.show_error(f"the 3-D view cannot show {code}: {error}")
            return
        self._shown = key
        self.dock.view.show_crops(crops)
        if not crops:
            self.window.show_status("3-D view: segment the active lesion (Segment tool, G) to see it in 3-D")
