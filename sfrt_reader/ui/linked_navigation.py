"""Linked navigation by anatomy and lesion propagation in the reading window.

What the reader does and sees:
- The toolbar's link choice: "Link: anatomy" (default), "Link: table position" (the scanner's table coordinate, as
  before), "Link: off". Ctrl+L still turns linking off and on again.
- By anatomy, scrolling one viewport moves the others to the slice showing the same anatomy; Shift+click marks a
  point with a green crosshair and brings every timepoint to it; moving the mouse with Shift held does the same
  continuously (the "crosshair" gesture of most PACS, which keeps a plain click free for the drawing tools).
- The registrations are computed in the background when the subject is opened (status bar progress, "Stop
  registering" cancels) and stored with the read, so the next opening reuses them.
- A follow-up whose registration is missing, poor or rejected is linked by table position instead: it wears a
  "TABLE POSITION" badge whose tooltip says why, and the status bar shows the notice while linking uses it.
- The toolbar's "Registration" menu: "Registration does not line up…" rejects the registration of the active
  follow-up with a reason (audited); "Use this registration again" withdraws that rejection (audited too) and the
  follow-up links by anatomy again.
- Selecting a lesion while reading a follow-up centres every viewport on where it was last measured (carried
  through the registrations) and offers "Segment at propagated seed" for the one-click segmentation there.

The carrying rules live in `sfrt_reader.ui.state.anatomy_link` (plain Python); this module only wires widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.registration_result import Registration
from sfrt_reader.ui.refusable_dialog import RefusableDialog
from sfrt_reader.ui.registration_task import RegistrationTask
from sfrt_reader.ui.state.anatomy_link import (
    AnatomyLink,
    LinkMode,
    centre_on,
    lesion_centre,
    point_on_slice,
    show_point,
)
from sfrt_reader.ui.viewport import SliceViewport

if TYPE_CHECKING:
    from sfrt_reader.imaging.registration import RegistrationOptions
    from sfrt_reader.ui.reading_window import ReadingWindow

SETTINGS_LINK_MODE = "viewer/link_mode"
BADGE_TEXT = "TABLE POSITION"
BADGE_STYLE = "background: rgba(120, 80, 0, 210); color: #ffe9b0; padding: 2px 6px; border-radius: 3px;"
NOTICE_STYLE = "color: #ffd27a;"
MODE_TEXT = {
    LinkMode.ANATOMY: "Link: anatomy",
    LinkMode.TABLE: "Link: table position",
    LinkMode.OFF: "Link: off",
}


class RejectRegistrationDialog(RefusableDialog):
    """Ask why the registration of a follow-up does not line up (the reason goes to the audit trail).

    With `submit`, the rejection is made from the dialog: a refusal (for example a reason that names the patient)
    is shown in the dialog, which stays open with the reason as typed, so nothing the reader wrote is lost."""

    def __init__(
        self, label: str, parent: QWidget | None = None, submit: Callable[[str], object] | None = None
    ) -> None:
        super().__init__(parent, submit, "rejectError")
        self.setWindowTitle(f"Reject the registration of {label}")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"Linking {label} to the baseline by anatomy will stop; it will be linked by table position.\n"
                "Say what does not line up:"
            )
        )
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. the femur is 2 cm off at the knee")
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        buttons.addButton("Reject", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(lambda: self.submit_text(self.reason.text()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class LinkedNavigation(QObject):
    """The reading window's anatomy linking: toolbar choice, background registration, crosshair, propagation."""

    def __init__(self, window: ReadingWindow, options: RegistrationOptions | None = None) -> None:
        super().__init__(window)
        from sfrt_reader.imaging.registration import RegistrationOptions

        self.window = window
        self.options = options or RegistrationOptions()
        self.link = AnatomyLink(window.session.protocol.baseline.label)
        self.task: RegistrationTask | None = None
        self.failed: set[str] = set()
        self.stopped = False
        self.marks: dict[str, np.ndarray] = {}  # the crosshair, per timepoint label, in that scan's patient mm
        self.seed: tuple[str, str, np.ndarray] | None = None  # label, lesion, LPS of the propagated seed
        self.notices: tuple[str, ...] = ()
        self._stored_loaded = False
        self._busy = False
        self._last_on = LinkMode.ANATOMY
        saved = str(window.settings.value(SETTINGS_LINK_MODE, LinkMode.ANATOMY.value))
        self.mode = next((m for m in LinkMode if m.value == saved), LinkMode.ANATOMY)
        if self.mode == LinkMode.OFF and window.link_action.isChecked():
            self.mode = LinkMode.ANATOMY
        elif not window.link_action.isChecked():
            self.mode = LinkMode.OFF
        self._build_widgets()
        window.grid.rebuilt.connect(self._on_rehang)
        window.link_action.toggled.connect(self._on_link_action)
        window.panel.lesions.currentItemChanged.connect(self._on_lesion_chosen)
        window.installEventFilter(self)
        self.set_mode(self.mode)

    # ------------------------------------------------------------------------------------------ widgets
    def _build_widgets(self) -> None:
        w = self.window
        self.mode_box = QComboBox()
        self.mode_box.setObjectName("linkMode")
        self.mode_box.setToolTip(
            "How the timepoints follow one another: by anatomy (through the registrations), by table position, "
            "or not at all. Shift+click or Shift+move marks a point in every timepoint."
        )
        for mode, text in MODE_TEXT.items():
            self.mode_box.addItem(text, mode.value)
        self.mode_box.currentIndexChanged.connect(self._on_mode_chosen)
        actions = w.toolbar.actions()
        after = actions.index(w.link_action) + 1 if w.link_action in actions else len(actions)
        if after < len(actions):
            self.mode_action = w.toolbar.insertWidget(actions[after], self.mode_box)
        else:
            self.mode_action = w.toolbar.addWidget(self.mode_box)
        self.reject_action = QAction("Registration does not line up…", w)
        self.reject_action.setObjectName("rejectRegistration")
        self.reject_action.setToolTip("Reject the registration of the active follow-up: it is linked by table position")
        self.reject_action.triggered.connect(self.ask_reject)
        self.reuse_action = QAction("Use this registration again", w)
        self.reuse_action.setObjectName("reuseRegistration")
        self.reuse_action.setToolTip(
            "Withdraw your rejection of the active follow-up's registration: it is linked by anatomy again"
        )
        self.reuse_action.triggered.connect(self.withdraw_current)
        # one toolbar button with both judgements in its menu: the toolbar keeps room for the tools
        self.registration_menu = QMenu("Registration", w)
        self.registration_menu.setToolTipsVisible(True)
        self.registration_menu.addAction(self.reject_action)
        self.registration_menu.addAction(self.reuse_action)
        self.registration_button = QToolButton()
        self.registration_button.setObjectName("registrationButton")
        self.registration_button.setText("Registration")
        self.registration_button.setToolTip("Judge the registration of the active follow-up to the baseline")
        self.registration_button.setMenu(self.registration_menu)
        self.registration_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        w.toolbar.addWidget(self.registration_button)
        self.notice_label = QLabel()
        self.notice_label.setObjectName("linkNotice")
        self.notice_label.setStyleSheet(NOTICE_STYLE)
        self.notice_label.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("registrationProgress")
        self.progress.setFixedWidth(200)
        self.progress.setRange(0, 1000)
        self.progress.setFormat("Registering %p%")
        self.stop_button = QPushButton("Stop registering")
        self.stop_button.setObjectName("stopRegistration")
        self.stop_button.clicked.connect(lambda: self.stop_registration())
        w.cancel_button.clicked.connect(lambda: self.stop_registration())  # the window's Cancel stops all long work
        status = w.statusBar()
        status.addPermanentWidget(self.notice_label)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.stop_button)
        self.progress.hide()
        self.stop_button.hide()
        self.seed_button = QPushButton("Segment at propagated seed")
        self.seed_button.setObjectName("propagatedSeedButton")
        self.seed_button.setToolTip(
            "One-click segmentation at the point where the selected lesion was, carried to this timepoint"
        )
        self.seed_button.setEnabled(False)
        self.seed_button.clicked.connect(self.segment_at_seed)
        layout = w.panel.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(w.panel.proposal), self.seed_button)

    # --------------------------------------------------------------------------------------------- mode
    def set_mode(self, mode: LinkMode) -> None:
        """Choose how the viewports follow one another; keeps the toolbar, Ctrl+L and the settings in step."""
        self.mode = mode
        if mode != LinkMode.OFF:
            self._last_on = mode
        index = self.mode_box.findData(mode.value)
        if self.mode_box.currentIndex() != index:
            self.mode_box.blockSignals(True)
            self.mode_box.setCurrentIndex(index)
            self.mode_box.blockSignals(False)
        linked = mode != LinkMode.OFF
        if self.window.link_action.isChecked() != linked:
            self.window.link_action.setChecked(linked)  # -> MainWindow.set_linked -> _on_link_action
        # the table-position group must not move viewports the anatomy link has placed
        self.window.grid.link.set_enabled(mode == LinkMode.TABLE)
        self.window.settings.setValue(SETTINGS_LINK_MODE, mode.value)
        self.reject_action.setEnabled(mode == LinkMode.ANATOMY)
        self.reuse_action.setEnabled(mode == LinkMode.ANATOMY)
        self.registration_button.setEnabled(mode == LinkMode.ANATOMY)
        self._refresh_badges()
        if mode != LinkMode.ANATOMY:
            self._show_notices(())
        self.window.show_status(
            {
                LinkMode.ANATOMY: "Timepoints linked by anatomy (registration); Shift+click marks a point in all",
                LinkMode.TABLE: "Scrolling linked by table position",
                LinkMode.OFF: "Scrolling unlinked",
            }[mode]
        )
        if mode == LinkMode.ANATOMY:
            self._sync_from_active()

    def _on_mode_chosen(self, index: int) -> None:
        value = self.mode_box.itemData(index)
        self.set_mode(next(m for m in LinkMode if m.value == value))

    def _on_link_action(self, checked: bool) -> None:
        wanted = (self._last_on if self.mode == LinkMode.OFF else self.mode) if checked else LinkMode.OFF
        if wanted != self.mode or self.window.grid.link.enabled != (wanted == LinkMode.TABLE):
            self.set_mode(wanted)

    # ------------------------------------------------------------------------------------- the viewports
    def _label(self, viewport: SliceViewport) -> str:
        return viewport.info.timepoint_label

    def _viewport_of(self, state: Any) -> SliceViewport | None:
        return next((vp for vp in self.window.grid.viewports if vp.state is state), None)

    def _on_rehang(self) -> None:
        for viewport in self.window.grid.viewports:
            if viewport.property("anatomyLinked"):
                continue
            viewport.setProperty("anatomyLinked", True)
            viewport.point_picked.connect(self._on_point_picked)
            viewport.state.events.connect(self._on_state_event)
            viewport.viewport().installEventFilter(self)
            viewport.installEventFilter(self)
            badge = QLabel(BADGE_TEXT, viewport)
            badge.setObjectName("linkBadge")
            badge.setStyleSheet(BADGE_STYLE)
            badge.hide()
        self.window.grid.link.set_enabled(self.mode == LinkMode.TABLE)
        for viewport in self.window.grid.viewports:
            mark = self.marks.get(self._label(viewport))
            if mark is not None and viewport.state.volume is not None:
                viewport.set_crosshair(mark)
        self._refresh_badges()
        self._start_registrations()
        if self.mode == LinkMode.ANATOMY and not self.marks:
            self._sync_from_active()

    def badge(self, viewport: SliceViewport) -> QLabel:
        badge = viewport.findChild(QLabel, "linkBadge")
        assert isinstance(badge, QLabel)
        return badge

    def _refresh_badges(self) -> None:
        for viewport in self.window.grid.viewports:
            badge = viewport.findChild(QLabel, "linkBadge")
            if not isinstance(badge, QLabel):
                continue
            label = self._label(viewport)
            notice = None
            if self.mode == LinkMode.ANATOMY and viewport.state.volume is not None:
                notice = self.link.notice(label)
                if notice is not None and self.task is not None and label in self.task.labels:
                    notice = f"{label} is being registered; until then it is linked by table position."
            badge.setVisible(notice is not None)
            if notice is not None:
                badge.setToolTip(notice)
                badge.adjustSize()
                badge.move(max(0, (viewport.width() - badge.width()) // 2), 30)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.window and kind == QEvent.Type.Close:
            self.stop_registration(quiet=True)
        elif kind == QEvent.Type.Resize and isinstance(watched, SliceViewport):
            self._refresh_badges()
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent) and self.mode == LinkMode.ANATOMY:
            held = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            viewport = watched.parent()
            if held and event.buttons() == Qt.MouseButton.NoButton and isinstance(viewport, SliceViewport):
                lps = viewport.lps_at(event.position())
                if lps is not None:
                    self.navigate(viewport, lps, mark=True)
        return False

    def _on_point_picked(self, viewport: SliceViewport, lps: np.ndarray) -> None:
        if self.mode == LinkMode.ANATOMY:
            self.navigate(viewport, lps, mark=True)

    def _on_state_event(self, event: Any) -> None:
        if self.mode != LinkMode.ANATOMY or self._busy or event.name not in {"slice", "plane"}:
            return
        viewport = self._viewport_of(event.source)
        if viewport is None or viewport.state.volume is None:
            return
        mark = viewport.crosshair_lps
        self.navigate(viewport, point_on_slice(viewport.state, mark), mark=mark is not None)

    def _sync_from_active(self) -> None:
        viewport = self.window.grid.active
        if viewport is None or viewport.state.volume is None:
            return
        self.navigate(viewport, point_on_slice(viewport.state, viewport.crosshair_lps), mark=False)

    def navigate(self, source: SliceViewport, lps: np.ndarray, mark: bool, centre: bool = False) -> None:
        """Bring every other timepoint to the anatomy at `lps` of `source` (and mark it with the crosshair)."""
        origin = self._label(source)
        notices: list[str] = []
        self._busy = True
        try:
            for viewport in self.window.grid.viewports:
                if viewport.state.volume is None:
                    continue
                label = self._label(viewport)
                carried = self.link.carry(lps, origin, label)
                if viewport is not source or centre:
                    (centre_on if centre else show_point)(viewport.state, carried.lps)
                if mark:
                    viewport.set_crosshair(carried.array)
                    self.marks[label] = carried.array
                notices += [n for n in carried.notices if n not in notices]
        finally:
            self._busy = False
        self._show_notices(tuple(notices))

    def _show_notices(self, notices: tuple[str, ...]) -> None:
        """The fallback notice in the status bar whenever linking used table position for a timepoint."""
        if notices:
            self.window.show_status(notices[0])
        if notices == self.notices:
            return
        self.notices = notices
        if notices:
            self.notice_label.setText("Linked by table position for " + ", ".join(n.split(":")[0] for n in notices))
            self.notice_label.setToolTip("\n".join(notices))
            self.notice_label.show()
        else:
            self.notice_label.hide()

    # ------------------------------------------------------------------------------------ registrations
    @property
    def options_key(self) -> str:
        from sfrt_reader.reading.registrations import options_key

        return options_key(self.options)

    def _start_registrations(self) -> None:
        """Once every timepoint is loaded: take the stored registrations, compute the missing ones in the pool."""
        w = self.window
        if w.tasks or len(w.volume_of) < len(w.images):
            return
        baseline = w.volume_of.get(self.link.baseline)
        if baseline is None:
            return
        order = [st.label for st in w.images if st.label in w.volume_of and st.label != self.link.baseline]
        if not self._stored_loaded:
            self._stored_loaded = True
            stored = w._call(w.session.registrations, w.read_id, self.options_key) or {}
            for label in order:
                found = stored.get((baseline.series_instance_uid, w.volume_of[label].series_instance_uid))
                if found is not None:
                    self.link.set_registration(label, found)
            if stored:
                self._refresh_badges()
        missing = [
            (label, w.volume_of[label])
            for label in order
            if self.link.registration(label) is None and label not in self.failed
        ]
        if not missing or self.task is not None or self.stopped:
            return
        task = RegistrationTask(baseline, missing, self.options)
        task.signals.progress.connect(self._on_progress)
        task.signals.registered.connect(self._on_registered)
        task.signals.failed.connect(self._on_failed)
        task.signals.finished.connect(self._on_finished)
        self.task = task
        self.progress.setValue(0)
        self.progress.setToolTip("Registering " + ", ".join(task.labels) + " to the baseline")
        self.progress.show()
        self.stop_button.show()
        self._refresh_badges()
        w.show_status(f"Registering {', '.join(task.labels)} to the baseline in the background…")
        w.pool.start(task)

    def _on_progress(self, task: RegistrationTask, fraction: float, message: str) -> None:
        if task is self.task:
            self.progress.setValue(int(1000 * fraction))
            self.progress.setToolTip(f"Registering: {message}")

    def _on_registered(self, task: RegistrationTask, label: str, registration: Registration) -> None:
        if task.cancelled.is_set():
            return
        self.link.set_registration(label, registration)
        w = self.window
        w._call(w.session.store_registration, w.read_id, registration, self.options_key)
        verdict = "lines up" if registration.ok else "is poor: linked by table position"
        w.show_status(f"{label} registered to the baseline: {verdict} ({registration.reason})")
        self._refresh_badges()
        if self.mode == LinkMode.ANATOMY:
            self._sync_from_active()

    def _on_failed(self, task: RegistrationTask, message: str) -> None:
        label = message.split(" ", 1)[0]
        self.failed.add(label)
        self.window.show_error(message)

    def _on_finished(self, task: RegistrationTask) -> None:
        if task is not self.task:
            return
        self.task = None
        self.progress.hide()
        self.stop_button.hide()
        self._refresh_badges()

    def stop_registration(self, *, quiet: bool = False) -> None:
        """Cancel the background registration (the follow-ups not done stay linked by table position)."""
        task = self.task
        if task is None:
            return
        task.cancel()
        self.stopped = True
        self.task = None
        self.progress.hide()
        self.stop_button.hide()
        self._refresh_badges()
        if not quiet:
            self.window.show_status("Registration stopped: the follow-ups not registered are linked by table position")

    # --------------------------------------------------------------------------------------- rejection
    def current_follow_up(self) -> str | None:
        """The follow-up whose registration the reader means: the active viewport's, else the one being read."""
        active = self.window.grid.active
        for label in (self._label(active) if active is not None else "", self.window.reading_label):
            if label and label != self.link.baseline and label in self.window.volume_of:
                return label
        return None

    def ask_reject(self) -> None:
        label = self.current_follow_up()
        if label is None:
            self.window.show_error("select a follow-up viewport first: the baseline is the reference of the others")
            return
        dialog = RejectRegistrationDialog(label, self.window, lambda reason: self._reject_or_raise(label, reason))
        dialog.exec()

    def reject(self, label: str, reason: str) -> bool:
        """Reject the stored registration of `label` with the reader's reason; linking falls back for it."""
        try:
            return self._reject_or_raise(label, reason)
        except SfrtError as error:
            self.window.show_error(str(error))
            return False

    def _reject_or_raise(self, label: str, reason: str) -> bool:
        """The rejection itself; a refusal of the reading layer (a reason too short, or one that identifies the
        patient) is raised for the caller to show where the reader typed it."""
        w = self.window
        pair = self._series_pair(label)
        if pair is None:
            return False
        rejected = w.session.reject_registration(w.read_id, *pair, self.options_key, reason)
        self._apply_judgement(label, rejected, f"Registration of {label} rejected: {label} is linked by table position")
        return True

    def withdraw_current(self) -> None:
        label = self.current_follow_up()
        if label is None:
            self.window.show_error("select a follow-up viewport first: the baseline is the reference of the others")
            return
        self.withdraw(label)

    def withdraw(self, label: str) -> bool:
        """Withdraw the reader's rejection of `label`'s registration; linking uses the registration again."""
        w = self.window
        pair = self._series_pair(label)
        if pair is None:
            return False
        try:
            used = w.session.withdraw_registration_rejection(w.read_id, *pair, self.options_key)
        except SfrtError as error:
            w.show_error(f"{label}: {error}")
            return False
        how = "linked by anatomy again" if used.ok else f"still linked by table position: {used.reason}"
        self._apply_judgement(label, used, f"Rejection of the registration of {label} withdrawn: {label} is {how}")
        return True

    def _series_pair(self, label: str) -> tuple[str, str] | None:
        """The baseline's and `label`'s series UIDs, which key a stored registration; None, said, if not loaded."""
        w = self.window
        baseline, follow_up = w.volume_of.get(self.link.baseline), w.volume_of.get(label)
        if baseline is None or follow_up is None:
            w.show_error(f"{label} is not loaded")
            return None
        return baseline.series_instance_uid, follow_up.series_instance_uid

    def _apply_judgement(self, label: str, registration: Registration, status: str) -> None:
        """Link `label` through the registration as the reader has now judged it, and show that at once."""
        self.link.set_registration(label, registration)
        self._refresh_badges()
        self.window.show_status(status)
        if self.mode == LinkMode.ANATOMY:
            self._sync_from_active()

    # -------------------------------------------------------------------------------------- propagation
    def _previous_centre(self, code: str) -> tuple[str, np.ndarray] | None:
        """Where lesion `code` was last measured before the timepoint being read: (label, LPS of that scan)."""
        w = self.window
        protocol = w.session.protocol
        reading = protocol.order_of(w.reading_label)
        earlier = sorted(
            (a for a in w.read.timepoints if protocol.order_of(a.label) < reading),
            key=lambda a: protocol.order_of(a.label),
            reverse=True,
        )
        for assessment in earlier:
            m = next((x for x in assessment.measurements if x.lesion == code), None)
            if m is None:
                continue
            centre = lesion_centre(m.objects, w.volume_of.get(assessment.label))
            if centre is not None:
                return assessment.label, centre
        return None

    def _on_lesion_chosen(self, item: Any, _previous: Any = None) -> None:
        w = self.window
        self.seed = None
        self.seed_button.setEnabled(False)
        if item is None or not w.reading_label or w.reading_label == self.link.baseline:
            return
        code = str(item.data(Qt.ItemDataRole.UserRole))
        self.propagate(code)

    def propagate(self, code: str) -> np.ndarray | None:
        """Centre every viewport on where lesion `code` was and keep the seed for the timepoint being read."""
        w = self.window
        found = self._previous_centre(code)
        if found is None:
            return None
        source_label, centre = found
        source = next((vp for vp in w.grid.viewports if self._label(vp) == source_label), None)
        seed = self.link.carry(centre, source_label, w.reading_label)
        if source is not None and source.state.volume is not None:
            self.navigate(source, centre, mark=True, centre=True)
        else:  # the earlier timepoint is not hung: carry to the one being read and go from there
            target = w.reading_viewport()
            if target is not None and target.state.volume is not None:
                self.navigate(target, seed.array, mark=True, centre=True)
        self.seed = (w.reading_label, code, seed.array)
        self.seed_button.setEnabled(not w.locked)
        how = "through the registration" if not seed.notices else "by table position only"
        w.show_status(f"{code}: shown where it was at {source_label} ({how}); 'Segment at propagated seed' segments it")
        return seed.array

    def segment_at_seed(self) -> None:
        w = self.window
        if self.seed is None:
            return
        label, code, lps = self.seed
        if label != w.reading_label or code != w.active_lesion:
            w.show_error("the propagated seed belongs to another lesion or timepoint: select the lesion again")
            return
        viewport = w.reading_viewport()
        if viewport is None or viewport.state.volume is None:
            w.show_error(f"{label} is not loaded yet")
            return
        w._on_seed(viewport, lps)
