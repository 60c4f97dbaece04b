"""Toolbar icons drawn with QPainter: crisp at any size, themed, and no image files to ship or license.

Each icon is a small drawing on a 24x24 grid in the theme's text colour (the accent where a colour means
something, e.g. the link chain when linking is on).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap

INK = QColor("#d7dade")
ACCENT = QColor("#f5c542")
_SIZE = 48  # drawn at 2x, shown at 24


def _canvas(draw: Callable[[QPainter], None]) -> QIcon:
    pixmap = QPixmap(_SIZE, _SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(_SIZE / 24.0, _SIZE / 24.0)
    pen = QPen(INK, 1.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    draw(painter)
    painter.end()
    return QIcon(pixmap)


def _pointer(p: QPainter) -> None:
    path = QPainterPath(QPointF(6, 3))
    for x, y in ((6, 19), (10, 15), (13, 21), (15.5, 20), (12.5, 14), (18, 14)):
        path.lineTo(x, y)
    path.closeSubpath()
    p.drawPath(path)


def _pan(p: QPainter) -> None:
    p.drawLine(QPointF(12, 3), QPointF(12, 21))
    p.drawLine(QPointF(3, 12), QPointF(21, 12))
    for a, b, c in (((9, 6), (12, 3), (15, 6)), ((9, 18), (12, 21), (15, 18))):
        p.drawPolyline([QPointF(*a), QPointF(*b), QPointF(*c)])
    for a, b, c in (((6, 9), (3, 12), (6, 15)), ((18, 9), (21, 12), (18, 15))):
        p.drawPolyline([QPointF(*a), QPointF(*b), QPointF(*c)])


def _zoom(p: QPainter) -> None:
    p.drawEllipse(QRectF(4, 4, 11, 11))
    p.drawLine(QPointF(13.5, 13.5), QPointF(20, 20))
    p.drawLine(QPointF(7, 9.5), QPointF(12, 9.5))
    p.drawLine(QPointF(9.5, 7), QPointF(9.5, 12))


def _window(p: QPainter) -> None:
    p.drawEllipse(QRectF(4, 4, 16, 16))
    path = QPainterPath(QPointF(12, 4))
    path.arcTo(QRectF(4, 4, 16, 16), 90, 180)
    path.closeSubpath()
    p.setBrush(INK)
    p.drawPath(path)


def _length(p: QPainter) -> None:
    p.drawLine(QPointF(5, 19), QPointF(19, 5))
    for x, y in ((5, 19), (19, 5)):
        p.drawLine(QPointF(x - 2.5, y - 2.5), QPointF(x + 2.5, y + 2.5))
    p.setPen(QPen(ACCENT, 1.6))
    p.drawPoint(QPointF(12, 12))


def _bidimensional(p: QPainter) -> None:
    p.drawLine(QPointF(4, 18), QPointF(20, 6))
    p.setPen(QPen(ACCENT, 1.6))
    p.drawLine(QPointF(9, 7), QPointF(15, 17))


def _ellipse(p: QPainter) -> None:
    p.drawEllipse(QRectF(3, 6, 18, 12))
    p.setPen(QPen(ACCENT, 1.6))
    p.drawPoint(QPointF(12, 12))


def _freehand(p: QPainter) -> None:
    path = QPainterPath(QPointF(6, 14))
    path.cubicTo(QPointF(2, 6), QPointF(12, 2), QPointF(17, 6))
    path.cubicTo(QPointF(23, 11), QPointF(17, 21), QPointF(11, 19))
    path.cubicTo(QPointF(8, 18), QPointF(8, 16), QPointF(6, 14))
    p.drawPath(path)


def _grid(rows: int, cols: int) -> Callable[[QPainter], None]:
    def draw(p: QPainter) -> None:
        w = 18.0 / cols
        h = 14.0 / rows
        for r in range(rows):
            for c in range(cols):
                p.drawRoundedRect(QRectF(3 + c * w + 0.8, 5 + r * h + 0.8, w - 1.6, h - 1.6), 1, 1)

    return draw


def _link(p: QPainter) -> None:
    p.drawRoundedRect(QRectF(2.5, 8.5, 11, 7), 3.5, 3.5)
    p.setPen(QPen(ACCENT, 1.6))
    p.drawRoundedRect(QRectF(10.5, 8.5, 11, 7), 3.5, 3.5)


def _open(p: QPainter) -> None:
    path = QPainterPath(QPointF(3, 19))
    for x, y in ((3, 6), (9, 6), (11, 8), (19, 8), (19, 11)):
        path.lineTo(x, y)
    p.drawPath(path)
    front = QPainterPath(QPointF(3, 19))
    for x, y in ((6.5, 11), (21.5, 11), (18, 19)):
        front.lineTo(x, y)
    front.closeSubpath()
    p.drawPath(front)


def _undo(p: QPainter) -> None:
    path = QPainterPath(QPointF(7, 9))
    path.lineTo(15, 9)
    path.cubicTo(QPointF(21, 9), QPointF(21, 19), QPointF(15, 19))
    path.lineTo(9, 19)
    p.drawPath(path)
    p.drawPolyline([QPointF(10, 5.5), QPointF(6.5, 9), QPointF(10, 12.5)])


def _redo(p: QPainter) -> None:
    p.translate(24, 0)
    p.scale(-1, 1)
    _undo(p)


def _reset(p: QPainter) -> None:
    p.drawRect(QRectF(5, 5, 14, 14))
    for a, b, c in (((3, 8), (3, 3), (8, 3)), ((16, 3), (21, 3), (21, 8)), ((3, 16), (3, 21), (8, 21))):
        p.drawPolyline([QPointF(*a), QPointF(*b), QPointF(*c)])
    p.drawPolyline([QPointF(16, 21), QPointF(21, 21), QPointF(21, 16)])


def _delete(p: QPainter) -> None:
    p.drawLine(QPointF(5, 7), QPointF(19, 7))
    p.drawPolyline([QPointF(9, 7), QPointF(9.5, 4), QPointF(14.5, 4), QPointF(15, 7)])
    p.drawPolyline([QPointF(6.5, 7), QPointF(7.5, 20), QPointF(16.5, 20), QPointF(17.5, 7)])
    p.drawLine(QPointF(10.5, 10), QPointF(10.5, 17))
    p.drawLine(QPointF(13.5, 10), QPointF(13.5, 17))


def _segment(p: QPainter) -> None:
    path = QPainterPath(QPointF(12, 4))
    path.cubicTo(QPointF(20, 4), QPointF(21, 13), QPointF(17, 17))
    path.cubicTo(QPointF(13, 21), QPointF(5, 20), QPointF(4, 13))
    path.cubicTo(QPointF(3, 7), QPointF(7, 4), QPointF(12, 4))
    p.drawPath(path)
    p.setPen(QPen(ACCENT, 1.6))
    p.drawEllipse(QPointF(12, 12), 1.8, 1.8)


def _brush(p: QPainter) -> None:
    """A round brush tip over a painted stroke: the mask-correction brush."""
    p.setPen(QPen(ACCENT, 3.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    stroke = QPainterPath(QPointF(4, 19))
    stroke.cubicTo(QPointF(8, 15), QPointF(10, 21), QPointF(14, 16))
    p.drawPath(stroke)
    p.setPen(QPen(INK, 1.6))
    p.drawLine(QPointF(13, 11), QPointF(20, 4))
    p.drawEllipse(QPointF(11.5, 12.5), 2.6, 2.6)


def _mask_fill(p: QPainter) -> None:
    """An outline with a light fill: the 'fill masks' toggle."""
    p.setBrush(QColor(245, 197, 66, 90))
    p.setPen(QPen(ACCENT, 1.6))
    p.drawEllipse(QRectF(4, 6, 16, 12))


def _text_icon(text: str) -> Callable[[QPainter], None]:
    def draw(p: QPainter) -> None:
        p.setFont(QFont("DejaVu Sans", 7, QFont.Weight.Bold))
        p.drawRoundedRect(QRectF(2, 5, 20, 14), 3, 3)
        p.drawText(QRectF(2, 5, 20, 14), Qt.AlignmentFlag.AlignCenter, text)

    return draw


_DRAWINGS: dict[str, Callable[[QPainter], None]] = {
    "pointer": _pointer,
    "pan": _pan,
    "zoom": _zoom,
    "window": _window,
    "length": _length,
    "bidimensional": _bidimensional,
    "ellipse": _ellipse,
    "freehand": _freehand,
    "segment": _segment,
    "brush": _brush,
    "mask-fill": _mask_fill,
    "layout-1x2": _grid(1, 2),
    "layout-1x3": _grid(1, 3),
    "layout-2x2": _grid(2, 2),
    "link": _link,
    "open": _open,
    "undo": _undo,
    "redo": _redo,
    "reset": _reset,
    "delete": _delete,
    "axial": _text_icon("AX"),
    "coronal": _text_icon("COR"),
    "sagittal": _text_icon("SAG"),
    "oblique": _text_icon("OBL"),
    "oblique-perpendicular": _text_icon("OB⊥"),
    "view3d": _text_icon("3D"),
}

NAMES = tuple(_DRAWINGS)


@cache
def icon(name: str) -> QIcon:
    """The named toolbar icon (see NAMES)."""
    try:
        draw = _DRAWINGS[name]
    except KeyError:
        raise ValueError(f"no icon named {name!r}") from None
    return _canvas(draw)
