"""ViewerGrid: the timepoints of one subject side by side, placed by the hanging protocol and scrolled together.

The grid owns one SliceViewport (and its ViewportState) per cell, a LinkGroup over their states, and one undo
stack shared by all cells so that Ctrl+Z undoes the last drawing wherever it was made. Timepoints are given in
chronological order (baseline first) as `Timepoint` records; the grid never loads anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QGridLayout, QWidget

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.state.annotations import TimepointInfo
from sfrt_reader.ui.state.hanging import Cell, HangingProtocol, Layout
from sfrt_reader.ui.state.linking import LinkGroup
from sfrt_reader.ui.state.masks import BrushSettings
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.state.viewport import ViewportState
from sfrt_reader.ui.viewport import SliceViewport


@dataclass
class Timepoint:
    """One examination of the subject: its volume and what the corners may say about it."""

    volume: Volume
    info: TimepointInfo


class ViewerGrid(QWidget):
    """Grid of viewports following a HangingProtocol. Signals: active_changed(viewport), message(str)."""

    active_changed = Signal(object)
    message = Signal(str)
    cursor_info = Signal(str)
    seed_picked = Signal(object, object)  # viewport, LPS: a click of the Segment tool
    rebuilt = Signal()  # the viewports were recreated (new timepoints or layout): wire the new ones
    brush_stroke = Signal(object, int, object, float, bool)  # viewport, slice, LPS path, radius mm, erase

    def __init__(self, parent: QWidget | None = None, undo_stack: QUndoStack | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewerGrid")
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.protocol = HangingProtocol(Layout.ONE_BY_THREE)
        self.link = LinkGroup()
        self.timepoints: list[Timepoint] = []
        self.current: int | None = None
        self.blinded = False
        self.tool = Tool.POINTER
        self.brush = BrushSettings()
        self.viewports: list[SliceViewport] = []
        self.cells: list[Cell] = []
        self.active: SliceViewport | None = None
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._rebuild()

    # ------------------------------------------------------------------------------------------ content
    def set_timepoints(self, timepoints: list[Timepoint], current: int | None = None, blinded: bool = False) -> None:
        """Show a subject's timepoints (chronological); `current` is the one being read (default: the latest)."""
        self.timepoints = list(timepoints)
        self.current = current
        self.blinded = blinded
        self._rebuild()

    def set_layout(self, layout: Layout) -> None:
        if layout == self.protocol.layout:
            return
        self.protocol = HangingProtocol(layout)
        self._rebuild()

    def set_tool(self, tool: Tool) -> None:
        self.tool = tool
        for viewport in self.viewports:
            viewport.set_tool(tool)

    def set_linked(self, linked: bool) -> None:
        self.link.set_enabled(linked)

    def apply_preset(self, key: str) -> None:
        """Apply a window preset to the active viewport (all viewports when none is active)."""
        targets = [self.active] if self.active is not None else self.viewports
        for viewport in targets:
            viewport.state.apply_preset(key)

    def _rebuild(self) -> None:
        """Recreate the viewports for the layout; drawings of a timepoint survive a layout change."""
        kept = {id(vp.state.volume): list(vp.measurements) for vp in self.viewports if vp.state.volume is not None}
        kept_states = {id(vp.state.volume): vp.state for vp in self.viewports if vp.state.volume is not None}
        self.link.clear()
        for viewport in self.viewports:
            self._layout.removeWidget(viewport)
            viewport.state.events.disconnect(viewport._on_state)
            viewport.setParent(None)
            viewport.deleteLater()
        self.viewports = []
        self.active = None
        rows, cols = self.protocol.layout.shape
        # stretch only the rows and columns of this layout (a previous, wider layout leaves empty ones behind)
        for r in range(max(rows, self._layout.rowCount())):
            self._layout.setRowStretch(r, 1 if r < rows else 0)
        for c in range(max(cols, self._layout.columnCount())):
            self._layout.setColumnStretch(c, 1 if c < cols else 0)
        self.cells = self.protocol.assign(len(self.timepoints), self.current)
        for cell in self.cells:
            timepoint = self.timepoints[cell.timepoint] if cell.timepoint is not None else None
            state = kept_states.get(id(timepoint.volume)) if timepoint is not None else None
            viewport = SliceViewport(state or ViewportState(), self, self.undo_stack)
            if timepoint is not None and state is None:
                viewport.state.set_volume(timepoint.volume)
            viewport.set_info(
                timepoint.info if timepoint is not None else TimepointInfo(timepoint_label=f"{cell.role.value}: none"),
                self.blinded,
            )
            viewport.set_tool(self.tool)
            viewport.set_brush(self.brush)
            if timepoint is not None:
                for item in kept.get(id(timepoint.volume), []):
                    viewport.add_measurement(item)
            viewport.activated.connect(self._set_active)
            viewport.point_picked.connect(self._on_point_picked)
            viewport.message.connect(self.message)
            viewport.cursor_info.connect(self.cursor_info)
            viewport.seed_picked.connect(self.seed_picked)
            viewport.brush_stroke.connect(self.brush_stroke)
            self._layout.addWidget(viewport, cell.row, cell.column)
            self.viewports.append(viewport)
            self.link.add(viewport.state)
        current_viewport = next(
            (vp for vp, c in zip(self.viewports, self.cells, strict=True) if c.role.name == "CURRENT"), None
        )
        if current_viewport is not None:
            self._set_active(current_viewport)
        self.rebuilt.emit()

    # ------------------------------------------------------------------------------------------- events
    def _set_active(self, viewport: SliceViewport) -> None:
        if viewport is self.active:
            return
        self.active = viewport
        for vp in self.viewports:
            vp.set_active(vp is viewport)
        self.active_changed.emit(viewport)

    def _on_point_picked(self, source: SliceViewport, lps: np.ndarray) -> None:
        """Shift+click: mark the point in the viewport clicked and in every viewport of the same frame of reference.

        Scans of different dates have their own patient coordinates, so a point is only carried to volumes that
        share the source's Frame of Reference UID (linked scrolling already brings the others to its table position).
        """
        volume = source.state.volume
        frame = volume.frame_of_reference_uid if volume is not None else ""
        for viewport in self.viewports:
            other = viewport.state.volume
            same = viewport is source or (other is not None and frame != "" and other.frame_of_reference_uid == frame)
            viewport.set_crosshair(lps if same else None)
