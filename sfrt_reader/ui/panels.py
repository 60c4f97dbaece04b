"""Side panels of the main window that need no database: the list of measurements drawn in this session.

The lesion table and the response panel of the reading layer dock next to it through
`MainWindow.add_panel`; this list is what a reader uses meanwhile to find and revisit every drawing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from sfrt_reader.ui.grid import ViewerGrid
from sfrt_reader.ui.overlays import MeasurementItem


class MeasurementsPanel(QTableWidget):
    """Every drawing of the shown timepoints: timepoint, tool, slice, value. Double-click goes to its slice."""

    HEADERS = ("Timepoint", "Tool", "Image", "Value")

    def __init__(self, grid: ViewerGrid, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.grid = grid
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self._items: list[MeasurementItem] = []
        self._connected: set[int] = set()
        self.cellDoubleClicked.connect(self._go_to)

    def refresh(self) -> None:
        """Rebuild the rows from the grid's viewports (cheap: a reader draws tens of measurements, not thousands)."""
        rows: list[tuple[str, MeasurementItem]] = []
        for viewport in self.grid.viewports:
            for item in viewport.measurements:
                rows.append((viewport.info.timepoint_label, item))
        self._items = [item for _, item in rows]
        self.setRowCount(len(rows))
        for r, (label, item) in enumerate(rows):
            value = item.value.summary if item.value is not None else (item.error or "")
            cells = (label, item.kind.capitalize(), str(item.slice_index + 1), value)
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, c, cell)
        for item in self._items:
            if id(item) not in self._connected:
                self._connected.add(id(item))
                item.changed.connect(self.refresh)

    def _go_to(self, row: int, _column: int) -> None:
        item = self._items[row]
        for viewport in self.grid.viewports:
            if item in viewport.measurements:
                viewport.state.set_slice(item.slice_index)
                viewport.setFocus()
                viewport.activated.emit(viewport)
                viewport.scene().clearSelection()
                item.setSelected(True)
