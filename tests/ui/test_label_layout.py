"""Measurement labels on screen: a lesion's long and short axis end near the same point, and their labels must not
be written over each other (each stays beside its own drawing)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF

from sfrt_reader.ui.state import ViewportState
from sfrt_reader.ui.viewport import SliceViewport
from tests.ui.volumes import disc_ct


def _screen_rect(viewport: SliceViewport, item: Any) -> QRectF:
    label = item.label
    anchor = QPointF(viewport.mapFromScene(item.mapToScene(label.pos())))  # its transform is in screen pixels
    t = label.transform()
    box = label.boundingRect()
    return QRectF(anchor.x() + t.dx(), anchor.y() + t.dy(), box.width(), box.height())


def test_crossing_axes_get_labels_that_do_not_overlap(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    volume = disc_ct()
    viewport = show(SliceViewport(ViewportState(volume)), 600, 500)
    k = viewport.state.slice_index
    centre = volume.index_to_lps(np.array([64.0, 64.0, float(k)]))
    # a long axis and a short axis across it whose right ends are level: both labels would sit at the same place
    long_axis = [centre + np.array([-14.0, -1.0, 0.0]), centre + np.array([14.0, 1.0, 0.0])]
    short_axis = [centre + np.array([13.5, -8.0, 0.0]), centre + np.array([13.5, 8.0, 0.0])]
    first = viewport.draw_lps("length", long_axis)
    second = viewport.draw_lps("length", short_axis)
    third = viewport.draw_lps("length", [centre + np.array([13.0, -2.0, 0.0]), centre + np.array([14.0, 2.0, 0.0])])
    items = [first, second, third]
    assert all(item.isVisible() for item in items)
    rects = [_screen_rect(viewport, item) for item in items]
    for n, a in enumerate(rects):
        for b in rects[n + 1 :]:
            assert not a.intersects(b), (a, b)
    # each label still starts beside its drawing's right end (10 px) and stays within a few label heights of it
    for item, rect in zip(items, rects, strict=True):
        drawn = item.mapRectToScene(item._path().boundingRect())
        right = viewport.mapFromScene(drawn.topRight())
        assert abs(rect.left() - (right.x() + 10)) <= 1.5
        assert abs(rect.center().y() - viewport.mapFromScene(drawn.center()).y()) < 3 * (rect.height() + 2)
    # zooming in changes the screen distances: the labels are laid out again and still do not overlap
    viewport.state.set_zoom(3.0)
    rects = [_screen_rect(viewport, item) for item in items]
    assert not any(a.intersects(b) for n, a in enumerate(rects) for b in rects[n + 1 :])


def test_a_label_at_the_edge_does_not_cover_the_orientation_letter(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint

    volume = disc_ct()
    viewport = show(SliceViewport(ViewportState(volume)), 600, 500)
    viewport.state.set_zoom(2.5)
    width, height = viewport.viewport().width(), viewport.viewport().height()
    end = viewport.state.display_to_lps(
        *viewport.scene_to_display(viewport.mapToScene(QPoint(width - 45, height // 2)))
    )
    item = viewport.draw_lps("length", [end - np.array([12.0, 0.0, 0.0]), end])
    letters = [box for *_rest, box in viewport._letter_places(width, height)]
    assert len(letters) == 4
    rect = _screen_rect(viewport, item)
    right = next(box for text, _x, _y, box in viewport._letter_places(width, height) if box.left() > width / 2)
    # without moving, the label (10 px right of the line's end, centred on it) would lie on the right letter
    unmoved = QRectF(
        rect.left(),
        viewport.mapFromScene(item.mapToScene(item.label.pos())).y() - rect.height() / 2,
        rect.width(),
        rect.height(),
    )
    assert unmoved.intersects(right)
    assert not any(rect.intersects(box) for box in letters)
