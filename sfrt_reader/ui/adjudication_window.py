"""The adjudicator's desk: the two central reads of a discordant subject side by side, the choice and its signature.

Opened from the adjudicator's worklist. The subject's timepoints load once in worker threads and are shown in both
panes with each reader's own drawings; the comparison table puts the responses of read A and read B next to each
other with the disagreements in amber and the ones that called the adjudicator (recorded by the reading layer when
the second read was completed) in bold. The adjudicator chooses a read, writes the rationale and signs with the
password; `ReaderSession.adjudicate` records the decision and its audit event, and the desk becomes read-only.
Each read's pane switches between axial, coronal and sagittal, and choosing a cell of its lesion table shows that
drawing in the plane (and on the slice) the reader drew it, moving the desk to that timepoint if needed.

Blinded by construction: everything comes from the adjudicator's session views, which name readers "A" and "B" and
count time in days from baseline.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.reading.errors import AccessDeniedError, WorkflowError
from sfrt_reader.reading.records import ADJUDICATION_MEANING
from sfrt_reader.reading.service import ReaderSession
from sfrt_reader.reading.views import AdjudicationView, TimepointImages
from sfrt_reader.ui.adjudication_compare import compare_reads, first_disagreement, trigger_text
from sfrt_reader.ui.adjudication_panels import (
    AMBER_BOX,
    AdjudicationSignDialog,
    ComparisonTable,
    DecisionPanel,
    ReadPane,
)
from sfrt_reader.ui.loading import LoadTask
from sfrt_reader.ui.main_window import ErrorBanner
from sfrt_reader.ui.reading_window import load_study


def find_adjudication(session: ReaderSession, pseudonym: str) -> AdjudicationView:
    """The subject's adjudication as the adjudicator's session sees it; refused for anyone else."""
    if session.role != "adjudicator":
        raise AccessDeniedError(
            "the adjudicator's desk is for the adjudicator: a reader or manager cannot open it; "
            "log in as the adjudicator"
        )
    found = [a for a in session.adjudications() if a.pseudonym == pseudonym]
    if not found:
        raise WorkflowError(
            f"{pseudonym} has no adjudication: its two central reads agree or are not both complete yet"
        )
    return found[0]


class AdjudicationWindow(QMainWindow):
    """Read A | read B, the comparison, the decision. Signal `decided` after the signature is recorded."""

    decided = Signal()

    def __init__(self, session: ReaderSession, pseudonym: str, thread_pool: QThreadPool | None = None) -> None:
        super().__init__()
        self.session = session
        self.pseudonym = pseudonym
        self.adjudication = find_adjudication(session, pseudonym)
        self.read_a = session.view(self.adjudication.read_a)
        self.read_b = session.view(self.adjudication.read_b)
        self.images: list[TimepointImages] = session.timepoint_images(self.adjudication.read_a)
        self.volume_of: dict[str, Volume] = {}
        self.errors: list[str] = []
        self.tasks: list[LoadTask] = []
        self.pool = thread_pool or QThreadPool.globalInstance()
        self.setWindowTitle(f"sfrt-reader — adjudication — {pseudonym} (blinded central review)")
        self.rows = compare_reads(self.read_a, self.read_b, self.adjudication.triggers, session.protocol.baseline.label)
        self.current_label = first_disagreement(self.rows) or (self.images[-1].label if self.images else "")

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)
        self.header = QLabel(
            f"<span style='font-size:14pt; font-weight:bold'>{pseudonym}</span>"
            "&nbsp;&nbsp;<span style='color:#8a9099'>Adjudication of the blinded independent central review · "
            "readers shown as A and B · days from baseline</span>"
        )
        self.header.setObjectName("deskHeader")
        outer.addWidget(self.header)
        self.triggers = QLabel(
            "<b>Points of disagreement</b> (why the adjudicator was called):<br>"
            + "<br>".join(f"• {trigger_text(t)}" for t in self.adjudication.triggers)
        )
        self.triggers.setObjectName("deskTriggers")
        self.triggers.setWordWrap(True)
        self.triggers.setStyleSheet(AMBER_BOX)
        self.banner = ErrorBanner()
        outer.addWidget(self.banner)

        body = QSplitter(Qt.Orientation.Horizontal)
        self.pane_a = ReadPane("A")
        self.pane_b = ReadPane("B")
        body.addWidget(self.pane_a)
        body.addWidget(self.pane_b)
        side = QWidget()
        side.setObjectName("deskSide")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        side_layout.addWidget(QLabel("<b>Responses of the two reads</b> (click a timepoint to show it)"))
        self.comparison = ComparisonTable()
        side_layout.addWidget(self.comparison)
        side_layout.addWidget(self.triggers)
        self.decision = DecisionPanel(ADJUDICATION_MEANING)
        side_layout.addWidget(self.decision, 1)
        body.addWidget(side)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 1)
        body.setStretchFactor(2, 0)
        side.setMinimumWidth(500)
        body.setChildrenCollapsible(False)
        self.body = body
        outer.addWidget(body, 1)
        self.setCentralWidget(central)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setFormat("Loading %p%")
        self.cancel_button = QPushButton("Cancel")
        self.status = QLabel()
        bar = self.statusBar()
        bar.addWidget(self.status, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel_loading)

        for pane, read in ((self.pane_a, self.read_a), (self.pane_b, self.read_b)):
            pane.show_read(read)
            pane.message.connect(self.show_status)
            pane.measurement_chosen.connect(lambda code, label, pane=pane: self.show_measurement(pane, code, label))
        self.comparison.show_rows(self.rows)
        self.comparison.select_timepoint(self.current_label)
        self.comparison.timepoint_chosen.connect(self.show_timepoint)
        self.decision.sign_requested.connect(self.sign)
        self._show_outcome()
        self._start_loading()

    # ------------------------------------------------------------------------------------------- loading
    def _start_loading(self) -> None:
        for study in self.images:
            task = LoadTask(
                study.path, lambda path, progress, uid=study.study_instance_uid: load_study(path, uid, progress)
            )
            task.display_name = study.label
            task.study = study  # type: ignore[attr-defined]
            task.signals.loaded.connect(self._on_loaded)
            task.signals.failed.connect(self._on_failed)
            task.signals.cancelled.connect(self._on_cancelled)
            task.signals.progress.connect(lambda *_: self._update_progress())
            self.tasks.append(task)
            self.pool.start(task)
        self._update_progress()

    def _update_progress(self) -> None:
        busy = bool(self.tasks)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            done = len(self.volume_of)
            partial = sum(t.done / t.total for t in self.tasks if t.total)
            self.progress.setValue(int(100 * (done + partial) / max(len(self.images), 1)))

    def _finish(self, task: LoadTask) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
        self._update_progress()

    def _on_loaded(self, task: LoadTask, volume: Volume) -> None:
        self._finish(task)
        study: TimepointImages = task.study  # type: ignore[attr-defined]
        self.volume_of[study.label] = volume
        self._rehang()

    def _on_failed(self, task: LoadTask, message: str) -> None:
        self._finish(task)
        self.show_error(message)

    def _on_cancelled(self, task: LoadTask) -> None:
        self._finish(task)
        self.show_status(f"Loading of {task.display_name} cancelled")

    def cancel_loading(self) -> None:
        for task in list(self.tasks):
            task.cancel()

    def _rehang(self) -> None:
        for pane in (self.pane_a, self.pane_b):
            pane.hang(self.images, self.volume_of, self.current_label)
            pane.focus_timepoint(self.current_label)

    def show_timepoint(self, label: str) -> None:
        """Show baseline | `label` in both panes, each on its own measured slice."""
        self.current_label = label
        self.comparison.select_timepoint(label)
        self._rehang()
        self.show_status(f"Showing baseline and {label} of both reads")

    def show_measurement(self, pane: ReadPane, code: str, label: str) -> bool:
        """A cell of a read's lesion table was chosen: show that read's drawing of the lesion at that timepoint in
        the plane it was drawn in (the desk moves to the timepoint first when it is not on screen)."""
        hung = {vp.info.timepoint_label for vp in pane.grid.viewports if vp.state.volume is not None}
        if label not in hung:
            if label not in self.volume_of:
                self.show_status(f"{label} is not loaded yet")
                return False
            self.show_timepoint(label)
        return pane.show_measurement(code, label)

    # ------------------------------------------------------------------------------------------ decision
    def _show_outcome(self) -> None:
        adj = self.adjudication
        if adj.status == "pending":
            return
        self.decision.show_decided(adj.status, adj.chosen, adj.rationale)
        self.pane_a.set_chosen(adj.chosen == "A" if adj.chosen else None)
        self.pane_b.set_chosen(adj.chosen == "B" if adj.chosen else None)

    @property
    def read_only(self) -> bool:
        return self.adjudication.status != "pending"

    def sign(self) -> None:
        choice = self.decision.choice
        if self.read_only or choice is None:
            return
        dialog = AdjudicationSignDialog(self.pseudonym, choice, ADJUDICATION_MEANING, self)
        if dialog.exec() != AdjudicationSignDialog.DialogCode.Accepted:
            return
        try:
            self.adjudication = self.session.adjudicate(
                self.adjudication.adjudication_id, choice, self.decision.rationale.toPlainText(), dialog.password.text()
            )
        except SfrtError as error:
            self.show_error(str(error))
            return
        self.banner.hide()
        self._show_outcome()
        self.show_status(f"Adjudication signed: read {choice} chosen")
        self.decided.emit()

    # ------------------------------------------------------------------------------------------- messages
    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, text: str) -> None:
        self.errors.append(text)
        self.banner.show_message(text)
        self.status.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel_loading()
        super().closeEvent(event)
