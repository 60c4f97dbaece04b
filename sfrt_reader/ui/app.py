"""Start-up of the desktop application: QApplication, theme, main window, optional folders and screenshot."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from sfrt_reader.ui.main_window import MainWindow
from sfrt_reader.ui.state.hanging import Layout
from sfrt_reader.ui.theme import apply_theme


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
