"""The adjudicator's desk, piece by piece: one read's pane, the comparison table, the decision box and its
signature dialog.

A read's pane reuses the reading window's viewer grid, lesion table and response panel, read-only: the saved
drawings are put back on their slices exactly as the reading window restores them, cannot be selected, moved or
deleted, and the grid's left button pans instead of drawing. Everything shown comes from the blinded views of the
adjudicator's session (readers are "A" and "B", time is in days from baseline).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QGraphicsItem,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.lesion_metrics import SegmentationResult
from sfrt_reader.measurement.lines import Bidimensional, Line
from sfrt_reader.measurement.regions import EllipseRegion, RegionStatistics
from sfrt_reader.measurement.serialise import measurement_from_dict
from sfrt_reader.reading.records import MIN_REASON_LENGTH
from sfrt_reader.reading.views import ReadView, TimepointImages
from sfrt_reader.ui.adjudication_compare import CRITERIA, CompareRow
from sfrt_reader.ui.grid import Timepoint, ViewerGrid
from sfrt_reader.ui.overlays import MeasurementItem
from sfrt_reader.ui.reading_panels import LesionTable, PasswordSignatureDialog, ResponsePanel
from sfrt_reader.ui.state.anatomy_link import centre_on
from sfrt_reader.ui.state.annotations import TimepointInfo
from sfrt_reader.ui.state.hanging import Layout
from sfrt_reader.ui.state.planes import ORTHOGONAL_PLANES, Plane
from sfrt_reader.ui.state.tools import Tool

FOCUS_ZOOM = 2.0
DISAGREE_BACKGROUND = QColor("#5a4313")
DISAGREE_TEXT = QColor("#ffd98a")
CHOSEN = "#2f8f5b"
CHOICE_STYLE = (
    "QPushButton { padding: 4px 14px; font-weight: bold; }"
    f"QPushButton:checked {{ background: {CHOSEN}; color: white; border-color: #5fd39a; }}"
)
PLANE_STYLE = (
    "QPushButton { padding: 2px 10px; }"
    "QPushButton:checked { background: #2d5a88; color: white; border-color: #6fa8dc; font-weight: bold; }"
)
AMBER_BOX = "background: #3d2f10; color: #ffe2a8; border: 1px solid #7a5a1c; border-radius: 4px; padding: 6px 8px;"
DECIDED_BOX = "background: #173524; color: #c9f2d8; border: 1px solid #2f8f5b; border-radius: 4px; padding: 6px 8px;"


def draw_saved_object(viewport: Any, obj: dict[str, Any]) -> list[MeasurementItem]:
    """Put one saved measurement object back on its slice, as the reading window restores a read.

    The stored dict goes through the measurement layer's one dispatcher (`measurement_from_dict`, which refuses a
    malformed one in words); a line, bidimensional, ellipse or freehand region is redrawn from its patient
    coordinates, a segmentation by its longest axial diameter and short axis, each on the plane it was drawn on (a
    reformat when the stored dict says so). A 3-D mask alone has nothing to draw.
    """
    m = measurement_from_dict(obj)
    view = obj.get("view")
    if isinstance(m, Line):
        return [viewport.draw_lps("length", [m.start, m.end], view=view)]
    if isinstance(m, Bidimensional):
        la, sa = m.long_axis, m.short_axis
        return [viewport.draw_lps("bidimensional", [la.start, la.end, sa.start, sa.end], view=view)]
    if isinstance(m, RegionStatistics) and isinstance(m.region, EllipseRegion):
        r = m.region
        return [viewport.draw_lps("ellipse", [r.center, r.axis_end_1, r.axis_end_2], view=view)]
    if isinstance(m, RegionStatistics):
        return [viewport.draw_lps("freehand", list(m.region.points), view=view)]
    if isinstance(m, SegmentationResult):
        return [
            viewport.draw_lps("length", [line.start, line.end], view=view) for line in (m.longest_axial, m.short_axis)
        ]
    return []


class ReadPane(QWidget):
    """One central read, blinded: its letter, the timepoints with its drawings, its lesion table and responses.

    A reader may have measured in a coronal, sagittal or oblique plane (the stored `view` of a drawing), and a
    drawing is only visible in its own plane: the plane buttons switch both viewports of the pane (keeping the
    anatomy at the centre of each, or going to the reader's drawing in that plane), and choosing a cell of the
    lesion table (`measurement_chosen`: lesion code, timepoint label) asks the desk to show that measurement in
    the plane and on the slice the reader drew it (`show_measurement`)."""

    message = Signal(str)
    measurement_chosen = Signal(str, str)  # lesion code, timepoint label

    def __init__(self, letter: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.letter = letter
        self.setObjectName(f"readPane{letter}")
        self.read: ReadView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.title = QLabel()
        self.title.setObjectName(f"readTitle{letter}")
        self._set_title(chosen=None)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        layout.addLayout(header)
        self.grid = ViewerGrid()
        self.grid.setObjectName(f"readGrid{letter}")
        self.grid.set_layout(Layout.ONE_BY_TWO)
        self.grid.set_tool(Tool.PAN)
        self.grid.set_linked(False)
        self.grid.message.connect(self.message)
        planes = QHBoxLayout()
        planes.setSpacing(2)
        planes.addWidget(QLabel("Plane"))
        self.plane_buttons: dict[Plane, QPushButton] = {}
        self.plane_group = QButtonGroup(self)
        self.plane_group.setExclusive(False)  # an oblique drawing shown: no orthogonal button is checked
        for plane in ORTHOGONAL_PLANES:
            button = QPushButton(plane.value.capitalize())
            button.setObjectName(f"plane{plane.value.capitalize()}{letter}")
            button.setCheckable(True)
            button.setStyleSheet(PLANE_STYLE)
            button.setToolTip(f"Show both timepoints of read {letter} in the {plane.value} plane")
            button.clicked.connect(lambda _checked=False, p=plane: self.set_plane(p))
            self.plane_group.addButton(button)
            self.plane_buttons[plane] = button
            planes.addWidget(button)
        planes.addStretch(1)
        self._check_plane(Plane.AXIAL)
        self.tabs = QTabWidget()
        self.responses = ResponsePanel()
        self.lesion_table = LesionTable()
        self.tabs.addTab(self.responses, "Responses and reasons")
        self.tabs.addTab(self.lesion_table, "Lesion table")
        header.addLayout(planes)
        self.lesion_table.currentCellChanged.connect(self._on_current_cell)
        self.lesion_table.cellClicked.connect(self._on_cell)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.grid)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([560, 380])
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)
        self.splitter = split

    def _set_title(self, chosen: bool | None) -> None:
        badge = ""
        style = "font-size: 13pt; font-weight: bold; padding: 4px 8px; border-radius: 4px;"
        if chosen is True:
            badge = "  —  chosen by the adjudicator"
            style += f" background: {CHOSEN}; color: white;"
        elif chosen is False:
            badge = "  —  not chosen"
            style += " background: #2a2e33; color: #8a9099;"
        else:
            style += " background: #223246; color: #dbe8f5;"
        self.title.setText(f"Reader {self.letter}{badge}")
        self.title.setStyleSheet(style)

    def set_chosen(self, chosen: bool | None) -> None:
        self._set_title(chosen)

    def show_read(self, read: ReadView) -> None:
        self.read = read
        self.responses.show_read(read)
        self.responses.expandAll()
        self.lesion_table.show_read(read)

    def hang(self, images: list[TimepointImages], volumes: dict[str, Volume], current: str) -> None:
        """Baseline | the timepoint under review, each with this read's drawings on its measured slice."""
        loaded = [st for st in images if st.label in volumes]
        if not loaded:
            return
        timepoints = [
            Timepoint(
                volumes[st.label],
                TimepointInfo(pseudonym=self.pseudo(), timepoint_label=st.label, day_from_baseline=st.day),
            )
            for st in loaded
        ]
        index = next((n for n, st in enumerate(loaded) if st.label == current), len(loaded) - 1)
        self.grid.set_timepoints(timepoints, current=index, blinded=True)
        self.grid.set_tool(Tool.PAN)
        self.grid.set_linked(False)
        for viewport in self.grid.viewports:
            if viewport.state.volume is None or viewport.measurements:
                continue
            self._draw(viewport, viewport.info.timepoint_label)
        self.grid.undo_stack.clear()  # nothing the adjudicator can undo: the drawings are the read's, not his
        shown = next((vp.state.plane for vp in self.grid.viewports if vp.info.timepoint_label == current), None)
        self._check_plane(shown if shown in ORTHOGONAL_PLANES else None)

    def focus_timepoint(self, label: str) -> None:
        """Unfold the reasons of the timepoint under review and of the best overall response; fold the others."""
        self.responses.focus_timepoint(label)

    def pseudo(self) -> str:
        return self.read.pseudonym if self.read is not None else ""

    def _draw(self, viewport: Any, label: str) -> None:
        if self.read is None:
            return
        tp = next((t for t in self.read.timepoints if t.label == label), None)
        items: list[MeasurementItem] = []
        for m in tp.measurements if tp is not None else ():
            for obj in m.objects:
                try:
                    drawn = draw_saved_object(viewport, obj)
                except (SfrtError, KeyError, ValueError) as error:
                    self.message.emit(
                        f"Reader {self.letter}: a saved drawing of {m.lesion} could not be shown: {error}"
                    )
                    continue
                for item in drawn:
                    item.lesion_id = m.lesion
                    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
                    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, False)
                items.extend(drawn)
        volume = viewport.state.volume
        if volume is not None and volume.modality == "CT":
            viewport.state.apply_preset("1")  # soft tissue, as a reader measures a sarcoma
        shown = [item for item in items if item.plane == viewport.state.plane]  # the plane the viewport ended on
        if shown:
            self._centre_on(viewport, shown[0])

    # ------------------------------------------------------------------------------------------- planes
    def _check_plane(self, plane: Plane | None) -> None:
        for p, button in self.plane_buttons.items():
            button.setChecked(p == plane)

    def set_plane(self, plane: Plane) -> None:
        """Both viewports in `plane`: on the reader's first drawing in that plane, else through the anatomy that
        was at the centre of the viewport."""
        self._check_plane(plane)
        for viewport in self.grid.viewports:
            state = viewport.state
            if state.volume is None:
                continue
            drawn = [item for item in viewport.measurements if item.plane == plane]
            if state.plane == plane and not drawn:
                continue
            centre = viewport.mapToScene(viewport.viewport().rect().center())
            lps = state.display_to_lps(*viewport.scene_to_display(centre))
            viewport.show_view({"plane": plane.value})
            if drawn:
                self._centre_on(viewport, drawn[0])
            else:
                centre_on(state, lps)
        self.message.emit(f"Reader {self.letter}: {plane.value} plane")

    def _on_current_cell(self, row: int, column: int, *_previous: int) -> None:
        if self.lesion_table.hasFocus():  # the adjudicator moved with the keys (not the table being filled)
            self._on_cell(row, column)

    def _on_cell(self, row: int, column: int) -> None:
        read = self.read
        if read is None or not 0 <= row < len(read.lesions) or not 0 <= column < len(read.timepoints):
            return  # the sum row, or nothing
        self.measurement_chosen.emit(read.lesions[row].code, read.timepoints[column].label)

    def show_measurement(self, code: str, label: str) -> bool:
        """Show this read's drawing of lesion `code` at `label` in its plane, on its slice, zoomed on it (the
        viewport of `label` must be hung). False, with the reason as a message, when there is no drawing."""
        viewport = next((vp for vp in self.grid.viewports if vp.info.timepoint_label == label), None)
        if viewport is None or viewport.state.volume is None:
            self.message.emit(f"Reader {self.letter}: {label} is not loaded yet")
            return False
        drawn = [item for item in viewport.measurements if item.lesion_id == code]
        if not drawn:
            self.message.emit(f"Reader {self.letter} has no drawing of {code} at {label}")
            return False
        item = drawn[0]
        viewport.show_view(viewport.view_of(item))
        self._centre_on(viewport, item)
        self.grid._set_active(viewport)
        self._check_plane(item.plane if item.plane in ORTHOGONAL_PLANES else None)
        self.message.emit(f"Reader {self.letter}: {code} at {label}, drawn in the {item.plane.value} plane")
        return True

    @staticmethod
    def _centre_on(viewport: Any, item: MeasurementItem) -> None:
        """The measured slice, zoomed on the drawing: what the adjudicator has to judge is the reader's line."""
        geometry = viewport.state.geometry
        viewport.state.set_slice(item.slice_index)
        if geometry is None or not item.points:
            return
        display = [viewport.scene_to_display(p) for p in item.points]
        u = sum(d[0] for d in display) / len(display)
        v = sum(d[1] for d in display) / len(display)
        viewport.state.set_zoom(FOCUS_ZOOM)
        viewport.state.set_pan(u - (geometry.width - 1) / 2, v - (geometry.height - 1) / 2)


class ComparisonTable(QTableWidget):
    """Timepoints x (RECIST 1.1 A, B, Choi A, B), then best overall response and PD day; disagreements in amber."""

    timepoint_chosen = Signal(str)

    HEADERS = ("Timepoint", "Day", "RECIST\nA", "RECIST\nB", "Choi\nA", "Choi\nB")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparisonTable")
        self.setColumnCount(len(self.HEADERS))
        self.setHorizontalHeaderLabels(list(self.HEADERS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # no selection colour: it would hide the amber of a disagreement; the shown timepoint is marked instead
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.shown = ""
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.rows: list[CompareRow] = []
        self.cellClicked.connect(self._clicked)

    def show_rows(self, rows: list[CompareRow]) -> None:
        self.rows = rows
        self.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, row in enumerate(rows):
            head = QTableWidgetItem(("▸ " if row.label == self.shown and row.kind == "timepoint" else "") + row.label)
            day = QTableWidgetItem("" if row.day is None else str(row.day))
            day.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(r, 0, head)
            self.setItem(r, 1, day)
            if row.kind != "timepoint":
                head.setFont(bold)
            column = 2
            for criterion, name in CRITERIA:
                differs = row.differs(criterion)
                for text in row.values[criterion]:
                    item = QTableWidgetItem(text)
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    if differs:
                        item.setBackground(QBrush(DISAGREE_BACKGROUND))
                        item.setForeground(QBrush(DISAGREE_TEXT))
                        item.setToolTip(f"The readers disagree on {name} here")
                    if criterion in row.triggers:
                        item.setFont(bold)
                        item.setToolTip(f"{name} {row.label.lower()}: this disagreement called the adjudicator")
                    self.setItem(r, column, item)
                    column += 1
        self.resizeRowsToContents()
        height = self.horizontalHeader().sizeHint().height() + sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height + 2 * self.frameWidth() + 2)

    def select_timepoint(self, label: str) -> None:
        """Mark the timepoint the panes show (▸)."""
        self.shown = label
        for r, row in enumerate(self.rows):
            item = self.item(r, 0)
            if item is not None and row.kind == "timepoint":
                item.setText(("▸ " if row.label == label else "") + row.label)

    def _clicked(self, r: int, _column: int) -> None:
        if 0 <= r < len(self.rows) and self.rows[r].kind == "timepoint":
            self.timepoint_chosen.emit(self.rows[r].label)


class DecisionPanel(QGroupBox):
    """Choose read A or B, write the rationale, sign; after signing it shows the recorded decision, read-only."""

    sign_requested = Signal()

    def __init__(self, meaning: str, parent: QWidget | None = None) -> None:
        super().__init__("Decision", parent)
        self.setObjectName("decisionPanel")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.choice_a = QPushButton("Read A")
        self.choice_b = QPushButton("Read B")
        for button in (self.choice_a, self.choice_b):
            button.setCheckable(True)
            button.setMinimumWidth(90)
            button.setStyleSheet(CHOICE_STYLE)
        self.choice_a.setObjectName("chooseA")
        self.choice_b.setObjectName("chooseB")
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.addButton(self.choice_a)
        self.group.addButton(self.choice_b)
        row.addWidget(QLabel("The central result is"))
        row.addWidget(self.choice_a)
        row.addWidget(self.choice_b)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(QLabel("Rationale (required, recorded in the audit trail)"))
        self.rationale = QPlainTextEdit()
        self.rationale.setObjectName("rationale")
        self.rationale.setPlaceholderText(
            "Why this read: which measurement or finding decides, e.g. 'T1 grows 30% on the 6-month scan; reader A "
            "measured the necrotic core only'"
        )
        self.rationale.setMaximumHeight(150)
        layout.addWidget(self.rationale)
        self.sign_button = QPushButton("Sign decision…")
        self.sign_button.setObjectName("signDecision")
        self.sign_button.setEnabled(False)
        self.hint = QLabel()
        self.hint.setObjectName("decisionHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #8a9099;")
        self.meaning = QLabel(
            f"Signing re-asks your password; its meaning: <i>“{meaning}”</i>. The decision is final and the exports "
            "mark the chosen read."
        )
        self.meaning.setWordWrap(True)
        self.meaning.setStyleSheet("color: #9fb3c8;")
        layout.addWidget(self.meaning)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.sign_button)
        layout.addLayout(bottom)
        self.outcome = QLabel()
        self.outcome.setObjectName("decisionOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setStyleSheet(DECIDED_BOX)
        self.outcome.hide()
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        self.group.buttonToggled.connect(lambda *_: self._update())
        self.rationale.textChanged.connect(self._update)
        self.sign_button.clicked.connect(self.sign_requested)
        self._update()

    @property
    def choice(self) -> str | None:
        if self.choice_a.isChecked():
            return "A"
        if self.choice_b.isChecked():
            return "B"
        return None

    def _update(self) -> None:
        text = self.rationale.toPlainText().strip()
        missing = []
        if self.choice is None:
            missing.append("choose read A or read B")
        if len(text) < MIN_REASON_LENGTH:
            missing.append(f"write the rationale ({MIN_REASON_LENGTH} characters at least)")
        self.sign_button.setEnabled(not missing and not self.outcome.isVisible())
        self.hint.setText("To sign: " + " and ".join(missing) + "." if missing else "Ready to sign.")

    def show_decided(self, status: str, chosen: str | None, rationale: str | None) -> None:
        """The recorded outcome; every control becomes read-only."""
        for widget in (self.choice_a, self.choice_b, self.sign_button):
            widget.setEnabled(False)
        self.rationale.setReadOnly(True)
        if status == "decided" and chosen in ("A", "B"):
            (self.choice_a if chosen == "A" else self.choice_b).setChecked(True)
            self.rationale.setPlainText(rationale or "")
            self.outcome.setText(
                f"Adjudicated: read {chosen} is the central review's result for this subject. "
                "The decision is signed and final."
            )
        else:
            self.outcome.setText(
                "This adjudication was withdrawn: the readers' amended reads now agree, so there is nothing to decide."
            )
        self.outcome.show()
        self.hint.setText("")
        self.sign_button.setEnabled(False)


class AdjudicationSignDialog(PasswordSignatureDialog):
    """The adjudicator's electronic signature: the choice and the meaning shown, the password entered again."""

    def __init__(self, pseudonym: str, choice: str, meaning: str, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Sign the adjudication of {pseudonym}",
            f"You choose <b>read {choice}</b> as the central review's result for <b>{pseudonym}</b>.<br><br>"
            f"Meaning of this signature: <b>“{meaning}”</b>.<br><br>"
            "The decision and your rationale are recorded in the audit trail and used by the exports; it cannot be "
            "changed afterwards.",
            parent,
        )
