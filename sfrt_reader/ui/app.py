"""Start-up of the desktop application: QApplication, theme, main window, optional folders and screenshot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

from sfrt_reader.errors import SfrtError
from sfrt_reader.ui.theme import apply_theme

if TYPE_CHECKING:
    from sfrt_reader.reading.service import ReaderSession
    from sfrt_reader.ui.adjudication_window import AdjudicationWindow
    from sfrt_reader.ui.reading_window import ReadingWindow

# Why the viewer (numpy, the image layer, the viewports) and the reading layer are imported inside the functions:
# the log-in and the worklist need neither, and importing them first made the workstation take seconds longer to
# show its first window (bench/ui_start_bench.py). They load when a read or a folder is opened.


def application() -> QApplication:
    """The one QApplication, themed (created on first use; an existing one, e.g. a test's, gets the theme too)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("sfrt-reader")
        app.setOrganizationName("sfrt-reader")
    assert isinstance(app, QApplication)
    if app.property("sfrt_reader_themed") is not True:
        apply_theme(app)
        app.setProperty("sfrt_reader_themed", True)
    return app


def run_workstation(
    paths: list[str], layout: str | None = None, blinded: bool = False, screenshot: Path | None = None
) -> int:
    """Open the main window, start loading `paths`, and run the event loop (or save a screenshot and exit)."""
    from sfrt_reader.ui.main_window import MainWindow
    from sfrt_reader.ui.state.hanging import Layout

    app = application()
    window = MainWindow(blinded=blinded)
    if layout:
        window.set_layout(Layout.parse(layout))
    window.resize(1600, 900)
    window.show()
    window.open_paths(paths)
    if screenshot is not None:
        status = {"code": 0}

        def capture_when_done() -> None:
            if window.tasks:
                QTimer.singleShot(50, capture_when_done)
                return
            app.processEvents()
            if not window.grab().save(str(screenshot)):
                print(f"sfrt-reader gui: could not write {screenshot}", file=sys.stderr)
                status["code"] = 2
            for error in window.errors:
                print(f"sfrt-reader gui: {error}", file=sys.stderr)
            if window.errors:
                status["code"] = 2
            window.close()
            app.quit()

        QTimer.singleShot(0, capture_when_done)
        app.exec()
        return status["code"]
    return int(app.exec())


class WorklistWindow(QMainWindow):
    """The reader's home: the worklist; a double-click opens the subject's read in a reading window."""

    def __init__(self, session: ReaderSession, layout: str | None = None) -> None:
        from sfrt_reader.ui.login import WorklistWidget

        super().__init__()
        self.session = session
        self.layout_choice = layout
        mode = "blinded central review" if session.blinded else "local reading"
        self.setWindowTitle(f"sfrt-reader — worklist — {session.username} ({mode})")
        self.worklist = WorklistWidget(session)
        self.setCentralWidget(self.worklist)
        self.worklist.open_requested.connect(self.open_read)
        self.reading: ReadingWindow | None = None
        self.desk: AdjudicationWindow | None = None
        self.error = QLabel()
        self.error.setStyleSheet("color: #ff9b9b;")
        self.statusBar().addWidget(self.error, 1)

    def open_read(self, pseudonym: str, label: str = "") -> ReadingWindow | None:
        if self.session.role == "adjudicator":  # the adjudicator reads nothing: a subject opens on his desk
            self.open_desk(pseudonym)
            return None
        from sfrt_reader.ui.reading_window import ReadingWindow
        from sfrt_reader.ui.state.hanging import Layout

        if self.reading is not None:
            self.reading.close()
        try:
            window = ReadingWindow(self.session, pseudonym, label)
        except SfrtError as error:
            self.error.setText(str(error))
            return None
        self.error.setText("")
        if self.layout_choice:
            window.set_layout(Layout.parse(self.layout_choice))
        window.back_to_worklist.connect(window.close)
        window.read_changed.connect(self.worklist.refresh)
        window.resize(1600, 950)
        window.show()
        self.reading = window
        return window

    def open_desk(self, pseudonym: str) -> AdjudicationWindow | None:
        """The adjudicator's desk for a discordant subject; a subject without adjudication says why in red."""
        from sfrt_reader.ui.adjudication_window import AdjudicationWindow

        if self.desk is not None:
            self.desk.close()
        try:
            desk = AdjudicationWindow(self.session, pseudonym)
        except SfrtError as error:
            self.error.setText(str(error))
            return None
        self.error.setText("")
        desk.decided.connect(self.worklist.refresh)
        desk.resize(1700, 1000)
        desk.show()
        self.desk = desk
        return desk


def run_reading_workstation(
    database: str,
    login_hint: str | None = None,
    layout: str | None = None,
    screenshot: Path | None = None,
    username: str | None = None,
    password: str | None = None,
) -> int:
    """Log in on a read database and open the worklist (or, with `screenshot`, save its picture and exit)."""
    from sfrt_reader.reading import ReadingService, open_database
    from sfrt_reader.ui.login import LoginDialog

    service = ReadingService(open_database(database))
    protocol_check = service.paradigm  # a database without a trial stops here with its message
    del protocol_check
    app = application()
    if username is not None and password is not None:
        session = service.login(username, password)
    else:
        dialog = LoginDialog(service, login_hint)
        if username:
            dialog.select_user(username)
        if screenshot is not None:
            # no password given: the picture is of the log-in, the first thing a reader sees (a modal dialog
            # would wait for a reader who is not there, for ever when offscreen)
            dialog.show()
            app.processEvents()
            save_screenshot(dialog, screenshot)
            dialog.close()
            return 0
        if dialog.exec() != LoginDialog.DialogCode.Accepted or dialog.session is None:
            return 0
        session = dialog.session
    window = WorklistWindow(session, layout)
    window.resize(900, 600)
    window.show()
    if screenshot is not None:
        app.processEvents()
        try:
            save_screenshot(window, screenshot)
        finally:
            window.close()
        return 0
    return int(app.exec())


class ScreenshotError(SfrtError):
    """The screenshot could not be written where the reader asked."""


def save_screenshot(widget: QWidget, path: Path) -> None:
    """Save a picture of `widget` as PNG at `path`; ScreenshotError, saying why, when it cannot be written."""
    if not path.parent.is_dir():
        raise ScreenshotError(f"{path.parent}: folder does not exist; cannot save the screenshot there")
    if not widget.grab().save(str(path)):
        raise ScreenshotError(f"could not write the screenshot {path}: check the folder's permissions and free space")
