"""Reformat and oblique viewports through the mouse: the length drawn between the edges of a phantom as SEEN on
screen (the grabbed picture) is its true size in mm; measurements keep their plane and points."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from sfrt_reader.imaging.reslice import ResampledPlane
from sfrt_reader.ui.state import Plane, ViewportState
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.viewport import SliceViewport
from tests.ui.reformat_phantoms import ellipsoid_ct, tilted_axes, uneven_z

RADIUS = 20.0


def _bright(image: QImage, x: float, y: float) -> bool:
    return image.pixelColor(round(x), round(y)).value() > 127


def _edges(image: QImage, centre: QPointF, direction: tuple[float, float]) -> tuple[QPoint, QPoint]:
    """The last bright screen pixels from `centre` outwards along +/- direction (a unit screen vector)."""
    found = []
    for sign in (1.0, -1.0):
        step = 0
        while _bright(
            image, centre.x() + sign * (step + 1) * direction[0], centre.y() + sign * (step + 1) * direction[1]
        ):
            step += 1
        found.append(
            QPoint(round(centre.x() + sign * step * direction[0]), round(centre.y() + sign * step * direction[1]))
        )
    return found[0], found[1]


def _drag_length(viewport: SliceViewport, qtbot, a: QPoint, b: QPoint) -> float:  # type: ignore[no-untyped-def]
    viewport.set_tool(Tool.LENGTH)
    qtbot.mousePress(viewport.viewport(), Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(viewport.viewport(), b)
    qtbot.mouseRelease(viewport.viewport(), Qt.MouseButton.LeftButton, pos=b)
    item = viewport.measurements[-1]
    assert item.value is not None, item.error
    return float(item.value.result.length_mm)


def _screen_of(viewport: SliceViewport, lps: np.ndarray) -> QPointF:
    g = viewport.state.geometry
    assert g is not None
    if isinstance(g, ResampledPlane):
        u, v, _ = g.lps_to_display(lps)
    else:
        u, v, _ = g.index_to_display(viewport.state.volume.lps_to_index(lps))  # type: ignore[union-attr]
    return QPointF(viewport.mapFromScene(viewport.display_to_scene(float(u), float(v))))


def _on_screen(viewport: SliceViewport, qtbot) -> QImage:  # type: ignore[no-untyped-def]
    viewport.state.set_window(250, 75)  # background black, phantom white
    qtbot.wait(10)
    return viewport.grab().toImage()


def _tolerance_mm(viewport: SliceViewport, data_mm: float) -> float:
    """Two screen pixels at each end plus what the data themselves leave open (slice gap)."""
    return 4.0 / viewport.view_scale() + data_mm


STACKS = {
    "uneven": (uneven_z(), 0.0),
    "tilted": (list(np.arange(-42.0, 42.1, 3.0)), 20.0),
    "regular 5 mm": (list(np.arange(-42.0, 42.1, 5.0)), 0.0),
}


@pytest.mark.parametrize(
    ("plane", "stack"),
    [(Plane.CORONAL, "uneven"), (Plane.SAGITTAL, "uneven"), (Plane.CORONAL, "tilted"), (Plane.CORONAL, "regular 5 mm")],
)
def test_lengths_on_a_reformat_are_the_true_diameter(show, qtbot, plane: Plane, stack: str) -> None:  # type: ignore[no-untyped-def]
    zs, tilt = STACKS[stack]
    volume = ellipsoid_ct((0.0, 0.0, 0.0), (RADIUS, RADIUS, RADIUS), n=64, z_positions=zs, tilt_deg=tilt)
    viewport = show(SliceViewport(ViewportState(volume)), 500, 500)
    viewport.state.set_plane(plane)
    # Irregular stacks are resampled; a regular one is re-sliced by index permutation (exact voxels).
    assert viewport.state.is_resampled == (stack != "regular 5 mm")
    centre_ijk = volume.lps_to_index(np.zeros(3))
    g = viewport.state.geometry
    assert g is not None
    s = g.lps_to_display(np.zeros(3))[2] if isinstance(g, ResampledPlane) else g.index_to_display(centre_ijk)[2]
    viewport.state.set_slice(int(np.rint(s)))
    image = _on_screen(viewport, qtbot)
    centre = _screen_of(viewport, np.zeros(3))
    top, bottom = _edges(image, centre, (0.0, 1.0))
    length = _drag_length(viewport, qtbot, top, bottom)
    gap = float(max(np.diff(zs))) / 2
    assert length == pytest.approx(2 * RADIUS, abs=_tolerance_mm(viewport, gap))
    left, right = _edges(image, centre, (1.0, 0.0))
    assert _drag_length(viewport, qtbot, left, right) == pytest.approx(2 * RADIUS, abs=_tolerance_mm(viewport, 1.0))
    item = viewport.measurements[-1]
    # The stored line keeps its plane and its LPS points; both ends lie in the reformat plane.
    assert item.plane == plane and viewport.view_of(item) == {"plane": plane.value}
    ends = np.array([item.value.result.start, item.value.result.end])  # type: ignore[union-attr]
    axis = 1 if plane == Plane.CORONAL else 0
    assert np.allclose(ends[:, axis], ends[0, axis], atol=1e-6)


def test_length_on_an_oblique_plane_is_the_true_long_axis(show, qtbot) -> None:  # type: ignore[no-untyped-def]
    centre = np.array([2.0, -3.0, 1.0])
    semi = (35.0, 12.0, 10.0)
    axes = tilted_axes(azimuth_deg=35.0, elevation_deg=30.0)
    volume = ellipsoid_ct(centre, semi, axes, n=110, z_positions=list(np.arange(-45.0, 45.1, 2.0)))
    viewport = show(SliceViewport(ViewportState(volume)), 560, 500)
    axial_dir = np.array([math.cos(math.radians(35)), math.sin(math.radians(35)), 0.0])
    viewport.state.set_oblique(centre - 15 * axial_dir, centre + 15 * axial_dir)
    assert viewport.state.plane == Plane.OBLIQUE
    image = _on_screen(viewport, qtbot)
    tip = centre + semi[0] * axes[0]
    c_screen, t_screen = _screen_of(viewport, centre), _screen_of(viewport, tip)
    d = np.array([t_screen.x() - c_screen.x(), t_screen.y() - c_screen.y()])
    d /= np.linalg.norm(d)
    a, b = _edges(image, c_screen, (float(d[0]), float(d[1])))
    length = _drag_length(viewport, qtbot, a, b)
    assert length == pytest.approx(2 * semi[0], abs=_tolerance_mm(viewport, 1.0))
    item = viewport.measurements[-1]
    # Points map back to LPS exactly: both ends lie on the true long axis' line (within the drag's pixel).
    for p in (item.value.result.start, item.value.result.end):  # type: ignore[union-attr]
        off = np.asarray(p) - centre
        assert np.linalg.norm(off - (off @ axes[0]) * axes[0]) < 2.0 / viewport.view_scale() + 1.0
    view = viewport.view_of(item)
    assert view["plane"] == "oblique" and len(view["axis"]) == 2
    # Redrawn from the stored view and points on a fresh viewport: same plane, same length.
    other = show(SliceViewport(ViewportState(volume)), 400, 400)
    redrawn = other.draw_lps("length", [item.value.result.start, item.value.result.end], view=view)  # type: ignore[union-attr]
    assert other.state.plane == Plane.OBLIQUE and redrawn.isVisible()
    assert redrawn.value.result.length_mm == pytest.approx(length, abs=1e-6)  # type: ignore[union-attr]
