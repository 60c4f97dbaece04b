"""Screenshots of the reformats and of the 3-D lesion view, on a demo read made by `reading_screenshots`.

reformats.png: the current timepoint's CT in three viewports (axial, coronal, sagittal), each with a length drawn
across the target in that plane (the coronal and sagittal ones from edge to edge of the accepted segmentation,
found along the patient axes). lesion-3d.png: the reading window with the 3-D dock open, the VTK picture taken
with vtkWindowToImageFilter and painted over the dock (Qt's grab shows VTK areas black).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.state.annotations import TimepointInfo
from sfrt_reader.ui.state.hanging import Layout
from sfrt_reader.ui.state.planes import Plane
from sfrt_reader.ui.state.viewport import ViewportState
from sfrt_reader.ui.viewport import SliceViewport

LESION = "T1"
ZOOM = 2.0


def extent_line(volume: Volume, mask: np.ndarray, centre: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """(2, 3) LPS end points of the mask's chord through `centre` along `direction` (0.25 mm steps)."""
    d = np.asarray(direction, dtype=np.float64) / np.linalg.norm(direction)
    t = np.arange(-200.0, 200.0, 0.25)
    points = centre + t[:, None] * d
    ijk = np.rint(volume.lps_to_index(points)).astype(int)
    nx, ny, nz = volume.size
    ok = (ijk >= 0).all(axis=1) & (ijk[:, 0] < nx) & (ijk[:, 1] < ny) & (ijk[:, 2] < nz)
    inside = np.zeros(len(t), dtype=bool)
    inside[ok] = mask[ijk[ok, 2], ijk[ok, 1], ijk[ok, 0]]
    middle = int(np.argmin(np.abs(t)))
    lo = hi = middle
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi < len(t) - 1 and inside[hi + 1]:
        hi += 1
    return np.asarray([points[lo], points[hi]])


def _full_mask(volume: Volume, segmentation: Any) -> np.ndarray:
    mask = np.zeros(volume.shape, dtype=bool)
    mask[segmentation.box] = segmentation.mask
    return mask


def _mask_centre(volume: Volume, mask: np.ndarray) -> np.ndarray:
    """LPS of the mask's centre of mass (voxel centres, through Volume)."""
    return np.asarray(volume.index_to_lps(np.argwhere(mask)[:, ::-1].mean(axis=0)), dtype=np.float64)


def render_reformats(app: QApplication, window: Any, out: Path) -> None:
    """Three viewports on the timepoint being read: axial, coronal and sagittal through the target's centre."""
    from sfrt_reader.measurement.lesion_metrics import SegmentationResult

    label = window.reading_label
    volume: Volume = window.volume_of[label]
    result = SegmentationResult.from_dict(window.segmentations[(label, LESION)])
    mask = _full_mask(volume, result.segmentation)
    centre = _mask_centre(volume, mask)
    axial = result.longest_axial
    lines = {
        Plane.AXIAL: np.asarray([axial.start, axial.end]),
        Plane.CORONAL: extent_line(volume, mask, centre, np.array([0.0, 0.0, 1.0])),
        Plane.SAGITTAL: extent_line(volume, mask, centre, np.array([0.0, 1.0, 0.0])),
    }
    row = QWidget()
    row.setStyleSheet("background: #000;")
    layout = QHBoxLayout(row)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.setSpacing(2)
    day = next((st.day for st in window.images if st.label == label), None)
    for plane, line in lines.items():
        viewport = SliceViewport(ViewportState(volume))
        viewport.set_info(
            TimepointInfo(pseudonym=window.pseudonym, timepoint_label=label, day_from_baseline=day), blinded=True
        )
        layout.addWidget(viewport)
        mid = line.mean(axis=0)
        view = {"plane": plane.value}
        item = viewport.draw_lps("length", line, view=view)
        viewport.state.set_slice(item.slice_index)
        viewport.state.apply_preset("1")
        g = viewport.state.geometry
        assert g is not None
        u, v, _ = g.index_to_display(volume.lps_to_index(mid))
        viewport.state.set_zoom(ZOOM)
        viewport.state.set_pan(u - (g.width - 1) / 2, v - (g.height - 1) / 2)
        viewport.set_active(plane == Plane.CORONAL)
    row.resize(1500, 560)
    row.show()
    app.processEvents()
    row.grab().save(str(out / "reformats.png"))
    row.close()


def _centre_viewports(window: Any) -> None:
    """Every timepoint's viewport on its target: the slice through its segmentation's centre, zoomed in."""
    from sfrt_reader.measurement.lesion_metrics import SegmentationResult

    for viewport in window.grid.viewports:
        volume, g = viewport.state.volume, viewport.state.geometry
        seg = window.segmentations.get((viewport.info.timepoint_label, LESION))
        if volume is None or g is None or seg is None:
            continue
        result = SegmentationResult.from_dict(seg)
        centre = _mask_centre(volume, _full_mask(volume, result.segmentation))
        viewport.state.apply_preset("1")
        u, v, k = g.index_to_display(volume.lps_to_index(centre))
        viewport.state.set_slice(int(np.clip(round(k), 0, viewport.state.slice_count - 1)))
        viewport.state.set_zoom(ZOOM)
        viewport.state.set_pan(u - (g.width - 1) / 2, v - (g.height - 1) / 2)


def render_lesion_3d(app: QApplication, window: Any, out: Path) -> None:
    """The reading window with the 3-D dock open on the target, baseline | current, turned a little."""
    window.lesion3d.action.setChecked(True)
    dock = window.lesion3d.dock
    assert dock is not None
    deadline = time.monotonic() + 300
    while window.lesion3d.busy and time.monotonic() < deadline:  # the crops are resampled in a worker thread
        app.processEvents()
        time.sleep(0.02)
    window.tabifyDockWidget(window.response_dock, dock)  # the whole right column
    dock.raise_()
    window.resizeDocks([dock], [820], Qt.Orientation.Horizontal)
    window.grid.set_layout(Layout.ONE_BY_TWO)  # baseline | current, as in the 3-D view (settings untouched)
    window.set_linked(False)
    app.processEvents()
    _centre_viewports(window)
    app.processEvents()
    view = dock.view
    view.reset_camera()
    view.rotate(35.0, 20.0)
    app.processEvents()
    picture = window.grab().toImage()
    pixels = view.capture()
    height, width, _ = pixels.shape
    rendered = QImage(pixels.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888)
    painter = QPainter(picture)
    painter.drawImage(view.vtk_widget.mapTo(window, QPoint(0, 0)), rendered)
    painter.end()
    picture.save(str(out / "lesion-3d.png"))
    window.lesion3d.close_view()


def render_views(app: QApplication, home: Any, subject: str, label: str, out: Path, wait: Any) -> None:
    """Open the subject's read at `label` (already read, T1 segmented), and take both pictures."""
    window = home.open_read(subject, label)
    assert window is not None
    window.resize(1700, 1000)
    wait(app, window)
    row = next(n for n in range(window.panel.lesions.count()) if window.panel.lesions.item(n).text().startswith(LESION))
    window.panel.lesions.setCurrentRow(row)
    app.processEvents()
    render_reformats(app, window, out)
    render_lesion_3d(app, window, out)
    window.close()
