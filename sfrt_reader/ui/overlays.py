"""Measurement drawings as Qt graphics items: thin lines, handles to move end points, a live label, undo commands.

Scene coordinates are display-plane millimetres ((u * spacing_u, v * spacing_v), pixel (0, 0) at the origin), so
lines are drawn with the right aspect ratio and perpendicular on screen means perpendicular in the plane. Those
coordinates only place the drawing; every value shown comes from `measure_bridge.measure`, which goes through
`Volume.index_to_lps` and `sfrt_reader.measurement`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QTransform,
    QUndoCommand,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsView, QStyleOptionGraphicsItem, QWidget

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui import measure_bridge
from sfrt_reader.ui.measure_bridge import Layout
from sfrt_reader.ui.state.planes import Plane

LINE_COLOR = QColor("#f5c542")
SELECTED_COLOR = QColor("#4fc3f7")
ERROR_COLOR = QColor("#ff6b6b")
HANDLE_SIZE = 7.0


class LabelItem(QGraphicsItem):
    """Text beside a drawing, drawn at screen size (ignores zoom) with a dark backdrop so it reads on any tissue."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(3)
        self._lines: tuple[str, ...] = ()
        self._color = LINE_COLOR
        self._font = QFont("DejaVu Sans", 9)

    def set_text(self, lines: Sequence[str], color: QColor) -> None:
        self.prepareGeometryChange()
        self._lines = tuple(lines)
        self._color = color
        self.update()

    def text(self) -> str:
        return "\n".join(self._lines)

    def boundingRect(self) -> QRectF:
        metrics = QFontMetricsF(self._font)
        width = max((metrics.horizontalAdvance(line) for line in self._lines), default=0.0)
        return QRectF(0, 0, width + 8, metrics.lineSpacing() * len(self._lines) + 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self._lines:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(self.boundingRect(), 3, 3)
        painter.setFont(self._font)
        painter.setPen(self._color)
        metrics = QFontMetricsF(self._font)
        for n, line in enumerate(self._lines):
            painter.drawText(QPointF(4, 2 + metrics.ascent() + n * metrics.lineSpacing()), line)


class Handle(QGraphicsItem):
    """A small square on an end point; dragging it moves that point (undoable as one edit on release)."""

    def __init__(self, owner: MeasurementItem, index: int) -> None:
        super().__init__(owner)
        self.owner = owner
        self.index = index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setZValue(4)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self._syncing = False

    def boundingRect(self) -> QRectF:
        h = HANDLE_SIZE / 2 + 1
        return QRectF(-h, -h, 2 * h, 2 * h)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        h = HANDLE_SIZE / 2
        painter.setPen(QPen(SELECTED_COLOR, 1))
        painter.setBrush(QColor(0, 0, 0, 160))
        painter.drawRect(QRectF(-h, -h, 2 * h, 2 * h))

    def place(self, point: QPointF) -> None:
        self._syncing = True
        self.setPos(point)
        self._syncing = False

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and not self._syncing:
            self.owner.drag_point(self.index, self.pos())
        return super().itemChange(change, value)

    def mousePressEvent(self, event: object) -> None:
        self.owner.begin_edit()
        super().mousePressEvent(event)  # type: ignore[arg-type]

    def mouseReleaseEvent(self, event: object) -> None:
        super().mouseReleaseEvent(event)  # type: ignore[arg-type]
        self.owner.end_edit()


class MeasurementItem(QGraphicsObject):
    """One drawing on one slice of one volume: its kind, its points (scene mm) and the measured value.

    `lesion_id` is free for the lesion panel to attach the drawing to a lesion; `value` is the measurement
    layer's object (None while the drawing is invalid, `error` then says why).
    """

    changed = Signal()

    def __init__(
        self,
        kind: str,
        points: Sequence[QPointF],
        volume: Volume,
        geometry: Layout,
        slice_index: int,
    ) -> None:
        super().__init__()
        if kind not in measure_bridge.KINDS:
            raise ValueError(f"unknown measurement kind {kind!r}")
        self.kind = kind
        self.volume = volume
        self.geometry = geometry
        self.plane: Plane = geometry.plane
        self.slice_index = slice_index
        self.lesion_id: str | None = None
        self.value: measure_bridge.MeasuredValue | None = None
        self.error: str | None = None
        self._points = [QPointF(p) for p in points]
        self._edit_start: list[QPointF] | None = None
        self.on_edit: Callable[[MeasurementItem, list[QPointF], list[QPointF]], None] | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(2)
        self.label = LabelItem(self)
        self._handles: list[Handle] = []
        self._rebuild_handles()
        self.remeasure()

    # ------------------------------------------------------------------------------------------------ points
    @property
    def points(self) -> list[QPointF]:
        return [QPointF(p) for p in self._points]

    def display_points(self) -> list[tuple[float, float]]:
        """Points in display pixels (u, v): scene millimetres divided by the plane's pixel spacing."""
        su, sv = self.geometry.spacing_u, self.geometry.spacing_v
        return [(p.x() / su, p.y() / sv) for p in self._points]

    def set_points(self, points: Sequence[QPointF]) -> None:
        self.prepareGeometryChange()
        self._points = [QPointF(p) for p in points]
        if len(self._handles) != self._handle_count():
            self._rebuild_handles()
        self._sync_handles()
        self.remeasure()

    def _handle_count(self) -> int:
        return {"length": 2, "bidimensional": 4, "ellipse": 2}.get(self.kind, 0)

    def _handle_points(self) -> list[QPointF]:
        if self.kind == "ellipse":
            return self._points[:2]
        return self._points[: self._handle_count()]

    def _rebuild_handles(self) -> None:
        for handle in self._handles:
            handle.setParentItem(None)
            if handle.scene() is not None:
                handle.scene().removeItem(handle)
        self._handles = [Handle(self, n) for n in range(self._handle_count())]
        self._sync_handles()
        for handle in self._handles:
            handle.setVisible(self.isSelected())

    def _sync_handles(self) -> None:
        for handle, point in zip(self._handles, self._handle_points(), strict=False):
            handle.place(point)

    # ------------------------------------------------------------------------------------------- editing
    def begin_edit(self) -> None:
        self._edit_start = self.points

    def end_edit(self) -> None:
        start, self._edit_start = self._edit_start, None
        if start is None:
            return
        end = self.points
        if any(a != b for a, b in zip(start, end, strict=True)) and self.on_edit is not None:
            self.on_edit(self, start, end)

    def drag_point(self, index: int, pos: QPointF) -> None:
        """A handle moved: update the point(s), keeping a bidimensional's short axis perpendicular and crossing."""
        points = self.points
        if self.kind == "bidimensional":
            points = _move_bidimensional(points, index, pos)
        else:
            points[index] = QPointF(pos)
        self.prepareGeometryChange()
        self._points = points
        self._sync_handles()
        self.remeasure()

    # --------------------------------------------------------------------------------------------- values
    def remeasure(self) -> None:
        """Recompute the value through the measurement layer and refresh the label."""
        try:
            self.value = measure_bridge.measure(
                self.kind, self.volume, self.geometry, self.slice_index, self._measure_points()
            )
            self.error = None
            self.label.set_text(self.value.label, SELECTED_COLOR if self.isSelected() else LINE_COLOR)
        except SfrtError as error:
            self.value = None
            self.error = str(error)
            self.label.set_text(("not measurable",), ERROR_COLOR)
        self._place_label()
        self.update()
        self.changed.emit()

    def _measure_points(self) -> list[tuple[float, float]]:
        uv = self.display_points()
        if self.kind == "ellipse":
            (u0, v0), (u1, v1) = uv[0], uv[1]
            cu, cv = (u0 + u1) / 2, (v0 + v1) / 2
            return [(cu, cv), (max(u0, u1), cv), (cu, max(v0, v1))]
        return uv

    def _place_label(self, shift: float = 0.0) -> None:
        """Beside the drawing: 10 screen pixels right of its rightmost point, vertically centred on it, moved
        `shift` screen pixels down (`separate_labels`, when it would cover another drawing's label)."""
        if not self._points:
            return
        rect = self._path().boundingRect()
        self.label.setPos(QPointF(rect.right(), rect.center().y()))
        height = self.label.boundingRect().height()
        self.label.setTransform(QTransform.fromTranslate(10, -height / 2 + shift))

    # ------------------------------------------------------------------------------------------- painting
    def _path(self) -> QPainterPath:
        path = QPainterPath()
        pts = self._points
        if self.kind in {"length", "bidimensional"} and len(pts) >= 2:
            path.moveTo(pts[0])
            path.lineTo(pts[1])
            if self.kind == "bidimensional" and len(pts) >= 4:
                path.moveTo(pts[2])
                path.lineTo(pts[3])
        elif self.kind == "ellipse" and len(pts) >= 2:
            path.addEllipse(QRectF(pts[0], pts[1]).normalized())
        elif self.kind == "freehand" and len(pts) >= 2:
            path.moveTo(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
            path.closeSubpath()
        return path

    def _scene_scale(self) -> float:
        scene = self.scene()
        if scene is None or not scene.views():
            return 1.0
        return max(1e-6, scene.views()[0].transform().m11())

    def boundingRect(self) -> QRectF:
        margin = 6.0 / self._scene_scale()
        return self._path().boundingRect().adjusted(-margin, -margin, margin, margin)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10.0 / self._scene_scale())
        return stroker.createStroke(self._path())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = ERROR_COLOR if self.error else (SELECTED_COLOR if self.isSelected() else LINE_COLOR)
        pen = QPen(color, 1.4)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path())
        if self.kind in {"length", "bidimensional"}:
            # short end ticks, as calipers: 6 screen pixels each side, perpendicular to the line
            tick = 4.0 / self._scene_scale()
            pairs = [(0, 1), (2, 3)] if self.kind == "bidimensional" else [(0, 1)]
            for a, b in pairs:
                if b >= len(self._points):
                    continue
                line = QLineF(self._points[a], self._points[b])
                if line.length() == 0:
                    continue
                normal = line.normalVector().unitVector()
                dx, dy = normal.dx() * tick, normal.dy() * tick
                for p in (self._points[a], self._points[b]):
                    painter.drawLine(QPointF(p.x() - dx, p.y() - dy), QPointF(p.x() + dx, p.y() + dy))
        if self.kind in {"ellipse", "freehand"}:
            painter.setBrush(QBrush(QColor(color.red(), color.green(), color.blue(), 28)))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawPath(self._path())

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            for handle in self._handles:
                handle.setVisible(bool(value))
            if self.value is not None:
                self.label.set_text(self.value.label, SELECTED_COLOR if value else LINE_COLOR)
        return super().itemChange(change, value)


def _move_bidimensional(points: list[QPointF], index: int, pos: QPointF) -> list[QPointF]:
    """Move one end of a bidimensional drawing, keeping the short axis perpendicular to and crossing the long axis.

    Long-axis ends move freely; the short axis follows, keeping where it crosses (as a fraction of the long axis)
    and its two half-lengths. Short-axis ends slide along the perpendicular only.
    """
    a, b, c, d = points
    la = QLineF(a, b)
    length = la.length()
    if length == 0:
        return points
    ux, uy = la.dx() / length, la.dy() / length
    nx, ny = -uy, ux
    # current crossing fraction and signed half-lengths along the normal
    t = ((c.x() - a.x()) * ux + (c.y() - a.y()) * uy) / length
    hc = (c.x() - a.x()) * nx + (c.y() - a.y()) * ny
    hd = (d.x() - a.x()) * nx + (d.y() - a.y()) * ny
    if index in (0, 1):
        if index == 0:
            a = QPointF(pos)
        else:
            b = QPointF(pos)
        la = QLineF(a, b)
        length = la.length()
        if length == 0:
            return points
        ux, uy = la.dx() / length, la.dy() / length
        nx, ny = -uy, ux
        fx, fy = a.x() + t * la.dx(), a.y() + t * la.dy()
        return [a, b, QPointF(fx + hc * nx, fy + hc * ny), QPointF(fx + hd * nx, fy + hd * ny)]
    fx, fy = a.x() + t * la.dx(), a.y() + t * la.dy()
    h = (pos.x() - fx) * nx + (pos.y() - fy) * ny
    moved = QPointF(fx + h * nx, fy + h * ny)
    return [a, b, moved, d] if index == 2 else [a, b, c, moved]


def short_axis_through(long_a: QPointF, long_b: QPointF, press: QPointF, current: QPointF) -> tuple[QPointF, QPointF]:
    """The short axis a reader drags across the long axis: perpendicular to it, through the foot of the press point.

    Both ends are projected onto that perpendicular, so the short axis is exactly perpendicular on screen (and
    therefore in the plane, scene units being millimetres).
    """
    line = QLineF(long_a, long_b)
    length = line.length()
    if length == 0:
        return QPointF(press), QPointF(current)
    ux, uy = line.dx() / length, line.dy() / length
    t = (press.x() - long_a.x()) * ux + (press.y() - long_a.y()) * uy
    t = min(max(t, 0.0), length)
    fx, fy = long_a.x() + t * ux, long_a.y() + t * uy
    nx, ny = -uy, ux
    h1 = (press.x() - fx) * nx + (press.y() - fy) * ny
    h2 = (current.x() - fx) * nx + (current.y() - fy) * ny
    return QPointF(fx + h1 * nx, fy + h1 * ny), QPointF(fx + h2 * nx, fy + h2 * ny)


def scene_distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


# ---------------------------------------------------------------------------------------------- undo commands
class MeasurementHost(Protocol):
    """What the undo commands need from a viewport: add and remove a drawing."""

    def add_measurement(self, item: MeasurementItem) -> None: ...

    def remove_measurement(self, item: MeasurementItem) -> None: ...


class AddMeasurement(QUndoCommand):
    def __init__(self, host: MeasurementHost, item: MeasurementItem) -> None:
        super().__init__(f"Draw {item.kind}")
        self.host = host
        self.item = item

    def redo(self) -> None:
        self.host.add_measurement(self.item)

    def undo(self) -> None:
        self.host.remove_measurement(self.item)


class DeleteMeasurement(QUndoCommand):
    def __init__(self, host: MeasurementHost, item: MeasurementItem) -> None:
        super().__init__(f"Delete {item.kind}")
        self.host = host
        self.item = item

    def redo(self) -> None:
        self.host.remove_measurement(self.item)

    def undo(self) -> None:
        self.host.add_measurement(self.item)


class EditMeasurement(QUndoCommand):
    """Moving a handle: the points before and after the drag."""

    def __init__(self, item: MeasurementItem, before: list[QPointF], after: list[QPointF]) -> None:
        super().__init__(f"Move {item.kind} end point")
        self.item = item
        self.before = before
        self.after = after

    def redo(self) -> None:
        self.item.set_points(self.after)

    def undo(self) -> None:
        self.item.set_points(self.before)


def separate_labels(view: QGraphicsView, items: Sequence[MeasurementItem], reserved: Sequence[QRectF] = ()) -> None:
    """Move the labels of the visible drawings down, in screen pixels, until none covers another label or a
    `reserved` screen rectangle (the orientation letters).

    Why: a lesion's long and short axis (a segmentation's two lines, a bidimensional's neighbour) end near the
    same point, so their labels, each beside its drawing, used to be written over each other."""
    placed: list[QRectF] = list(reserved)
    shown = [item for item in items if item.isVisible() and item._points]
    for item in shown:
        item._place_label()
    # the label's origin on screen: its position in the drawing, mapped (its own transform is in screen pixels)
    anchors = [(QPointF(view.mapFromScene(item.mapToScene(item.label.pos()))), item) for item in shown]
    for anchor, item in sorted(anchors, key=lambda pair: (pair[0].y(), pair[0].x())):
        box = item.label.boundingRect()
        rect = QRectF(anchor.x() + 10, anchor.y() - box.height() / 2, box.width(), box.height())
        shift = 0.0
        for _ in range(len(placed) + 1):
            hit = next((other for other in placed if other.intersects(rect.translated(0, shift))), None)
            if hit is None:
                break
            shift = hit.bottom() + 2 - rect.top()
        if shift:
            item._place_label(shift)
        placed.append(rect.translated(0, shift))
