"""The reading window: one subject's read in the read database, on top of the viewer.

Every change goes through the reader's session at once (`record_measurement`, `set_non_target`, ...): after each
drawing, edit, undo or status button, the drawings of each lesion on the timepoint being read are saved, the
responses come back recomputed by the criteria engine and the panels are redrawn from the stored read. Closing the
window loses nothing but a stroke in progress. Errors of the lower layers (`SfrtError`) appear in the red banner.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QSettings, Qt, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.measurement.lesion_metrics import SegmentationResult
from sfrt_reader.measurement.lines import Bidimensional, Line
from sfrt_reader.measurement.regions import EllipseRegion, RegionStatistics
from sfrt_reader.measurement.serialise import measurement_from_dict
from sfrt_reader.reading.document import NEW_LESION_VALUES, NON_TARGET_STATUSES
from sfrt_reader.reading.records import SIGNATURE_MEANING
from sfrt_reader.reading.service import ReaderSession
from sfrt_reader.reading.views import AssessmentView, ReadView, TimepointImages
from sfrt_reader.ui.grid import Timepoint
from sfrt_reader.ui.lesion3d_control import Lesion3DController
from sfrt_reader.ui.lesion_masks import LesionMasks
from sfrt_reader.ui.linked_navigation import LinkedNavigation
from sfrt_reader.ui.loading import LoadTask
from sfrt_reader.ui.main_window import MainWindow, long_axis_of
from sfrt_reader.ui.overlays import MeasurementItem
from sfrt_reader.ui.reading_panels import AmendDialog, LesionTable, ResponsePanel, SignDialog
from sfrt_reader.ui.state.annotations import TimepointInfo
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.worker_errors import failure_text


def load_study(path: str, study_uid: str, progress: Any) -> Volume:
    """The image series of one study under `path` (a folder may hold the subject's other studies too)."""
    from sfrt_reader.imaging import scan
    from sfrt_reader.imaging.loader import choose_series, load_series

    catalog = scan([path])
    studies = list(catalog.studies())
    chosen = [st for st in studies if st.study_instance_uid == study_uid] or (studies if len(studies) == 1 else [])
    if not chosen:
        raise SfrtError("the study of this timepoint was not found where it was imported; re-import the subject")
    series = [s for s in chosen[0].series if s.usable]
    if len(series) == 1:
        return load_series(series[0], progress)
    return choose_series(catalog, "this timepoint", None)


class SegmentSignals(QObject):
    done = Signal(object, object)  # task, SegmentationResult
    failed = Signal(object, str)


class SegmentTask(QRunnable):
    """One-click segmentation off the GUI thread; a cancelled task's result is dropped."""

    def __init__(self, volume: Volume, seed: np.ndarray, label: str, lesion: str) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.volume, self.seed, self.label, self.lesion = volume, seed, label, lesion
        self.signals = SegmentSignals()
        self.cancelled = threading.Event()

    def run(self) -> None:
        from sfrt_reader.measurement.lesion_metrics import measure_segmentation
        from sfrt_reader.measurement.segmentation import segment_lesion

        try:
            result = measure_segmentation(self.volume, segment_lesion(self.volume, self.seed))
        except Exception as error:
            self.signals.failed.emit(self, failure_text(error, "the segmentation failed"))
        else:
            if not self.cancelled.is_set():
                self.signals.done.emit(self, result)


def _objects_key(objects: list[dict[str, Any]]) -> str:
    return json.dumps(objects, sort_keys=True, default=str)


class LesionPanel(QWidget):
    """Lesions of the read, the active one, the timepoint's statuses, and the sign / amend buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lesionPanel")
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(QLabel("Reading"))
        self.timepoint = QComboBox()
        self.timepoint.setObjectName("timepointChoice")
        head.addWidget(self.timepoint, 1)
        layout.addLayout(head)
        self.banner = QLabel()
        self.banner.setObjectName("lockBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #21415f; color: #e0f0ff; padding: 6px; border-radius: 3px;")
        self.banner.hide()
        layout.addWidget(self.banner)
        self.lesions = QListWidget()
        self.lesions.setObjectName("lesionList")
        layout.addWidget(QLabel("Lesions (the active one receives each drawing)"))
        layout.addWidget(self.lesions, 1)
        add_box = QGroupBox("Add a lesion")
        form = QFormLayout(add_box)
        self.role = QComboBox()
        self.organ = QLineEdit()
        self.organ.setPlaceholderText("organ, e.g. thigh, lymph node")
        self.nodal = QCheckBox("lymph node")
        self.add_button = QPushButton("Add lesion")
        form.addRow("Role", self.role)
        form.addRow("Organ", self.organ)
        form.addRow("", self.nodal)
        form.addRow("", self.add_button)
        layout.addWidget(add_box)
        status_row = QHBoxLayout()
        self.too_small = QPushButton("Too small")
        self.too_small.setToolTip("too small to measure (RECIST counts 5 mm)")
        self.disappeared = QPushButton("Disappeared")
        self.not_evaluable = QPushButton("Not evaluable")
        for button in (self.too_small, self.disappeared, self.not_evaluable):
            status_row.addWidget(button)
        layout.addLayout(status_row)
        self.proposal = QLabel()
        self.proposal.setObjectName("segmentationProposal")
        self.proposal.setWordWrap(True)
        self.accept_segmentation = QPushButton("Accept segmentation")
        self.discard_segmentation = QPushButton("Discard")
        seg_row = QHBoxLayout()
        seg_row.addWidget(self.accept_segmentation)
        seg_row.addWidget(self.discard_segmentation)
        layout.addWidget(self.proposal)
        layout.addLayout(seg_row)
        tp_box = QGroupBox("This timepoint")
        tp_form = QFormLayout(tp_box)
        self.non_targets = QWidget()
        self.non_target_form = QFormLayout(self.non_targets)
        self.non_target_form.setContentsMargins(0, 0, 0, 0)
        self.new_lesions = QComboBox()
        self.new_lesions.setObjectName("newLesions")
        for value in NEW_LESION_VALUES:
            self.new_lesions.addItem(value, value)
        self.nodules = QCheckBox("new intratumoural nodules (Choi)")
        tp_form.addRow(self.non_targets)
        tp_form.addRow("New lesions", self.new_lesions)
        tp_form.addRow(self.nodules)
        layout.addWidget(tp_box)
        sign_row = QHBoxLayout()
        self.sign_button = QPushButton("Sign timepoint…")
        self.sign_button.setObjectName("signButton")
        self.amend_button = QPushButton("Amend…")
        sign_row.addWidget(self.sign_button)
        sign_row.addWidget(self.amend_button)
        # shown only while a brush correction's save has failed: saves it again (signing retries it too)
        self.retry_save = QPushButton("Retry save")
        self.retry_save.setObjectName("retrySave")
        self.retry_save.setStyleSheet("background: #7a1f1f; color: white;")
        self.retry_save.hide()
        layout.addWidget(self.retry_save)
        layout.addLayout(sign_row)
        self.non_target_boxes: dict[str, QComboBox] = {}


class ReadingWindow(MainWindow):
    """The viewer wired to one read: lesion panel, lesion table, response panel, sign-off."""

    read_changed = Signal()
    back_to_worklist = Signal()

    def __init__(
        self,
        session: ReaderSession,
        pseudonym: str,
        label: str = "",
        settings: QSettings | None = None,
        thread_pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(settings=settings, blinded=session.blinded, thread_pool=thread_pool)
        self.session = session
        self.pseudonym = pseudonym
        self.subject_label = pseudonym
        self.open_action.setEnabled(False)
        mode = "blinded central review" if session.blinded else "local reading"
        self.setWindowTitle(f"sfrt-reader — {pseudonym} — {session.username} ({mode})")
        self.read: ReadView = session.open_read(pseudonym)
        self.read_id = self.read.read_id
        self.images: list[TimepointImages] = session.timepoint_images(self.read_id)
        self.volume_of: dict[str, Volume] = {}
        self.reading_label = ""
        self.active_lesion = ""
        self.saved: dict[tuple[str, str], str] = {}
        self.segmentations: dict[tuple[str, str], dict[str, Any]] = {}
        self.proposal: tuple[str, str, Any] | None = None
        self.segment_tasks: list[SegmentTask] = []
        self._started_segmentations: list[SegmentTask] = []
        self._restoring = False
        self.masks = LesionMasks(self)

        self.panel = LesionPanel()
        self.lesion_dock = self.add_panel(self.panel, "Lesions", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.lesion_table = LesionTable()
        self.table_dock = self.add_panel(self.lesion_table, "Lesion table", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.response_panel = ResponsePanel()
        self.response_dock = self.add_panel(self.response_panel, "Responses", Qt.DockWidgetArea.RightDockWidgetArea)
        # the lesion table lists the measured values; the drawings list stays one tab away
        self.tabifyDockWidget(self.measurements_dock, self.response_dock)
        self.response_dock.raise_()
        self.worklist_action = self._action("open", "Back to the worklist")
        self.worklist_action.triggered.connect(self.back_to_worklist)
        self.toolbar.insertAction(self.open_action, self.worklist_action)
        self.lesion3d = Lesion3DController(self)  # the 3-D dock, built (and VTK loaded) when first opened
        self.toolbar.addAction(self.lesion3d.action)

        p = self.panel
        for tp in self.images:
            day = "" if tp.day is None else f" (day {tp.day})"
            p.timepoint.addItem(f"{tp.label}{day} {tp.modality or ''}", tp.label)
        p.timepoint.currentIndexChanged.connect(self._on_timepoint_chosen)
        p.lesions.currentItemChanged.connect(self._on_lesion_chosen)
        p.add_button.clicked.connect(self._add_lesion)
        p.too_small.clicked.connect(lambda: self._set_status("too_small"))
        p.disappeared.clicked.connect(lambda: self._set_status("disappeared"))
        p.not_evaluable.clicked.connect(lambda: self._set_status("not_evaluable"))
        p.accept_segmentation.clicked.connect(self._accept_segmentation)
        p.discard_segmentation.clicked.connect(self._discard_segmentation)
        p.new_lesions.currentIndexChanged.connect(self._on_new_lesions)
        p.nodules.clicked.connect(self._on_nodules)
        p.sign_button.clicked.connect(self._sign)
        p.amend_button.clicked.connect(self._amend)
        p.retry_save.clicked.connect(self._retry_unsaved)
        self.masks.unsaved_changed.connect(self._show_unsaved)
        self.grid.seed_picked.connect(self._on_seed)
        self.grid.brush_stroke.connect(self.masks.on_stroke)
        self.mask_fill_action = self._action("mask-fill", "Fill lesion masks", "M", checkable=True)
        self.mask_fill_action.toggled.connect(self.masks.set_fill)
        self.toolbar.insertAction(self.undo_action, self.mask_fill_action)
        self.linking = LinkedNavigation(self)  # anatomy linking, background registration, lesion propagation

        # Load every timepoint in the background; the first one not yet signed is the one read.
        for study in self.images:
            task = LoadTask(
                study.path, lambda path, progress, uid=study.study_instance_uid: load_study(path, uid, progress)
            )
            task.display_name = study.label
            task.study = study  # type: ignore[attr-defined]
            task.signals.progress.connect(self._on_progress)
            task.signals.loaded.connect(self._on_study_loaded)
            task.signals.failed.connect(self._on_failed)
            task.signals.cancelled.connect(self._on_cancelled)
            self.tasks.append(task)
            self.pool.start(task)
        self._update_progress()
        status = {tp.label: tp.status for tp in self.read.timepoints}
        first = next((n for n, st in enumerate(self.images) if status.get(st.label) != "signed"), len(self.images) - 1)
        if label:
            first = next((n for n, st in enumerate(self.images) if st.label == label), first)
        p.timepoint.setCurrentIndex(max(first, 0))
        self._on_timepoint_chosen(p.timepoint.currentIndex())

    def _on_undo_index(self, index: int) -> None:
        super()._on_undo_index(index)
        if hasattr(self, "panel"):
            self.sync_measurements()

    # ------------------------------------------------------------------------------------------- state
    def assessment(self, label: str | None = None) -> AssessmentView | None:
        label = label or self.reading_label
        return next((tp for tp in self.read.timepoints if tp.label == label), None)

    @property
    def locked(self) -> bool:
        a = self.assessment()
        return a is None or a.status != "draft"

    def _call(self, what: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a session call; an SfrtError becomes the banner's message and None."""
        self._flush_saves()
        try:
            result = what(*args, **kwargs)
        except SfrtError as error:
            self.show_error(str(error))
            return None
        self.banner.hide()
        return result

    def refresh_read(self) -> None:
        self._flush_saves()
        try:
            self.read = self.session.view(self.read_id)
        except SfrtError as error:
            self.show_error(str(error))
        self.show_read_view(self.read)

    def show_read_view(self, read: ReadView) -> None:
        """Show a read view (the panels, the worklist) read back from the database, here or in a worker."""
        self.read = read
        self._refresh_panels()
        self.read_changed.emit()

    def _flush_saves(self) -> None:
        """Finish the saves still running off the GUI thread, so this call comes after them (see save_queue)."""
        masks = getattr(self, "masks", None)
        if masks is not None:
            masks.saver.flush()

    def _refresh_panels(self) -> None:
        p = self.panel
        a = self.assessment()
        baseline = self.session.protocol.baseline.label
        current_code = self.active_lesion
        p.lesions.blockSignals(True)
        p.lesions.clear()
        for les in self.read.lesions:
            if les.role == "non-target":
                continue
            if self.reading_label and self.session.protocol.order_of(les.first_label) > self.session.protocol.order_of(
                self.reading_label
            ):
                continue
            m = next((x for x in a.measurements if x.lesion == les.code), None) if a else None
            value = ""
            if m is not None:
                value = (
                    f" — {m.diameter_mm:.1f} mm" if m.diameter_mm is not None else f" — {m.status.replace('_', ' ')}"
                )
            item = QListWidgetItem(f"{les.code}  {les.role}, {les.organ}{' (node)' if les.nodal else ''}{value}")
            item.setData(Qt.ItemDataRole.UserRole, les.code)
            p.lesions.addItem(item)
            if les.code == current_code:
                p.lesions.setCurrentItem(item)
        p.lesions.blockSignals(False)
        if p.lesions.currentItem() is None and p.lesions.count():
            p.lesions.setCurrentRow(0)
            self.active_lesion = str(p.lesions.currentItem().data(Qt.ItemDataRole.UserRole))
        p.role.clear()
        for role in ("target", "non-target") if self.reading_label == baseline else ("new",):
            p.role.addItem(role, role)
        # non-target statuses of this timepoint: the boxes are kept while the non-targets stay the same, so a
        # reader choosing with the keyboard keeps the focus on the box (rebuilding it would drop the focus)
        non_targets = [les for les in self.read.lesions if les.role == "non-target"]
        if [les.code for les in non_targets] != list(p.non_target_boxes):
            while p.non_target_form.rowCount():
                p.non_target_form.removeRow(0)
            p.non_target_boxes = {}
            for les in non_targets:
                box = QComboBox()
                box.setObjectName(f"nonTarget-{les.code}")
                box.addItem("(choose)", "")
                for status in NON_TARGET_STATUSES:
                    box.addItem(status.replace("_", " "), status)
                box.currentIndexChanged.connect(lambda _i, code=les.code, b=box: self._on_non_target(code, b))
                p.non_target_form.addRow(f"{les.code} ({les.organ})", box)
                p.non_target_boxes[les.code] = box
        for code, box in p.non_target_boxes.items():
            current = a.non_targets.get(code, "") if a else ""
            box.blockSignals(True)
            box.setCurrentIndex(max(box.findData(current), 0))
            box.blockSignals(False)
        if a is not None:
            p.new_lesions.blockSignals(True)
            p.new_lesions.setCurrentIndex(max(p.new_lesions.findData(a.new_lesions), 0))
            p.new_lesions.blockSignals(False)
            p.nodules.setChecked(a.new_intratumoral_nodules)
        locked = self.locked
        for widget in (
            p.add_button,
            p.too_small,
            p.disappeared,
            p.not_evaluable,
            p.new_lesions,
            p.nodules,
            p.sign_button,
            p.accept_segmentation,
            p.organ,
            p.role,
            p.nodal,
            *p.non_target_boxes.values(),
        ):
            widget.setEnabled(not locked)
        p.accept_segmentation.setEnabled(not locked and self.proposal is not None)
        p.discard_segmentation.setEnabled(self.proposal is not None)
        p.amend_button.setEnabled(a is not None and a.status == "signed")
        for tool, action in self.tool_actions.items():
            if tool.draws or tool in (Tool.SEGMENT, Tool.BRUSH):
                action.setEnabled(not locked)
        if locked and (self.grid.tool.draws or self.grid.tool in (Tool.SEGMENT, Tool.BRUSH)):
            self.set_tool(Tool.POINTER)
        if a is not None and a.status == "signed" and a.signature is not None:
            p.banner.setText(
                f"{a.label} v{a.version} signed by {a.signature.signer} ({a.signature.meaning}): read-only. "
                "Use Amend to change it."
            )
            p.banner.show()
        elif a is None:
            p.banner.setText(f"{self.reading_label} is not open for reading")
            p.banner.show()
        else:
            p.banner.setText(f"Amendment v{a.version}: {a.amendment_reason}" if a.amendment_reason else "")
            p.banner.setVisible(bool(a.amendment_reason))
        self.lesion_table.show_read(self.read)
        self.response_panel.show_read(self.read)
        self.lesion3d.refresh()

    # ------------------------------------------------------------------------------------------ loading
    def _on_study_loaded(self, task: LoadTask, volume: Volume) -> None:
        self._finish(task)
        study: TimepointImages = task.study  # type: ignore[attr-defined]
        self.volume_of[study.label] = volume
        self.show_status(f"Loaded {study.label}: {volume.modality} {volume.shape[2]}x{volume.shape[1]}")
        self._rehang()
        self.lesion3d.refresh()

    def _on_failed(self, task: LoadTask, message: str) -> None:
        """A timepoint's images could not be loaded: say which timepoint (the rest of the read stays usable)."""
        study = getattr(task, "study", None)
        if study is not None:
            message = f"the images of {study.label} could not be loaded, so nothing can be drawn on it: {message}"
        super()._on_failed(task, message)

    def _rehang(self) -> None:
        """Hang the loaded timepoints in protocol order with the one being read as current; restore drawings."""
        if not hasattr(self, "volume_of"):
            super()._rehang()
            return
        # Never hang a timepoint later than the one read (the reader must not see the future); when the one read
        # has no images (not loaded yet, or its load failed), the latest earlier timepoint takes the current cell.
        order = self.session.protocol.order_of
        loaded = [
            st
            for st in self.images
            if st.label in self.volume_of and (not self.reading_label or order(st.label) <= order(self.reading_label))
        ]
        timepoints = [
            Timepoint(
                self.volume_of[st.label],
                TimepointInfo(pseudonym=self.pseudonym, timepoint_label=st.label, day_from_baseline=st.day),
            )
            for st in loaded
        ]
        current = next((n for n, st in enumerate(loaded) if st.label == self.reading_label), None)
        if current is None and loaded:
            current = len(loaded) - 1
        self.grid.set_timepoints(timepoints, current=current, blinded=self.blinded)
        self.grid.set_tool(self.grid.tool)
        self._restore_drawings()
        self.masks.refresh()
        self.measurements_panel.refresh()
        self.timepoints_changed.emit()

    def _restore_drawings(self) -> None:
        """Draw each saved measurement of each shown timepoint on its slice (once per viewport)."""
        self._restoring = True
        try:
            for viewport in self.grid.viewports:
                label = viewport.info.timepoint_label
                if viewport.state.volume is None or viewport.property("restored") == label:
                    continue
                viewport.setProperty("restored", label)
                if any(m.lesion_id for m in viewport.measurements):
                    continue
                a = self.assessment(label)
                for m in a.measurements if a else ():
                    for obj in m.objects:
                        self._draw_object(viewport, label, m.lesion, obj)
            self.undo_stack.clear()
        finally:
            self._restoring = False
        self._remember_saved()

    def _draw_object(self, viewport: Any, label: str, lesion: str, obj: dict[str, Any]) -> None:
        kind = obj.get("kind")
        view = obj.get("view")  # the plane it was drawn on (absent: the acquired plane)
        try:
            m = measurement_from_dict(obj)
            if isinstance(m, Line):
                items = [viewport.draw_lps("length", [m.start, m.end], view=view)]
            elif isinstance(m, Bidimensional):
                la, sa = m.long_axis, m.short_axis
                items = [viewport.draw_lps("bidimensional", [la.start, la.end, sa.start, sa.end], view=view)]
            elif isinstance(m, RegionStatistics) and isinstance(m.region, EllipseRegion):
                r = m.region
                items = [viewport.draw_lps("ellipse", [r.center, r.axis_end_1, r.axis_end_2], view=view)]
            elif isinstance(m, RegionStatistics):
                items = [viewport.draw_lps("freehand", list(m.region.points), view=view)]
            elif isinstance(m, SegmentationResult):
                self.segmentations[(label, lesion)] = obj
                items = self._draw_segmentation_lines(viewport, obj)
            else:
                return
        except (SfrtError, KeyError, ValueError) as error:
            self.show_error(f"a saved {kind} of {lesion} could not be redrawn: {error}")
            return
        for item in items:
            item.lesion_id = lesion

    def _draw_segmentation_lines(self, viewport: Any, obj: dict[str, Any]) -> list[MeasurementItem]:
        """The segmentation's longest axial diameter and short axis, drawn on their slice, marked as its own."""
        items = []
        for key in ("longest_axial", "short_axis"):
            line = obj[key]
            item = viewport.draw_lps("length", [line["start"], line["end"]])
            item.setProperty("segmentation", True)
            items.append(item)
        return items

    # ----------------------------------------------------------------------------------------- choices
    def _on_timepoint_chosen(self, index: int) -> None:
        label = str(self.panel.timepoint.itemData(index) or "")
        if not label:
            return
        if self.reading_label and label != self.reading_label and not self._unsaved_resolved(f"open {label}"):
            box = self.panel.timepoint
            box.blockSignals(True)
            box.setCurrentIndex(max(box.findData(self.reading_label), 0))
            box.blockSignals(False)
            return
        self.reading_label = label
        self.masks.drop_strokes()
        if self.assessment(label) is None:
            started = self._call(self.session.start_timepoint, self.read_id, label)
            if started is not None:
                self.show_status(f"Timepoint {label} started")
        self.refresh_read()
        self._rehang()

    def _on_lesion_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            self.active_lesion = str(item.data(Qt.ItemDataRole.UserRole))
            self.show_status(f"Active lesion {self.active_lesion}: new drawings belong to it")
            self.masks.refresh()

    def _next_code(self, role: str) -> str:
        prefix = {"target": "T", "non-target": "NT", "new": "N"}[role]
        n = 1
        codes = {les.code for les in self.read.lesions}
        while f"{prefix}{n}" in codes:
            n += 1
        return f"{prefix}{n}"

    def _add_lesion(self) -> None:
        p = self.panel
        role = str(p.role.currentData() or "")
        if not role:
            return
        code = self._next_code(role)
        made = self._call(
            self.session.add_lesion,
            self.read_id,
            code,
            role,
            p.organ.text().strip(),
            p.nodal.isChecked(),
            label=self.reading_label,
        )
        if made is not None:
            if role != "non-target":
                self.active_lesion = code
            p.organ.clear()
            p.nodal.setChecked(False)
            self.show_status(f"Lesion {code} ({role}) added")
        self.refresh_read()

    def _set_status(self, status: str) -> None:
        if not self.active_lesion:
            self.show_error("select a lesion first")
            return
        if self._call(self.session.record_measurement, self.read_id, self.reading_label, self.active_lesion, status):
            self.show_status(f"{self.active_lesion}: {status.replace('_', ' ')}")
        self.refresh_read()

    def _on_non_target(self, code: str, box: QComboBox) -> None:
        status = str(box.currentData() or "")
        if status:
            self._call(self.session.set_non_target, self.read_id, self.reading_label, code, status)
        self.refresh_read()

    def _on_new_lesions(self, _index: int) -> None:
        value = str(self.panel.new_lesions.currentData())
        self._call(self.session.set_timepoint, self.read_id, self.reading_label, new_lesions=value)
        self.refresh_read()

    def _on_nodules(self, checked: bool) -> None:
        self._call(self.session.set_timepoint, self.read_id, self.reading_label, new_intratumoral_nodules=checked)
        self.refresh_read()

    # ------------------------------------------------------------------------------------ measurements
    def long_axis_for(self, viewport: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """The active lesion's long axis on this viewport's timepoint: its drawn longest diameter, else its accepted
        segmentation's longest axial diameter, else (no lesion chosen) the viewport's selected or last drawing."""
        code = self.active_lesion
        if not code:
            return super().long_axis_for(viewport)
        drawn = [
            m
            for m in viewport.measurements
            if m.lesion_id == code and m.value is not None and m.kind in ("length", "bidimensional")
        ]
        manual = [m for m in drawn if not m.property("segmentation")]
        if manual:
            return long_axis_of(manual[-1].value.result)
        seg = self.segmentations.get((viewport.info.timepoint_label, code))
        if seg is not None:
            line = seg["longest_axial"]
            return np.asarray(line["start"], dtype=np.float64), np.asarray(line["end"], dtype=np.float64)
        return None

    def reading_viewport(self) -> Any:
        return next((vp for vp in self.grid.viewports if vp.info.timepoint_label == self.reading_label), None)

    def _lesion_objects(self, code: str) -> tuple[list[dict[str, Any]], list[MeasurementItem]]:
        viewport = self.reading_viewport()
        items = [m for m in (viewport.measurements if viewport else []) if m.lesion_id == code]
        drawn = [m for m in items if not m.property("segmentation") and m.value is not None]
        objects = [{**m.value.result.to_dict(), "view": viewport.view_of(m)} for m in drawn if m.value is not None]
        seg = self.segmentations.get((self.reading_label, code))
        if seg is not None:
            objects.append(seg)
        return objects, drawn

    def _remember_saved(self) -> None:
        for les in self.read.lesions:
            objects, _ = self._lesion_objects(les.code)
            self.saved[(self.reading_label, les.code)] = _objects_key(objects)

    def sync_measurements(self) -> None:
        """Save every lesion whose drawings on the timepoint being read changed (draw, edit, delete, undo, redo)."""
        if self._restoring:
            return
        viewport = self.reading_viewport()
        if viewport is None:
            return
        for vp in self.grid.viewports:
            for item in vp.measurements:
                if item.lesion_id is not None:
                    continue
                if vp is not viewport or self.locked or not self.active_lesion:
                    why = (
                        "select or add a lesion first"
                        if not self.active_lesion
                        else f"{self.reading_label} is signed"
                        if self.locked
                        else f"only drawings on {self.reading_label}, the timepoint being read, are saved"
                    )
                    item.lesion_id = ""
                    self.show_error(f"Drawing not saved: {why}")
                    continue
                item.lesion_id = self.active_lesion
        changed = False
        for les in self.read.lesions:
            if les.role == "non-target":
                continue
            objects, drawn = self._lesion_objects(les.code)
            key = _objects_key(objects)
            if self.saved.get((self.reading_label, les.code)) == key:
                continue
            if not objects:
                self.show_status(f"{les.code} has no drawing left; its last saved measurement stays until you redraw")
                self.saved[(self.reading_label, les.code)] = key
                continue
            values = self._values(drawn, self.segmentations.get((self.reading_label, les.code)))
            saved = self._call(
                self.session.record_measurement,
                self.read_id,
                self.reading_label,
                les.code,
                "measured",
                objects=objects,
                **values,
            )
            if saved is not None:
                self.saved[(self.reading_label, les.code)] = key
                self.masks.mark_saved((self.reading_label, les.code))
                changed = True
                self.show_status(f"{les.code} at {self.reading_label} saved")
        if changed:
            self.refresh_read()

    @staticmethod
    def _values(drawn: list[MeasurementItem], seg: dict[str, Any] | None) -> dict[str, float | None]:
        """The reader's drawn lines take precedence over the segmentation's proposed diameters."""
        out: dict[str, float | None] = {}
        for item in drawn:
            result = item.value.result if item.value is not None else None
            if item.kind == "length" and "diameter_mm" not in out:
                out["diameter_mm"] = float(result.length_mm)
            elif item.kind == "bidimensional":
                out.setdefault("diameter_mm", float(result.long_mm))
                out.setdefault("short_axis_mm", float(result.short_mm))
            elif item.kind in ("ellipse", "freehand") and "mean_hu" not in out:
                out["mean_hu"] = float(result.mean)
        if seg is not None:
            out.setdefault("diameter_mm", float(seg["longest_axial"]["length_mm"]))
            out.setdefault("short_axis_mm", float(seg["short_axis"]["length_mm"]))
            out.setdefault("mean_hu", float(seg["mean"]))
            out.setdefault("volume_ml", float(seg["volume_ml"]))
        return out

    # ------------------------------------------------------------------------------------ segmentation
    def _on_seed(self, viewport: Any, lps: np.ndarray) -> None:
        if viewport is not self.reading_viewport() or self.locked:
            self.show_error(f"segment on {self.reading_label}, the timepoint being read (and not signed)")
            return
        if not self.active_lesion:
            self.show_error("select or add a lesion first, then click inside it")
            return
        for task in self.segment_tasks:
            task.cancelled.set()
        task = SegmentTask(viewport.state.volume, np.asarray(lps), self.reading_label, self.active_lesion)
        task.signals.done.connect(self._on_segmented)
        task.signals.failed.connect(self._on_segment_failed)
        self.segment_tasks.append(task)
        self._started_segmentations.append(task)  # kept alive until the thread ends, even when cancelled
        self.progress.setRange(0, 0)
        self.progress.setFormat("Segmenting…")
        self.progress.show()
        self.cancel_button.show()
        self.viewport_busy(True)
        self.pool.start(task)
        self.show_status(f"Segmenting {self.active_lesion}…")

    def viewport_busy(self, busy: bool) -> None:
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)

    def _segment_finished(self, task: SegmentTask) -> None:
        if task in self.segment_tasks:
            self.segment_tasks.remove(task)
        if not self.segment_tasks:
            self.progress.setRange(0, 100)
            self.progress.setFormat("Loading %p%")
            self.viewport_busy(False)
            self._update_progress()

    def _on_segmented(self, task: SegmentTask, result: Any) -> None:
        self._segment_finished(task)
        if task.cancelled.is_set():
            return
        self.proposal = (task.label, task.lesion, result)
        unit = "HU" if result.is_hu else "(signal)"
        self.panel.proposal.setText(
            f"Proposed for {task.lesion}: longest axial diameter {result.longest_axial_diameter_mm:.1f} mm, short "
            f"axis {result.short_axis_mm:.1f} mm, mean {result.mean:.1f} {unit}, volume {result.volume_ml:.1f} ml"
        )
        self._refresh_panels()
        self.masks.refresh()

    def _on_segment_failed(self, task: SegmentTask, message: str) -> None:
        self._segment_finished(task)
        if not task.cancelled.is_set():
            self.show_error(message)

    def _accept_segmentation(self) -> None:
        if self.proposal is None:
            return
        label, lesion, result = self.proposal
        viewport = self.reading_viewport()
        if label != self.reading_label or viewport is None:
            self.show_error("the proposal belongs to another timepoint: segment again")
            return
        self.segmentations[(label, lesion)] = result.to_dict()
        self.masks.forget_edits((label, lesion))
        self.proposal = None
        self.panel.proposal.setText("")
        self._restoring = True
        try:
            for item in list(viewport.measurements):
                if item.lesion_id == lesion and item.property("segmentation"):
                    viewport.remove_measurement(item)
            for item in self._draw_segmentation_lines(viewport, result.to_dict()):
                item.lesion_id = lesion
        finally:
            self._restoring = False
        self.sync_measurements()
        self.masks.refresh()

    def _discard_segmentation(self) -> None:
        self.proposal = None
        self.panel.proposal.setText("")
        self._refresh_panels()
        self.masks.refresh()

    # ---------------------------------------------------------------------------------------- sign-off
    def _unsaved_resolved(self, action: str) -> bool:
        """True when nothing on screen is left unsaved: brush corrections whose save failed, drawings whose save
        failed (both are tried again first); else the banner says what was not saved, that `action` was refused,
        and what to do."""
        if self.masks.unsaved and not self.masks.retry_unsaved():
            self.show_error(
                f"Cannot {action}: {self.masks.unsaved_text()}. The correction is kept on screen; press Retry save "
                "once the database answers again"
            )
            return False
        if self._unsaved_drawings():
            shown = len(self.errors)
            self.sync_measurements()  # saves them again
            left = self._unsaved_drawings()
            if left:
                why = f" ({self.errors[-1]})" if len(self.errors) > shown else ""
                self.show_error(
                    f"Cannot {action}: the drawings of {', '.join(left)} at {self.reading_label} were not saved{why}. "
                    f"They are kept on screen; {action} again once the database answers"
                )
                return False
        return True

    def _unsaved_drawings(self) -> list[str]:
        """The lesions whose drawings on the timepoint read are not what the database holds: their save (on the
        GUI thread, `sync_measurements`) failed, and the next change of the lesion would try it again."""
        if self._restoring:
            return []
        out = []
        for les in self.read.lesions:
            if les.role == "non-target":
                continue
            objects, _ = self._lesion_objects(les.code)
            if objects and self.saved.get((self.reading_label, les.code)) != _objects_key(objects):
                out.append(les.code)
        return out

    def unsaved_text(self) -> str:
        """What on screen is not saved, in one sentence (lesion codes and timepoints only)."""
        parts = [self.masks.unsaved_text()] if self.masks.unsaved else []
        drawn = [code for code in self._unsaved_drawings() if (self.reading_label, code) not in self.masks.unsaved]
        if drawn:
            parts.append(f"the drawings of {', '.join(drawn)} at {self.reading_label} were not saved")
        return "; ".join(parts)

    def _retry_unsaved(self) -> None:
        if self.masks.retry_unsaved():
            self.banner.hide()
            self.show_status("The brush corrections not saved before are saved now")

    def _show_unsaved(self) -> None:
        """The Retry save button is there exactly while a correction's save has failed."""
        retry = self.panel.retry_save
        retry.setVisible(bool(self.masks.unsaved))
        retry.setToolTip(self.masks.unsaved_text())

    def _sign(self) -> None:
        self._flush_saves()  # a save still running ends first: it may fail, and then signing is refused
        if self.masks.busy:
            self.show_error(
                "brush strokes are still being painted, measured or saved: sign once the lesion table shows them"
            )
            return
        if not self._unsaved_resolved(f"sign {self.reading_label}"):
            return
        dialog = SignDialog(self.reading_label, SIGNATURE_MEANING, self.session.username, self)
        if dialog.exec() != SignDialog.DialogCode.Accepted:
            return
        signed = self._call(self.session.sign, self.read_id, self.reading_label, dialog.password.text())
        if signed is not None:
            self.show_status(f"{self.reading_label} signed: {signed.meaning}")
            self.refresh_read()
            index = self.panel.timepoint.currentIndex()
            if index + 1 < self.panel.timepoint.count():
                self.panel.timepoint.setCurrentIndex(index + 1)
            return
        self.refresh_read()

    def _amend(self) -> None:
        label = self.reading_label
        # The dialog makes the amendment itself, so that a refused reason stays in it to be corrected.
        dialog = AmendDialog(label, self, submit=lambda reason: self._amend_now(label, reason))
        if dialog.exec() != AmendDialog.DialogCode.Accepted:
            return
        self.banner.hide()
        self.show_status(f"{label}: amendment opened")
        self.refresh_read()

    def _amend_now(self, label: str, reason: str) -> Any:
        self._flush_saves()  # like every database call of the window: after the saves still queued
        return self.session.amend(self.read_id, label, reason)

    def closeEvent(self, event: QCloseEvent) -> None:
        """The brush strokes already drawn are painted, measured and saved before the window goes (closing loses
        at most the stroke in progress); if that cannot finish, the window stays open and says so."""
        masks = getattr(self, "masks", None)
        if masks is not None and masks.busy:
            self.show_status("Saving the brush strokes before closing…")
            if not masks.finish():
                self.show_error("the brush strokes are still being saved: close the window again in a moment")
                event.ignore()
                return
        if masks is not None and (masks.unsaved or self._unsaved_drawings()) and not self._close_with_unsaved():
            event.ignore()
            return
        super().closeEvent(event)
        if masks is not None:
            masks.saver.shutdown()  # everything is saved: the save thread ends with the window

    def _close_with_unsaved(self) -> bool:
        """A correction's save failed and the window is closing: retry, discard it, or stay. True to close."""
        choice = self.ask_unsaved(self.unsaved_text())
        if choice == "retry":
            return self._unsaved_resolved("close the window")
        if choice == "discard":
            self.masks.discard_unsaved()
            return True
        self.show_status("Not closed: the corrections not saved are still on screen")
        return False

    def ask_unsaved(self, text: str) -> str:
        """Ask the reader what to do with corrections not saved: "retry", "discard" or "cancel"."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Corrections not saved")
        box.setText(f"{text[0].upper()}{text[1:]}.")
        box.setInformativeText(
            "Retry saves them again now; Discard closes and the read keeps its last saved values; Cancel keeps the "
            "window open with the corrections on screen."
        )
        retry = box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(retry)
        box.exec()
        clicked = box.clickedButton()
        return "retry" if clicked is retry else "discard" if clicked is discard else "cancel"

    def cancel_loading(self) -> None:
        """Cancel (and closing the window): stops the loads and the background registration, and drops a
        segmentation still running (its result is ignored)."""
        super().cancel_loading()
        linking = getattr(self, "linking", None)
        if linking is not None:
            linking.stop_registration(quiet=True)
        masks = getattr(self, "masks", None)
        if masks is not None:
            masks.drop_strokes()
            masks.saver.flush()  # the saves already asked for are written, never dropped
        for task in list(getattr(self, "segment_tasks", [])):
            task.cancelled.set()
            self._segment_finished(task)
            self.show_status("Segmentation cancelled")
