"""SliceViewport: one image viewport that mirrors a ViewportState and turns mouse and keys into state changes.

The widget holds no reading state of its own: slice, window/level, zoom and pan live in the ViewportState (plain
Python, tested without a screen); the widget renders the current slice through the window lookup into a QImage,
draws the corner text, orientation letters, scale bar and crosshair over it, and hosts the measurement drawings
of its volume. Scene coordinates are display-plane millimetres, see `overlays`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QTransform,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsItem, QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem, QWidget

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.reslice import ResampledPlane
from sfrt_reader.ui.cursors import cursor_for
from sfrt_reader.ui.mask_overlay import MaskOverlayItem, ShownMask
from sfrt_reader.ui.overlays import (
    AddMeasurement,
    DeleteMeasurement,
    EditMeasurement,
    MeasurementItem,
    scene_distance,
    separate_labels,
    short_axis_through,
)
from sfrt_reader.ui.rendering import SliceRenderer
from sfrt_reader.ui.resampling import PlaneResampler
from sfrt_reader.ui.state.annotations import TimepointInfo, corner_text, orientation_labels, scale_bar_mm
from sfrt_reader.ui.state.events import ChangeEvent
from sfrt_reader.ui.state.masks import BrushSettings
from sfrt_reader.ui.state.planes import OBLIQUE_PLANES, Plane, acquired_plane
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.state.viewport import ViewportState

TEXT_COLOR = QColor("#e8e6d9")
LETTER_COLOR = QColor("#f0d080")
ACTIVE_BORDER = QColor("#3d8ee0")
IDLE_BORDER = QColor("#2a2d31")
CROSSHAIR_COLOR = QColor("#5ee07a")
BRUSH_ADD_COLOR = QColor("#3ee0b0")
BRUSH_ERASE_COLOR = QColor("#ff6b6b")
PAGE_STEP = 10
ZOOM_STEP = 1.15
_SCENE_LIMIT = 1.0e6


class ImageItem(QGraphicsItem):
    """The windowed slice, drawn from a QImage into its rectangle in scene millimetres."""

    def __init__(self) -> None:
        super().__init__()
        self._image: QImage | None = None
        self._rect = QRectF()
        self.setZValue(0)

    def set_image(self, image: QImage | None, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(rect)
        self._image = image
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self._image is not None:
            painter.drawImage(self._rect, self._image)


class SliceViewport(QGraphicsView):
    """A viewport on one timepoint. Signals: activated (clicked or focused), point_picked (LPS of a Shift+click),
    message (text for the status bar: a refused measurement, a tool hint), measurements_changed."""

    activated = Signal(object)
    point_picked = Signal(object, object)
    message = Signal(str)
    measurements_changed = Signal()
    cursor_info = Signal(str)
    seed_picked = Signal(object, object)  # viewport, LPS of a click with the Segment tool
    brush_stroke = Signal(object, int, object, float, bool)  # viewport, slice, (n, 3) LPS path, radius mm, erase

    def __init__(
        self,
        state: ViewportState | None = None,
        parent: QWidget | None = None,
        undo_stack: QUndoStack | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state if state is not None else ViewportState()
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.info = TimepointInfo()
        self.blinded = False
        self.active = False
        self.tool = Tool.POINTER
        self.renderer = SliceRenderer()
        self.resampler = PlaneResampler(self)  # slices of resampled planes are made in a worker while scrolling
        self.resampler.ready.connect(self._on_resampled)
        self._shown: tuple[object, object, int] | None = None  # (volume, geometry key, slice) of the image shown
        self.measurements: list[MeasurementItem] = []
        self.crosshair_lps: np.ndarray | None = None
        self._scene = QGraphicsScene(self)
        self._scene.setSceneRect(-_SCENE_LIMIT, -_SCENE_LIMIT, 2 * _SCENE_LIMIT, 2 * _SCENE_LIMIT)
        self._scene.setBackgroundBrush(QColor("#000000"))
        self.setScene(self._scene)
        self._image_item = ImageItem()
        self._scene.addItem(self._image_item)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.Antialiasing)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(160, 160)
        self._font = QFont("DejaVu Sans", 9)
        self._letter_font = QFont("DejaVu Sans", 11, QFont.Weight.Bold)
        self._drag_button: Qt.MouseButton | None = None
        self._last_pos = QPointF()
        self._draft: MeasurementItem | None = None
        self._draft_press = QPointF()
        self._bidi_long: tuple[QPointF, QPointF] | None = None
        self.mask_overlay = MaskOverlayItem()
        self._scene.addItem(self.mask_overlay)
        self.brush = BrushSettings()
        self._stroke: list[QPointF] = []  # the brush path of the stroke in progress (scene mm)
        self._stroke_erase = False
        self._brush_pos: QPointF | None = None  # where the brush circle follows the mouse (widget pixels)
        self._pending_strokes: list[tuple[np.ndarray, float, bool]] = []  # finished, mask still being computed
        self.state.events.connect(self._on_state)
        self.set_tool(Tool.POINTER)
        self._refresh_image()

    # ------------------------------------------------------------------------------------------ set-up
    def set_info(self, info: TimepointInfo, blinded: bool) -> None:
        self.info = info
        self.blinded = blinded
        self.viewport().update()

    def set_active(self, active: bool) -> None:
        self.active = active
        self.viewport().update()

    def set_tool(self, tool: Tool) -> None:
        self.cancel_draft()
        self.tool = tool
        self.viewport().setCursor(cursor_for(tool))
        self.setDragMode(QGraphicsView.DragMode.NoDrag)

    def set_crosshair(self, lps: np.ndarray | None) -> None:
        self.crosshair_lps = None if lps is None else np.asarray(lps, dtype=np.float64)
        self.viewport().update()

    # ------------------------------------------------------------------------------------- state mirroring
    def _on_state(self, event: ChangeEvent) -> None:
        if event.name == "volume":
            self.renderer.clear()
            self.cancel_draft()
            for item in list(self.measurements):
                if item.volume is not self.state.volume:
                    self._scene.removeItem(item)
                    self.measurements.remove(item)
        if event.name in {"plane", "slice"}:
            self.cancel_draft()  # a drawing in progress belongs to the slice it was started on
        if event.name in {"volume", "plane", "slice", "window"}:
            self._refresh_image()
        if event.name in {"volume", "plane", "zoom", "pan"}:
            self._apply_view()
        self.viewport().update()

    def _image_rect(self) -> QRectF:
        g = self.state.geometry
        if g is None:
            return QRectF()
        su, sv = g.spacing_u, g.spacing_v
        return QRectF(-0.5 * su, -0.5 * sv, g.width * su, g.height * sv)

    def _refresh_image(self) -> None:
        state = self.state
        geometry = state.geometry
        if state.volume is None:
            self._image_item.set_image(None, QRectF())
            self._shown = None
        elif (
            isinstance(geometry, ResampledPlane)
            and self._shown is not None
            and self._shown[0] is state.volume
            and self._shown[1] is geometry
            and not geometry.is_cached(state.slice_index)
            and not self.renderer.has(state)
            and self.resampler.failed_plane is not geometry
        ):
            # scrolling a resampled plane: the worker makes the slice; the previous one of this plane stays shown
            self.resampler.request(geometry, state.slice_index)
        else:
            self._image_item.set_image(self.renderer.render(state), self._image_rect())
            self._shown = (state.volume, state.geometry_key, state.slice_index)
        volume = self.state.volume
        self.mask_overlay.set_view(
            self.state.geometry, self.state.slice_index, self._image_rect(), volume.shape if volume is not None else ()
        )
        self._update_measurement_visibility()

    def _on_resampled(self) -> None:
        """A resampled slice is ready: show the slice the viewport is on now (or ask for it)."""
        if self.state.volume is not None:
            self._refresh_image()
            self.viewport().update()

    @property
    def shown_slice(self) -> int | None:
        """The slice whose image is on screen (behind the slice asked for while a resampled slice is made)."""
        return None if self._shown is None else self._shown[2]

    @property
    def resampling(self) -> bool:
        return self.resampler.busy

    # ------------------------------------------------------------------------------------------ masks / brush
    def set_masks(self, masks: list[ShownMask]) -> None:
        """The lesion masks of this viewport's volume, drawn as outlines on whatever slice is shown."""
        self.mask_overlay.set_masks(masks)

    def set_brush(self, brush: BrushSettings) -> None:
        """Share the window's brush size (one setting for every viewport)."""
        self.brush = brush

    def brush_radius_px(self) -> float:
        """The brush circle's radius on screen: radius_mm times screen pixels per mm (the true size)."""
        return self.brush.radius_mm * self.view_scale()

    def set_pending_strokes(self, strokes: list[tuple[np.ndarray, float, bool]]) -> None:
        """Strokes (LPS path, radius mm, erase) whose new mask a worker is still computing: drawn like the stroke in
        progress, so each stroke shows where it was painted at once, however long its mask takes."""
        if strokes or self._pending_strokes:
            self._pending_strokes = list(strokes)
            self.viewport().update()

    def _stroke_lps(self) -> np.ndarray:
        return np.array(
            [self.state.display_to_lps(*self.scene_to_display(p)) for p in self._stroke], dtype=np.float64
        ).reshape(-1, 3)

    def _finish_stroke(self) -> None:
        if not self._stroke:
            return
        path = self._stroke_lps()
        self._stroke = []
        self.viewport().update()
        self.brush_stroke.emit(self, self.state.slice_index, path, self.brush.radius_mm, self._stroke_erase)

    def _update_measurement_visibility(self) -> None:
        for item in self.measurements:
            item.setVisible(
                item.volume is self.state.volume
                and item.plane == self.state.plane
                and item.slice_index == self.state.slice_index
                and (item.geometry is self.state.geometry or not self.state.is_resampled)
            )
        self._separate_labels()

    def fit_scale(self) -> float:
        """Screen pixels per scene millimetre at zoom 1 (the whole slice fits with a small margin)."""
        rect = self._image_rect()
        if rect.isEmpty():
            return 1.0
        room_w = max(1.0, self.viewport().width() - 8.0)
        room_h = max(1.0, self.viewport().height() - 8.0)
        return min(room_w / rect.width(), room_h / rect.height())

    def view_scale(self) -> float:
        return self.fit_scale() * self.state.zoom

    def screen_zoom(self) -> float:
        """Screen pixels per image pixel (the zoom a radiologist reads in the corner)."""
        g = self.state.geometry
        return self.view_scale() * (g.spacing_u if g is not None else 1.0)

    def _apply_view(self) -> None:
        g = self.state.geometry
        if g is None:
            return
        s = self.view_scale()
        self.setTransform(QTransform.fromScale(s, s))
        rect = self._image_rect()
        pan_u, pan_v = self.state.pan
        centre = rect.center() + QPointF(pan_u * g.spacing_u, pan_v * g.spacing_v)
        self.centerOn(centre)
        for item in self.measurements:
            item.prepareGeometryChange()
        self._separate_labels()  # screen distances between the drawings changed

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_view()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self._apply_view()

    # ---------------------------------------------------------------------------------------- coordinates
    def scene_to_display(self, point: QPointF) -> tuple[float, float]:
        g = self.state.geometry
        assert g is not None
        return point.x() / g.spacing_u, point.y() / g.spacing_v

    def display_to_scene(self, u: float, v: float) -> QPointF:
        g = self.state.geometry
        assert g is not None
        return QPointF(u * g.spacing_u, v * g.spacing_v)

    def lps_at(self, widget_pos: QPointF) -> np.ndarray | None:
        """LPS (mm) under a viewport pixel, or None without a volume."""
        if self.state.geometry is None:
            return None
        u, v = self.scene_to_display(self.mapToScene(widget_pos.toPoint()))
        return self.state.display_to_lps(u, v)

    # ------------------------------------------------------------------------------------------ measurements
    def add_measurement(self, item: MeasurementItem) -> None:
        if item in self.measurements:
            return
        self.measurements.append(item)
        item.on_edit = self._push_edit
        self._scene.addItem(item)
        self._update_measurement_visibility()
        self.measurements_changed.emit()

    def remove_measurement(self, item: MeasurementItem) -> None:
        if item not in self.measurements:
            return
        self.measurements.remove(item)
        item.setSelected(False)
        self._scene.removeItem(item)
        self.measurements_changed.emit()

    def draw_lps(
        self,
        kind: str,
        points_lps: np.ndarray | list,
        slice_index: int | None = None,
        view: dict[str, Any] | None = None,
        undoable: bool = True,
    ) -> MeasurementItem:
        """Place a drawing from patient coordinates (restoring a saved read, or scripted figures), undoably.

        undoable=False adds it outside the undo stack: for drawings that follow another undoable change (the
        lines of a brush-edited mask), so that one Ctrl+Z undoes the edit, not its consequences one by one.

        length: the 2 end points; bidimensional: long-axis ends then short-axis ends; ellipse: centre and the ends of
        its two semi-axes (as `EllipseRegion`); freehand: the outline. The drawing goes on the plane described by
        `view` (as `view_of` gives it; the acquired plane when None), on the slice nearest the points (or
        `slice_index`). Raises the measurement layer's SfrtError when the points cannot be measured, and ValueError
        when no volume is shown or the view is unknown.
        """
        volume = self.state.volume
        if volume is None:
            raise ValueError("no volume is shown in this viewport")
        self.show_view(view)
        g = self.state.geometry
        assert g is not None
        lps = np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)
        if isinstance(g, ResampledPlane):
            display = [tuple(float(c) for c in p) for p in g.lps_to_display(lps)]
        else:
            display = [g.index_to_display(p) for p in volume.lps_to_index(lps)]
        k = round(float(np.mean([d[2] for d in display]))) if slice_index is None else int(slice_index)
        scene = [self.display_to_scene(u, v) for u, v, _ in display]
        if kind == "ellipse":
            centre, a, b = scene[:3]
            half_w = max(abs(a.x() - centre.x()), abs(b.x() - centre.x()))
            half_h = max(abs(a.y() - centre.y()), abs(b.y() - centre.y()))
            scene = [
                QPointF(centre.x() - half_w, centre.y() - half_h),
                QPointF(centre.x() + half_w, centre.y() + half_h),
            ]
        item = MeasurementItem(kind, scene, volume, g, k)
        if item.value is None:
            raise SfrtError(item.error or f"the {kind} could not be measured")
        if undoable:
            self.undo_stack.push(AddMeasurement(self, item))
        else:
            self.add_measurement(item)
        return item

    def show_view(self, view: dict[str, Any] | None) -> None:
        """Show the plane a `view_of` description names (the acquired plane when None); ValueError if unknown."""
        volume = self.state.volume
        if volume is None:
            raise ValueError("no volume is shown in this viewport")
        plane = acquired_plane(volume) if not view else Plane(str(view.get("plane")))
        if plane in OBLIQUE_PLANES:
            assert view is not None
            start, end = (np.asarray(p, dtype=np.float64) for p in view["axis"])
            axis = self.state.oblique_axis
            same = axis is not None and np.allclose(axis[0], start) and np.allclose(axis[1], end)
            if self.state.plane != plane or not same:
                self.state.set_oblique(start, end, perpendicular=plane == Plane.OBLIQUE_PERPENDICULAR)
        elif self.state.plane != plane:
            self.state.set_plane(plane)

    def view_of(self, item: MeasurementItem) -> dict[str, Any]:
        """The plane a drawing was made on, as JSON-safe data stored with the measurement (so it is redrawn there):
        {"plane": "coronal"}, or for an oblique plane also the long axis it was built on."""
        view: dict[str, Any] = {"plane": item.plane.value}
        axis = getattr(item.geometry, "axis", None)
        if item.plane in OBLIQUE_PLANES and axis is not None:
            view["axis"] = [[float(c) for c in axis[0]], [float(c) for c in axis[1]]]
        return view

    def _push_edit(self, item: MeasurementItem, before: list[QPointF], after: list[QPointF]) -> None:
        self.undo_stack.push(EditMeasurement(item, before, after))
        if item.error:
            self.message.emit(item.error)

    def delete_selected(self) -> int:
        selected = [m for m in self.measurements if m.isSelected() and m.isVisible()]
        if selected:
            self.undo_stack.beginMacro("Delete measurements")
            for item in selected:
                self.undo_stack.push(DeleteMeasurement(self, item))
            self.undo_stack.endMacro()
        return len(selected)

    def cancel_draft(self) -> None:
        self._stroke = []
        if self._draft is not None:
            self._scene.removeItem(self._draft)
            self._draft = None
        self._bidi_long = None

    def _can_draw(self) -> bool:
        """Any plane takes drawings: every point goes to LPS through the plane's layout (true millimetres)."""
        return self.state.volume is not None

    def _start_draft(self, kind: str, points: list[QPointF]) -> None:
        volume = self.state.volume
        g = self.state.geometry
        assert volume is not None and g is not None
        self._draft = MeasurementItem(kind, points, volume, g, self.state.slice_index)
        self._scene.addItem(self._draft)

    def _finish_draft(self) -> None:
        item, self._draft = self._draft, None
        if item is None:
            return
        self._scene.removeItem(item)
        if item.value is None:
            self.message.emit(item.error or "the drawing could not be measured")
            return
        self.undo_stack.push(AddMeasurement(self, item))
        self.message.emit(f"{item.kind.capitalize()}: {item.value.summary}")

    # ----------------------------------------------------------------------------------------------- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.activated.emit(self)
        pos = event.position()
        button = event.button()
        if self.state.volume is None:
            return
        if button == Qt.MouseButton.LeftButton and self.tool == Tool.BRUSH:
            # left-drag paints, Shift+left-drag erases (the right button keeps window/level, as everywhere)
            if self._can_draw():
                self._drag_button = button
                self._last_pos = pos
                self._stroke_erase = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self._stroke = [self.mapToScene(pos.toPoint())]
                self._brush_pos = pos
                self.viewport().update()
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            lps = self.lps_at(pos)
            if lps is not None:
                self.point_picked.emit(self, lps)
            return
        if button == Qt.MouseButton.LeftButton and self.tool == Tool.POINTER:
            super().mousePressEvent(event)
            return
        if button == Qt.MouseButton.LeftButton and self.tool == Tool.SEGMENT:
            lps = self.lps_at(pos)
            if lps is not None:
                self.seed_picked.emit(self, lps)
            event.accept()
            return
        self._drag_button = button
        self._last_pos = pos
        if button == Qt.MouseButton.LeftButton and self.tool.draws and self._can_draw():
            scene_pos = self.mapToScene(pos.toPoint())
            self._draft_press = scene_pos
            if self.tool == Tool.LENGTH:
                self._start_draft("length", [scene_pos, scene_pos])
            elif self.tool == Tool.ELLIPSE:
                self._start_draft("ellipse", [scene_pos, scene_pos])
            elif self.tool == Tool.FREEHAND:
                self._start_draft("freehand", [scene_pos])
            elif self.tool == Tool.BIDIMENSIONAL:
                if self._bidi_long is None:
                    self._start_draft("length", [scene_pos, scene_pos])
                else:
                    a, b = self._bidi_long
                    self._start_draft("bidimensional", [a, b, scene_pos, scene_pos])
        if button == Qt.MouseButton.LeftButton and self.tool == Tool.PAN:
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._report_cursor(pos)
        if self.tool == Tool.BRUSH:
            self._brush_pos = pos
            self.viewport().update()
        if self._stroke and self._drag_button == Qt.MouseButton.LeftButton:
            scene_pos = self.mapToScene(pos.toPoint())
            # a new point of the path every ~2 screen pixels; the segments between points are painted too
            if scene_distance(self._stroke[-1], scene_pos) * self.view_scale() >= 2.0:
                self._stroke.append(scene_pos)
            self._last_pos = pos
            event.accept()
            return
        if self._drag_button is None:
            super().mouseMoveEvent(event)
            return
        dx = pos.x() - self._last_pos.x()
        dy = pos.y() - self._last_pos.y()
        self._last_pos = pos
        button = self._drag_button
        tool = self.tool if button == Qt.MouseButton.LeftButton else None
        if button == Qt.MouseButton.RightButton or tool == Tool.WINDOW:
            self.state.adjust_window(dx, dy)
        elif button == Qt.MouseButton.MiddleButton or tool == Tool.PAN:
            self._pan_screen(dx, dy)
        elif tool == Tool.ZOOM:
            self.state.zoom_by(ZOOM_STEP ** (-dy / 20.0))
        elif self._draft is not None:
            self._update_draft(self.mapToScene(pos.toPoint()))
        event.accept()

    def _update_draft(self, scene_pos: QPointF) -> None:
        draft = self._draft
        assert draft is not None
        points = draft.points
        if draft.kind in {"length", "ellipse"}:
            draft.set_points([points[0], scene_pos])
        elif draft.kind == "bidimensional":
            c, d = short_axis_through(points[0], points[1], self._draft_press, scene_pos)
            draft.set_points([points[0], points[1], c, d])
        # freehand: a new vertex every ~2 screen pixels keeps the outline smooth without thousands of points
        elif draft.kind == "freehand" and scene_distance(points[-1], scene_pos) * self.view_scale() >= 2.0:
            draft.set_points([*points, scene_pos])

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_button is None or event.button() != self._drag_button:
            super().mouseReleaseEvent(event)
            return
        self._drag_button = None
        if self._stroke and event.button() == Qt.MouseButton.LeftButton:
            end = self.mapToScene(event.position().toPoint())
            if scene_distance(self._stroke[-1], end) > 0:
                self._stroke.append(end)
            self._finish_stroke()
            event.accept()
            return
        if self.tool == Tool.PAN:
            self.viewport().setCursor(cursor_for(self.tool))
        draft = self._draft
        if draft is not None and event.button() == Qt.MouseButton.LeftButton:
            self._update_draft(self.mapToScene(event.position().toPoint()))
            if self.tool == Tool.BIDIMENSIONAL and draft.kind == "length":
                if draft.value is None:
                    self.message.emit(draft.error or "draw the long axis")
                    self.cancel_draft()
                else:
                    points = draft.points
                    self._bidi_long = (points[0], points[1])
                    self.message.emit("Now drag the short axis across the long axis")
                    # the long axis stays on screen as the draft until the short axis is drawn
            else:
                self._bidi_long = None
                self._finish_draft()
        event.accept()

    def _pan_screen(self, dx: float, dy: float) -> None:
        g = self.state.geometry
        if g is None:
            return
        s = self.view_scale()
        self.state.pan_by(-dx / (s * g.spacing_u), -dy / (s * g.spacing_v))

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120.0
        if notches == 0 or self.state.volume is None:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and self.tool == Tool.BRUSH:
            self.brush.grow(notches)
            self.message.emit(f"Brush radius {self.brush.radius_mm:.1f} mm")
            self.viewport().update()
        elif event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._zoom_about(event.position(), ZOOM_STEP**notches)
        else:
            # wheel towards the reader (negative delta) goes to the next slice, as on most PACS
            step = -round(notches) if abs(notches) >= 1 else (-1 if notches > 0 else 1)
            self.state.scroll(step)
        event.accept()

    def _zoom_about(self, widget_pos: QPointF, factor: float) -> None:
        """Zoom keeping the image point under the cursor where it is."""
        g = self.state.geometry
        if g is None:
            return
        anchor = self.mapToScene(widget_pos.toPoint())
        offset = QPointF(widget_pos.x() - self.viewport().width() / 2, widget_pos.y() - self.viewport().height() / 2)
        self.state.zoom_by(factor)
        s = self.view_scale()
        centre = QPointF(anchor.x() - offset.x() / s, anchor.y() - offset.y() / s)
        rect_centre = self._image_rect().center()
        self.state.set_pan((centre.x() - rect_centre.x()) / g.spacing_u, (centre.y() - rect_centre.y()) / g.spacing_v)

    def _report_cursor(self, pos: QPointF) -> None:
        volume = self.state.volume
        g = self.state.geometry
        if volume is None or g is None:
            return
        u, v = self.scene_to_display(self.mapToScene(pos.toPoint()))
        ui, vi = round(u), round(v)
        if isinstance(g, ResampledPlane) and not g.is_cached(self.state.slice_index):
            return  # the slice is still being resampled in the worker: no value under the cursor yet
        if 0 <= ui < g.width and 0 <= vi < g.height:
            value = self.state.slice_image()[vi, ui]
            lps = self.state.display_to_lps(u, v)
            unit = volume.unit or ""
            self.cursor_info.emit(
                f"x {lps[0]:.1f}  y {lps[1]:.1f}  z {lps[2]:.1f} mm   value {float(value):.0f} {unit}".rstrip()
            )

    # ------------------------------------------------------------------------------------------------ keys
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = event.text()
        state = self.state
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo_stack.undo()
        elif event.matches(QKeySequence.StandardKey.Redo):
            self.undo_stack.redo()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Left):
            state.scroll(-1)
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Right):
            state.scroll(1)
        elif key == Qt.Key.Key_PageUp:
            state.scroll(-PAGE_STEP)
        elif key == Qt.Key.Key_PageDown:
            state.scroll(PAGE_STEP)
        elif key == Qt.Key.Key_Home:
            state.scroll(-state.slice_count)
        elif key == Qt.Key.Key_End:
            state.scroll(state.slice_count)
        elif text and text in "01234" and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            state.apply_preset(text)
        elif key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            self.brush.grow(-1.0 if key == Qt.Key.Key_BracketLeft else 1.0)
            self.message.emit(f"Brush radius {self.brush.radius_mm:.1f} mm")
            self.viewport().update()
        elif key == Qt.Key.Key_R:
            state.reset_view()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
        elif key == Qt.Key.Key_Escape:
            self.set_tool(Tool.POINTER)
            self._scene.clearSelection()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # ------------------------------------------------------------------------------------------- overlays
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.viewport().width()
        height = self.viewport().height()
        if self.state.volume is None:
            painter.setFont(self._font)
            painter.setPen(QColor("#6b7078"))
            painter.drawText(
                QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, self.info.timepoint_label or "No series"
            )
        else:
            self._draw_corners(painter, width, height)
            self._draw_letters(painter, width, height)
            self._draw_scale_bar(painter, width, height)
            self._draw_crosshair(painter)
            self._draw_brush(painter)
        pen = QPen(ACTIVE_BORDER if self.active else IDLE_BORDER, 2 if self.active else 1)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0.5, 0.5, width - 1, height - 1))
        painter.restore()

    def _text(self, painter: QPainter, x: float, y: float, text: str, color: QColor = TEXT_COLOR) -> None:
        """Text with a one-pixel black shadow so it reads over bright bone and dark air alike."""
        painter.setPen(QColor(0, 0, 0, 220))
        painter.drawText(QPointF(x + 1, y + 1), text)
        painter.setPen(color)
        painter.drawText(QPointF(x, y), text)

    def _draw_corners(self, painter: QPainter, width: int, height: int) -> None:
        corners = corner_text(self.state, self.info, self.blinded, self.screen_zoom())
        painter.setFont(self._font)
        metrics = QFontMetricsF(self._font)
        step = metrics.lineSpacing()
        margin = 8.0
        # each top corner gets half the width less a gap, long series descriptions are elided rather than
        # written over the subject's corner in a narrow viewport
        room = max(40.0, width / 2.0 - margin - 12.0)

        def fit(line: str) -> str:
            return metrics.elidedText(line, Qt.TextElideMode.ElideRight, room)

        for n, line in enumerate(corners.top_left):
            self._text(painter, margin, margin + metrics.ascent() + n * step, fit(line))
        for n, line in enumerate(corners.top_right):
            line = fit(line)
            self._text(
                painter, width - margin - metrics.horizontalAdvance(line), margin + metrics.ascent() + n * step, line
            )
        for n, line in enumerate(reversed(corners.bottom_left)):
            self._text(painter, margin, height - margin - metrics.descent() - n * step, line)
        for n, line in enumerate(reversed(corners.bottom_right)):
            self._text(
                painter,
                width - margin - metrics.horizontalAdvance(line),
                height - margin - metrics.descent() - n * step,
                line,
            )

    def _letter_places(self, width: int, height: int) -> list[tuple[str, float, float, QRectF]]:
        """(letter, x, y of its baseline, its box on screen) of each orientation letter."""
        if self.state.volume is None:
            return []
        metrics = QFontMetricsF(self._letter_font)
        out = []
        for edge, text in orientation_labels(self.state).items():
            w = metrics.horizontalAdvance(text)
            if edge == "left":
                x, y = 8.0, height / 2 + metrics.ascent() / 2
            elif edge == "right":
                x, y = width - 22.0 - w, height / 2 + metrics.ascent() / 2
            elif edge == "top":
                x, y = (width - w) / 2, 8.0 + metrics.ascent()
            else:
                x, y = (width - w) / 2, height - 8.0 - metrics.descent()
            out.append((text, x, y, QRectF(x - 2, y - metrics.ascent() - 2, w + 4, metrics.height() + 4)))
        return out

    def _draw_letters(self, painter: QPainter, width: int, height: int) -> None:
        painter.setFont(self._letter_font)
        for text, x, y, _box in self._letter_places(width, height):
            self._text(painter, x, y, text, LETTER_COLOR)

    def _separate_labels(self) -> None:
        """Lay the drawings' labels out so that none covers another or an orientation letter."""
        letters = [box for *_rest, box in self._letter_places(self.viewport().width(), self.viewport().height())]
        separate_labels(self, self.measurements, letters)

    def _draw_scale_bar(self, painter: QPainter, width: int, height: int) -> None:
        """A vertical calibrated bar inside the right edge (below the orientation letter), labelled in mm."""
        scale = self.view_scale()  # screen pixels per mm
        room = min(height * 0.3, 200.0)
        try:
            length_mm = scale_bar_mm(1.0 / scale, room)
        except ValueError:
            return
        length_px = length_mm * scale
        x = width - 10.0
        y0 = height / 2 + 18.0
        y1 = y0 + length_px
        if y1 > height - 50:
            return
        mantissa = round(length_mm / 10 ** np.floor(np.log10(length_mm)))
        segments = {1: 10, 2: 4, 5: 5}.get(int(mantissa), 1)
        for color, w in ((QColor(0, 0, 0, 200), 3.0), (TEXT_COLOR, 1.0)):
            painter.setPen(QPen(color, w))
            painter.drawLine(QPointF(x, y0), QPointF(x, y1))
            for n in range(segments + 1):
                y = y0 + n * length_px / segments
                tick = 7.0 if n in (0, segments) else 4.0
                painter.drawLine(QPointF(x - tick, y), QPointF(x, y))
        painter.setFont(self._font)
        label = f"{length_mm:g} mm"
        metrics = QFontMetricsF(self._font)
        self._text(painter, x - metrics.horizontalAdvance(label), y1 + metrics.ascent() + 4, label)

    def leaveEvent(self, event: object) -> None:
        self._brush_pos = None
        self.viewport().update()
        super().leaveEvent(event)  # type: ignore[arg-type]

    def _draw_brush(self, painter: QPainter) -> None:
        """The stroke in progress (the swept brush, translucent) and the brush circle at its true size."""
        color = BRUSH_ERASE_COLOR if self._stroke and self._stroke_erase else BRUSH_ADD_COLOR
        radius = self.brush_radius_px()
        for path, radius_mm, erase in self._pending_strokes:
            shown = self._pending_points(path)
            if shown:
                self._draw_sweep(painter, shown, radius_mm * self.view_scale(), erase)
        if self._stroke:
            self._draw_sweep(painter, [QPointF(self.mapFromScene(p)) for p in self._stroke], radius, self._stroke_erase)
        if self.tool != Tool.BRUSH or self._brush_pos is None:
            return
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for pen_color, width in ((QColor(0, 0, 0, 160), 3.0), (color, 1.2)):
            painter.setPen(QPen(pen_color, width))
            painter.drawEllipse(self._brush_pos, radius, radius)

    def _draw_sweep(self, painter: QPainter, points: list[QPointF], radius_px: float, erase: bool) -> None:
        sweep = QColor(BRUSH_ERASE_COLOR if erase else BRUSH_ADD_COLOR)
        sweep.setAlpha(90)
        pen = QPen(sweep, 2 * radius_px, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawPolyline(points if len(points) > 1 else [points[0], points[0]])

    def _pending_points(self, path: np.ndarray) -> list[QPointF]:
        """Widget points of a pending stroke's LPS path, or none when it lies off the slice shown."""
        volume, geometry = self.state.volume, self.state.geometry
        if volume is None or geometry is None or not len(path):
            return []
        out = []
        for ijk in volume.lps_to_index(np.asarray(path, dtype=np.float64).reshape(-1, 3)):
            u, v, s = geometry.index_to_display(ijk)
            if abs(s - self.state.slice_index) > 0.5:
                return []
            out.append(QPointF(self.mapFromScene(self.display_to_scene(u, v))))
        return out

    def _draw_crosshair(self, painter: QPainter) -> None:
        if self.crosshair_lps is None or self.state.volume is None or self.state.geometry is None:
            return
        volume = self.state.volume
        ijk = volume.lps_to_index(self.crosshair_lps)
        u, v, s = self.state.geometry.index_to_display(ijk)
        if abs(s - self.state.slice_index) > 0.5:
            return
        point = self.mapFromScene(self.display_to_scene(u, v))
        painter.setPen(QPen(CROSSHAIR_COLOR, 1))
        gap, arm = 4.0, 14.0
        px, py = float(point.x()), float(point.y())
        painter.drawLine(QPointF(px - arm, py), QPointF(px - gap, py))
        painter.drawLine(QPointF(px + gap, py), QPointF(px + arm, py))
        painter.drawLine(QPointF(px, py - arm), QPointF(px, py - gap))
        painter.drawLine(QPointF(px, py + gap), QPointF(px, py + arm))
