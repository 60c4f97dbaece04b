"""Lesion masks drawn over the image: a coloured outline of each mask on the displayed slice, optionally filled.

The item lives in a viewport's scene (display-plane millimetres, see `overlays`) above the image and below the
measurement drawings. It is given `ShownMask` records by the reading window and draws, for whatever plane and
slice the viewport shows, the outline of each mask's cut (`state.masks.outline_segments`) with a light fill when
the reader turns it on. An accepted mask is a solid line in its lesion's colour, a proposal (not yet accepted) a
dashed amber line, so the reader can tell what will be recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from sfrt_reader.imaging.reslice import ResampledPlane
from sfrt_reader.ui.state.masks import mask_slice, outline_segments
from sfrt_reader.ui.state.planes import SliceGeometry

LESION_COLORS = ("#3ee0b0", "#ff8a65", "#64b5f6", "#ce93d8", "#fff176", "#a5d6a7")
PROPOSAL_COLOR = QColor("#f5c542")
FILL_ALPHA = 70


def lesion_color(code: str) -> QColor:
    """A stable colour per lesion code (T1 keeps its colour on every timepoint and every run)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    n = int(digits) if digits else sum(map(ord, code))
    offset = {"T": 0, "N": 3}.get(code[:1], 1)
    return QColor(LESION_COLORS[(n - 1 + offset) % len(LESION_COLORS)])


@dataclass(frozen=True, eq=False)
class ShownMask:
    """One mask to draw: the lesion code, its LesionSegmentation, and whether it is an unaccepted proposal."""

    code: str
    segmentation: Any  # sfrt_reader.measurement.lesion_mask.LesionSegmentation (imported lazily by the window)
    proposal: bool = False
    active: bool = False


class MaskOverlayItem(QGraphicsItem):
    """Outlines (and optional fill) of lesion masks on the viewport's current slice."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(5)
        self.masks: list[ShownMask] = []
        self.fill = False
        self._geometry: SliceGeometry | ResampledPlane | None = None
        self._slice = 0
        self._rect = QRectF()
        self._volume_shape: tuple[int, ...] = ()
        self._full: dict[int, np.ndarray] = {}
        self._cuts: dict[tuple[int, str, int], tuple[np.ndarray, list[tuple[float, float, float, float]]]] = {}
        self._font = QFont("DejaVu Sans", 9, QFont.Weight.Bold)

    def set_masks(self, masks: Sequence[ShownMask]) -> None:
        keep = {id(m.segmentation) for m in masks}
        self._full = {k: v for k, v in self._full.items() if k in keep}
        self._cuts = {k: v for k, v in self._cuts.items() if k[0] in keep}
        self.masks = list(masks)
        self.update()

    def set_fill(self, fill: bool) -> None:
        self.fill = fill
        self.update()

    def set_view(
        self,
        geometry: SliceGeometry | ResampledPlane | None,
        slice_index: int,
        rect: QRectF,
        volume_shape: tuple[int, ...] = (),
    ) -> None:
        """Follow the viewport: its plane layout, slice, image rectangle (scene mm) and volume shape (z, y, x)."""
        self._volume_shape = tuple(volume_shape)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(rect)
        if geometry != self._geometry:
            self._cuts.clear()
        self._geometry, self._slice = geometry, slice_index
        self.update()

    def cut(self, mask: ShownMask) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
        """The mask on the slice shown ([v, u]) and its outline segments (display pixel units), cached."""
        g = self._geometry
        assert g is not None
        key = (id(mask.segmentation), g.plane.value, self._slice)
        if key not in self._cuts:
            full = self._full.get(id(mask.segmentation))
            if full is None:
                full = self._full[id(mask.segmentation)] = mask.segmentation.full_mask()
            plane = mask_slice(full, g, self._slice)
            self._cuts[key] = (plane, outline_segments(plane))
            if len(self._cuts) > 64:  # scrolling through a stack: keep the recent slices only
                self._cuts.pop(next(iter(self._cuts)))
        return self._cuts[key]

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        g = self._geometry
        if g is None or not self.masks:
            return
        su, sv = g.spacing_u, g.spacing_v
        for mask in self.masks:
            if tuple(mask.segmentation.volume_shape) != self._volume_shape:
                continue  # a mask of another series never reaches here; a stale one is skipped, not drawn wrongly
            plane, segments = self.cut(mask)
            if not segments:
                continue
            color = PROPOSAL_COLOR if mask.proposal else lesion_color(mask.code)
            if self.fill:
                rgba = np.zeros((*plane.shape, 4), dtype=np.uint8)
                rgba[plane] = (color.red(), color.green(), color.blue(), FILL_ALPHA)
                h, w = plane.shape
                image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
                painter.drawImage(self._rect, image)
            pen = QPen(color, 2.4 if mask.active else 1.6)
            pen.setCosmetic(True)  # the same width at any zoom
            if mask.proposal:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLines([QLineF(u0 * su, v0 * sv, u1 * su, v1 * sv) for u0, v0, u1, v1 in segments])
            # the lesion code just above the outline's top-left, at a constant screen size
            top = min(segments, key=lambda s: (s[1], s[0]))
            scale = painter.worldTransform().m11() or 1.0
            painter.save()
            painter.translate(QPointF(top[0] * su, top[1] * sv))
            painter.scale(1.0 / scale, 1.0 / scale)
            painter.setFont(self._font)
            painter.setPen(QColor(0, 0, 0, 220))
            text = f"{mask.code} (proposed)" if mask.proposal else mask.code
            painter.drawText(QPointF(1, -5), text)
            painter.setPen(color)
            painter.drawText(QPointF(0, -6), text)
            painter.restore()
