"""Qt widget fixtures: a shown viewport of fixed size on the offscreen platform."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget


def wheel(
    widget: QWidget, pos: QPoint, notches: int, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """Send a real wheel event (120 units per notch; positive = away from the reader) to `widget`."""
    global_pos = widget.mapToGlobal(pos)
    event = QWheelEvent(
        QPointF(pos),
        QPointF(global_pos),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


@pytest.fixture
def show(qtbot):  # type: ignore[no-untyped-def]
    """Show a widget at a fixed size and wait until it is exposed."""

    def _show(widget: QWidget, width: int = 600, height: int = 500) -> QWidget:
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return _show
