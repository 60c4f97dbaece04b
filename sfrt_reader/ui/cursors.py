"""A cursor per tool, drawn with QPainter so that the reader always sees which tool is active."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QPainter, QPen, QPixmap

from sfrt_reader.ui.state.tools import Tool

_SIZE = 32
_HOT = 10


def _crosshair_with(symbol: str) -> QPixmap:
    pixmap = QPixmap(_SIZE, _SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for color, width in ((QColor(0, 0, 0, 200), 3.0), (QColor("#ffffff"), 1.0)):
        painter.setPen(QPen(color, width))
        painter.drawLine(QPointF(_HOT, 1), QPointF(_HOT, _HOT - 3))
        painter.drawLine(QPointF(_HOT, _HOT + 3), QPointF(_HOT, 2 * _HOT - 1))
        painter.drawLine(QPointF(1, _HOT), QPointF(_HOT - 3, _HOT))
        painter.drawLine(QPointF(_HOT + 3, _HOT), QPointF(2 * _HOT - 1, _HOT))
        box = QRectF(19, 19, 11, 11)
        if symbol == "length":
            painter.drawLine(box.bottomLeft(), box.topRight())
        elif symbol == "bidimensional":
            painter.drawLine(box.bottomLeft(), box.topRight())
            painter.drawLine(QPointF(box.left() + 2, box.top() + 2), QPointF(box.right() - 2, box.bottom() - 2))
        elif symbol == "ellipse":
            painter.drawEllipse(box)
        elif symbol == "freehand":
            painter.drawArc(box, 30 * 16, 300 * 16)
    painter.end()
    return pixmap


@cache
def _custom(symbol: str) -> QCursor:
    return QCursor(_crosshair_with(symbol), _HOT, _HOT)


def cursor_for(tool: Tool) -> QCursor:
    """The cursor shown over the image while `tool` is active."""
    if tool == Tool.POINTER:
        return QCursor(Qt.CursorShape.ArrowCursor)
    if tool == Tool.PAN:
        return QCursor(Qt.CursorShape.OpenHandCursor)
    if tool == Tool.ZOOM:
        return QCursor(Qt.CursorShape.SizeVerCursor)
    if tool == Tool.WINDOW:
        return QCursor(Qt.CursorShape.SizeAllCursor)
    return _custom(tool.name.lower())
