"""The main window: toolbar, viewer grid, status bar with load progress, docked panels, settings.

Folders given to `open_paths` load in worker threads (`loading.LoadTask`); each loaded series becomes a timepoint,
ordered by acquisition date when every series has one. Errors appear in a banner above the images and in the
status bar, never as a dialog that blocks reading or as a console traceback. The lesion table and the response
panel of the reading layer dock in through `add_panel`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

import numpy as np
from PySide6.QtCore import QSettings, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.grid import Timepoint, ViewerGrid
from sfrt_reader.ui.icons import icon
from sfrt_reader.ui.loading import Loader, LoadTask
from sfrt_reader.ui.panels import MeasurementsPanel
from sfrt_reader.ui.state.annotations import TimepointInfo, day_from_baseline
from sfrt_reader.ui.state.hanging import Layout
from sfrt_reader.ui.state.planes import Plane
from sfrt_reader.ui.state.presets import AUTO_KEY, PRESETS
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.viewport import SliceViewport

SETTINGS_LAYOUT = "viewer/layout"
SETTINGS_LINKED = "viewer/linked"
SETTINGS_KEEP_OFFSETS = "viewer/keep_offsets"
SETTINGS_GEOMETRY = "window/geometry"


class ErrorBanner(QWidget):
    """A dismissible strip above the images that shows the latest error in plain words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet(
            "#errorBanner { background: #4a1f24; border-bottom: 1px solid #7a2f37; }"
            "#errorBanner QLabel { color: #ffd9dc; background: transparent; }"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 5, 6, 5)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class MainWindow(QMainWindow):
    """The reading workstation's window. `blinded` hides identity and calendar dates in every viewport."""

    timepoints_changed = Signal()

    def __init__(
        self,
        settings: QSettings | None = None,
        blinded: bool = False,
        loader: Loader | None = None,
        thread_pool: QThreadPool | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("sfrt-reader — reading workstation")
        self.settings = settings if settings is not None else QSettings("sfrt-reader", "sfrt-reader")
        self.blinded = blinded
        self.loader = loader
        self.pool = thread_pool if thread_pool is not None else QThreadPool.globalInstance()
        self.volumes: list[tuple[Volume, str]] = []
        self.tasks: list[LoadTask] = []
        self.errors: list[str] = []
        self._task_count = 0
        # The subject's pseudonym, shown in every viewport (blinded or not); the reading database sets it.
        self.subject_label = ""

        self.grid = ViewerGrid()
        self.undo_stack = self.grid.undo_stack
        self.banner = ErrorBanner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.grid, 1)
        self.setCentralWidget(central)

        self._build_toolbar()
        self._build_status_bar()
        self.measurements_panel = MeasurementsPanel(self.grid)
        self.measurements_dock = self.add_panel(
            self.measurements_panel, "Measurements", Qt.DockWidgetArea.RightDockWidgetArea
        )
        # a bound method, not a lambda: Qt drops the connection when the window is destroyed
        self.undo_stack.indexChanged.connect(self._on_undo_index)
        self.grid.message.connect(self.show_status)
        self.grid.cursor_info.connect(self.cursor_label.setText)
        self._restore_settings()

    def _on_undo_index(self, _index: int) -> None:
        self.measurements_panel.refresh()

    # ------------------------------------------------------------------------------------------- toolbar
    def _action(
        self, name: str, text: str, shortcut: str | QKeySequence | None = None, checkable: bool = False
    ) -> QAction:
        action = QAction(icon(name), text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{text}  ({QKeySequence(shortcut).toString()})")
        else:
            action.setToolTip(text)
        action.setCheckable(checkable)
        self.addAction(action)
        return action

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Tools")
        bar.setObjectName("toolsToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(22, 22))
        self.toolbar = bar
        self.open_action = self._action("open", "Open DICOM folder…", QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self._ask_open)
        bar.addAction(self.open_action)
        bar.addSeparator()

        self.tool_actions: dict[Tool, QAction] = {}
        group = QActionGroup(self)
        group.setExclusive(True)
        for tool in Tool:
            action = self._action(tool.name.lower(), tool.label, tool.shortcut, checkable=True)
            action.setStatusTip(f"{tool.label}: {tool.description}")
            action.triggered.connect(lambda _checked=False, t=tool: self.set_tool(t))
            group.addAction(action)
            bar.addAction(action)
            self.tool_actions[tool] = action
            if tool == Tool.WINDOW:
                bar.addSeparator()
        self.tool_actions[Tool.POINTER].setChecked(True)
        # Segment and Brush give a lesion its mask: the reading window enables them; the plain viewer has no lesion
        for tool in (Tool.SEGMENT, Tool.BRUSH):
            self.tool_actions[tool].setEnabled(False)
        bar.addSeparator()

        self.undo_action = self.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setIcon(icon("undo"))
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setIcon(icon("redo"))
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.delete_action = self._action("delete", "Delete selected measurement")
        self.delete_action.triggered.connect(self._delete_selected)
        for action in (self.undo_action, self.redo_action, self.delete_action):
            self.addAction(action)
            bar.addAction(action)
        bar.addSeparator()

        self.layout_actions: dict[Layout, QAction] = {}
        layouts = QActionGroup(self)
        for n, layout in enumerate(Layout, start=1):
            action = self._action(f"layout-{layout.value}", f"Layout {layout.value}", f"Alt+{n}", checkable=True)
            action.triggered.connect(lambda _checked=False, lay=layout: self.set_layout(lay))
            layouts.addAction(action)
            bar.addAction(action)
            self.layout_actions[layout] = action
        self.link_action = self._action("link", "Link scrolling by table position", "Ctrl+L", checkable=True)
        self.link_action.setChecked(True)
        self.link_action.toggled.connect(self.set_linked)
        bar.addAction(self.link_action)
        self.keep_offsets_action = QAction("Keep manual alignment when re-linking", self)
        self.keep_offsets_action.setCheckable(True)
        self.keep_offsets_action.setToolTip(
            "Unlink, scroll one timepoint until the anatomy matches, link again: the offset is kept"
        )
        self.keep_offsets_action.toggled.connect(self.set_keep_offsets)
        link_button = bar.widgetForAction(self.link_action)
        if isinstance(link_button, QToolButton):
            link_menu = QMenu(link_button)
            link_menu.addAction(self.keep_offsets_action)
            link_button.setMenu(link_menu)
            link_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        bar.addSeparator()

        self.plane_actions: dict[Plane, QAction] = {}
        for plane, key in ((Plane.AXIAL, "Alt+A"), (Plane.CORONAL, "Alt+C"), (Plane.SAGITTAL, "Alt+S")):
            action = self._action(plane.value, f"{plane.value.capitalize()} plane (active viewport)", key)
            action.triggered.connect(lambda _checked=False, p=plane: self.set_plane(p))
            bar.addAction(action)
            self.plane_actions[plane] = action
        for plane, name, key, text in (
            (Plane.OBLIQUE, "oblique", "Alt+O", "Oblique plane through the long axis and the slice normal"),
            (Plane.OBLIQUE_PERPENDICULAR, "oblique-perpendicular", "Alt+Shift+O", "Oblique plane across the long axis"),
        ):
            action = self._action(name, f"{text} (active viewport)", key)
            action.triggered.connect(
                lambda _checked=False, p=plane: self.show_oblique(p == Plane.OBLIQUE_PERPENDICULAR)
            )
            bar.addAction(action)
            self.plane_actions[plane] = action

        self.preset_button = QToolButton()
        self.preset_button.setText("W/L presets")
        self.preset_button.setToolTip("Window presets for the active viewport (number keys 1-4, 0 auto)")
        self.preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset_button.setIcon(icon("window"))
        self.preset_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        menu = QMenu(self.preset_button)
        for preset in PRESETS:
            action = menu.addAction(f"{preset.key}   {preset.name}  (W {preset.width:g} / L {preset.level:g})")
            action.triggered.connect(lambda _checked=False, k=preset.key: self.grid.apply_preset(k))
        auto = menu.addAction(f"{AUTO_KEY}   Auto (1st-99th percentile of the slice)")
        auto.triggered.connect(lambda _checked=False: self.grid.apply_preset(AUTO_KEY))
        self.preset_button.setMenu(menu)
        bar.addWidget(self.preset_button)
        self.reset_action = self._action("reset", "Reset zoom and pan (R)")
        self.reset_action.triggered.connect(self._reset_view)
        bar.addAction(self.reset_action)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.message_label = QLabel("Open a DICOM folder per timepoint (Ctrl+O), baseline first")
        self.cursor_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setFixedWidth(220)
        self.progress.setRange(0, 100)
        self.progress.setFormat("Loading %p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_loading)
        status.addWidget(self.message_label, 1)
        status.addPermanentWidget(self.cursor_label)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()

    # ------------------------------------------------------------------------------------------ panels
    def add_panel(self, widget: QWidget, title: str, area: Qt.DockWidgetArea) -> QDockWidget:
        """Dock a panel (the measurements list now; the lesion table and response panel of the reading layer)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    # ------------------------------------------------------------------------------------------ actions
    def set_tool(self, tool: Tool) -> None:
        self.grid.set_tool(tool)
        self.tool_actions[tool].setChecked(True)
        self.show_status(f"{tool.label}: {tool.description}")

    def set_layout(self, layout: Layout) -> None:
        self.grid.set_layout(layout)
        self.layout_actions[layout].setChecked(True)
        self.settings.setValue(SETTINGS_LAYOUT, layout.value)
        self.measurements_panel.refresh()

    def set_linked(self, linked: bool) -> None:
        self.grid.set_linked(linked)
        if self.link_action.isChecked() != linked:
            self.link_action.setChecked(linked)
        self.settings.setValue(SETTINGS_LINKED, linked)
        self.show_status("Scrolling linked by table position" if linked else "Scrolling unlinked")

    def set_keep_offsets(self, keep: bool) -> None:
        """Whether re-linking keeps the table-position offsets set by hand while unlinked (PACS 'sync with offset')."""
        self.grid.link.keep_offsets = bool(keep)
        if self.keep_offsets_action.isChecked() != keep:
            self.keep_offsets_action.setChecked(keep)
        self.settings.setValue(SETTINGS_KEEP_OFFSETS, bool(keep))

    def set_plane(self, plane: Plane) -> None:
        viewport = self.grid.active
        if viewport is not None and viewport.state.volume is not None:
            viewport.state.set_plane(plane)

    def long_axis_for(self, viewport: SliceViewport) -> tuple[np.ndarray, np.ndarray] | None:
        """The long axis (LPS end points) an oblique plane is built on: the selected length or bidimensional
        drawing of the viewport, else its most recent one; None when it has none."""
        drawn = [m for m in viewport.measurements if m.value is not None and m.kind in ("length", "bidimensional")]
        selected = [m for m in drawn if m.isSelected()]
        for item in selected or drawn[::-1]:
            return long_axis_of(item.value.result)  # type: ignore[union-attr]
        return None

    def show_oblique(self, perpendicular: bool = False) -> None:
        """Switch the active viewport to the oblique plane through the long axis (or across it)."""
        viewport = self.grid.active
        if viewport is None or viewport.state.volume is None:
            return
        axis = self.long_axis_for(viewport)
        if axis is None:
            self.show_error(
                "an oblique plane needs a long axis: draw (or select) a length or bidimensional measurement first"
            )
            return
        try:
            viewport.state.set_oblique(axis[0], axis[1], perpendicular=perpendicular)
        except ValueError as error:
            self.show_error(f"no oblique plane here: {error}")
            return
        self.show_status("Oblique plane across the long axis" if perpendicular else "Oblique plane along the long axis")

    def _reset_view(self) -> None:
        if self.grid.active is not None:
            self.grid.active.state.reset_view()

    def _delete_selected(self) -> None:
        for viewport in self.grid.viewports:
            viewport.delete_selected()

    def show_status(self, text: str) -> None:
        self.message_label.setText(text)

    def show_error(self, text: str) -> None:
        self.errors.append(text)
        self.banner.show_message(text)
        self.show_status(text)

    def _restore_settings(self) -> None:
        try:
            layout = Layout.parse(str(self.settings.value(SETTINGS_LAYOUT, Layout.ONE_BY_THREE.value)))
        except ValueError:
            layout = Layout.ONE_BY_THREE
        self.set_layout(layout)
        keep = self.settings.value(SETTINGS_KEEP_OFFSETS, False)
        self.set_keep_offsets(keep not in (False, "false", "0", 0))
        linked = self.settings.value(SETTINGS_LINKED, True)
        self.set_linked(linked not in (False, "false", "0", 0))
        geometry = self.settings.value(SETTINGS_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel_loading()
        self.settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)

    # ------------------------------------------------------------------------------------------ loading
    def _ask_open(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a DICOM folder (one timepoint)")
        if folder:
            self.open_paths([folder])

    def open_paths(self, paths: Sequence[str | os.PathLike[str]]) -> list[LoadTask]:
        """Load each folder or file as a timepoint, in worker threads; returns the tasks (to wait on in tests)."""
        started = []
        for path in paths:
            task = LoadTask(path, self.loader)
            self._task_count += 1
            task.display_name = f"series {self._task_count}" if self.blinded else task.name
            task.signals.progress.connect(self._on_progress)
            task.signals.loaded.connect(self._on_loaded)
            task.signals.failed.connect(self._on_failed)
            task.signals.cancelled.connect(self._on_cancelled)
            self.tasks.append(task)
            started.append(task)
            self.pool.start(task)
        self._update_progress()
        return started

    def cancel_loading(self) -> None:
        for task in self.tasks:
            task.cancel()

    def _finish(self, task: LoadTask) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
        self._update_progress()

    def _update_progress(self) -> None:
        if not self.tasks:
            self.progress.hide()
            self.cancel_button.hide()
            return
        total = sum(max(t.total, 1) for t in self.tasks)
        done = sum(t.done for t in self.tasks)
        self.progress.setValue(int(100 * done / total))
        names = ", ".join(t.display_name for t in self.tasks)
        self.progress.setToolTip(f"Loading {names}")
        self.progress.show()
        self.cancel_button.show()

    def _on_progress(self, task: LoadTask, done: int, total: int) -> None:
        self._update_progress()

    def _on_loaded(self, task: LoadTask, volume: Volume) -> None:
        self._finish(task)
        self.add_volume(volume, task.display_name)
        self.show_status(
            f"Loaded {task.display_name}: {volume.modality} {volume.shape[2]}x{volume.shape[1]}, "
            f"{volume.shape[0]} images"
        )

    def _on_failed(self, task: LoadTask, message: str) -> None:
        """Show the loader's message; in blinded mode with the folder's name (it may name the patient) replaced."""
        self._finish(task)
        if self.blinded and task.name:
            message = message.replace(task.path, task.display_name).replace(task.name, task.display_name)
        self.show_error(message)

    def _on_cancelled(self, task: LoadTask) -> None:
        self._finish(task)
        self.show_status(f"Loading of {task.display_name} cancelled")

    # ---------------------------------------------------------------------------------------- timepoints
    def add_volume(self, volume: Volume, source: str = "") -> None:
        """Add a loaded series as a timepoint and re-hang the grid."""
        self.volumes.append((volume, source))
        self._rehang()

    def _rehang(self) -> None:
        volumes = list(self.volumes)
        dates = [v.acquisition_datetime for v, _ in volumes]
        if all(d is not None for d in dates):
            volumes.sort(key=lambda pair: pair[0].acquisition_datetime or datetime.min)
        baseline_date = volumes[0][0].acquisition_datetime if volumes else None
        timepoints = []
        for n, (volume, source) in enumerate(volumes):
            scan_date = volume.acquisition_datetime
            day = day_from_baseline(
                baseline_date.date() if baseline_date else None, scan_date.date() if scan_date else None
            )
            label = "Baseline" if n == 0 else f"Follow-up {n}"
            info = TimepointInfo(
                # the subject's pseudonym when known; unblinded, else the folder the series came from
                pseudonym=self.subject_label or ("" if self.blinded else source),
                timepoint_label=label,
                day_from_baseline=day,
                study_date=scan_date.date() if scan_date else None,
            )
            timepoints.append(Timepoint(volume, info))
        self.grid.set_timepoints(timepoints, blinded=self.blinded)
        self.grid.set_tool(self.grid.tool)
        self.measurements_panel.refresh()
        self.timepoints_changed.emit()


def long_axis_of(result: object) -> tuple[np.ndarray, np.ndarray]:
    """LPS end points of a Line, or of a Bidimensional's long axis."""
    line = getattr(result, "long_axis", result)
    return np.asarray(line.start, dtype=np.float64), np.asarray(line.end, dtype=np.float64)  # type: ignore[attr-defined]
