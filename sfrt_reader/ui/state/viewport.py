"""ViewportState: everything one viewport shows, as a validated plain-Python model that emits change events.

Modelled on napari's `Dims`: the state holds the slice, window/level, zoom, pan and plane and refuses invalid
values at once; the Qt widget (`sfrt_reader.ui.viewport.SliceViewport`) only mirrors it and turns mouse and key
events into calls here. Linking (`LinkGroup`) and the hanging protocol work on these objects, so the reading
behaviour is tested without a screen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sfrt_reader.imaging.reslice import ResampledPlane, needs_resampling, oblique_through_axis, orthogonal_reformat
from sfrt_reader.imaging.volume import Volume
from sfrt_reader.ui.state.events import ChangeEvent, Emitter
from sfrt_reader.ui.state.planes import (
    OBLIQUE_PLANES,
    Plane,
    SliceGeometry,
    acquired_plane,
    plane_positions_mm,
    slice_geometry,
)
from sfrt_reader.ui.state.presets import AUTO_KEY, auto_window, initial_window, preset_for_key

Layout = SliceGeometry | ResampledPlane
_NORMAL_AXIS = {Plane.SAGITTAL: 0, Plane.CORONAL: 1, Plane.AXIAL: 2}

MIN_ZOOM = 0.1
MAX_ZOOM = 40.0
MIN_WINDOW_WIDTH = 1.0


class ViewportState:
    """Slice, window/level, zoom, pan and plane of one viewport.

    zoom is relative to "fit the whole slice in the viewport" (1.0); pan is the offset, in display pixels of the
    image, of the image point shown at the viewport centre from the image centre. Window width is > 0.
    Every setter validates, then emits a ChangeEvent on `events` with name one of: volume, plane, slice, window,
    zoom, pan (only when the value really changed).
    """

    def __init__(self, volume: Volume | None = None, plane: Plane | None = None) -> None:
        self.events = Emitter()
        self._volume: Volume | None = None
        self._plane = Plane.AXIAL
        self._geometry: Layout | None = None
        self._positions = np.zeros(0)
        self._slice = 0
        self._width = 400.0
        self._level = 40.0
        self._zoom = 1.0
        self._pan = (0.0, 0.0)
        self.window_step = 1.0
        if volume is not None:
            self.set_volume(volume, plane)

    # ------------------------------------------------------------------------------------------ read access
    @property
    def volume(self) -> Volume | None:
        return self._volume

    @property
    def plane(self) -> Plane:
        return self._plane

    @property
    def geometry(self) -> Layout | None:
        """Layout of the current plane, or None when no volume is shown.

        A `SliceGeometry` (index permutation, exact voxels) for the acquired plane and for the reformats of a
        regular stack; a `ResampledPlane` (true millimetres, interpolated) for the reformats of a tilted or unevenly
        spaced stack and for oblique planes.
        """
        return self._geometry

    @property
    def oblique_axis(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The long axis (LPS end points) the current oblique plane was built on, or None."""
        return self._geometry.axis if isinstance(self._geometry, ResampledPlane) else None

    @property
    def is_resampled(self) -> bool:
        return isinstance(self._geometry, ResampledPlane)

    @property
    def geometry_key(self) -> object:
        """Identifies what the current layout shows (for image caches): the plane, or the resampled plane itself."""
        return self._geometry if isinstance(self._geometry, ResampledPlane) else self._plane

    @property
    def slice_index(self) -> int:
        return self._slice

    @property
    def slice_count(self) -> int:
        return 0 if self._geometry is None else self._geometry.slice_count

    @property
    def window(self) -> tuple[float, float]:
        """(width, level)."""
        return self._width, self._level

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def pan(self) -> tuple[float, float]:
        return self._pan

    @property
    def position_mm(self) -> float | None:
        """Table position of the current slice (mm), or None without a volume."""
        if self._volume is None:
            return None
        return float(self._positions[self._slice])

    @property
    def slice_positions_mm(self) -> np.ndarray:
        """Table position of every slice of the current plane (mm)."""
        return self._positions.copy()

    # ---------------------------------------------------------------------------------------------- volume
    def set_volume(self, volume: Volume | None, plane: Plane | None = None) -> None:
        """Show a volume (or nothing): middle slice of its acquired plane, its initial window, fit to view."""
        old = self._volume
        self._volume = volume
        if volume is None:
            self._geometry = None
            self._positions = np.zeros(0)
            self._slice = 0
        else:
            self._apply_plane(plane or acquired_plane(volume))
            self._slice = self.slice_count // 2
            self._width, self._level = initial_window(volume)
            self.window_step = self._window_step_for(volume)
        self._zoom = 1.0
        self._pan = (0.0, 0.0)
        self._emit("volume", old, volume)

    @staticmethod
    def _window_step_for(volume: Volume) -> float:
        """Window/level change per pixel of right-drag: 2 HU on CT; on MR 1/256 of the auto window width."""
        if volume.unit.upper() == "HU":
            return 2.0
        width, _ = auto_window(volume)
        return max(width / 256.0, 1e-6)

    def _apply_plane(self, plane: Plane) -> None:
        volume = self._volume
        assert volume is not None
        if plane in OBLIQUE_PLANES:
            raise ValueError("an oblique plane is built from a lesion's long axis: use set_oblique")
        self._plane = plane
        if plane != acquired_plane(volume) and needs_resampling(volume):
            # A tilted or unevenly spaced stack: permuting its axes would shear or stretch the reformat.
            resampled = orthogonal_reformat(volume, plane, plane.value)
            self._geometry = resampled
            lps = resampled.display_to_lps(0.0, 0.0, np.arange(resampled.slice_count, dtype=np.float64))
            self._positions = np.asarray(lps[:, _NORMAL_AXIS[plane]], dtype=np.float64)
        else:
            geometry = slice_geometry(volume, plane)
            self._geometry = geometry
            self._positions = plane_positions_mm(volume, geometry)

    def set_oblique(self, start: np.ndarray, end: np.ndarray, perpendicular: bool = False) -> None:
        """Show the plane through a long axis (LPS end points) and the slice normal, or the one perpendicular to
        it, on the slice through the axis' midpoint. Slice positions are mm from that slice along the normal."""
        if self._volume is None:
            raise ValueError("no volume is shown in this viewport")
        plane = Plane.OBLIQUE_PERPENDICULAR if perpendicular else Plane.OBLIQUE
        resampled = oblique_through_axis(self._volume, plane, start, end, perpendicular)
        old = self._plane
        self._plane = plane
        self._geometry = resampled
        self._positions = resampled.slice_positions_mm()
        self._slice = resampled.centre_slice
        self._pan = (0.0, 0.0)
        self._emit("plane", old, plane)
        self._emit("slice", None, self._slice)

    def set_plane(self, plane: Plane) -> None:
        """Switch plane, keeping the anatomical position as close as the new plane allows (its middle slice)."""
        if not isinstance(plane, Plane):
            raise TypeError(f"plane must be a Plane, got {plane!r}")
        if plane in OBLIQUE_PLANES:
            raise ValueError("an oblique plane is built from a lesion's long axis: use set_oblique")
        if self._volume is None or plane == self._plane:
            self._plane = plane
            return
        old = self._plane
        self._apply_plane(plane)
        self._slice = self.slice_count // 2
        self._pan = (0.0, 0.0)
        self._emit("plane", old, plane)
        self._emit("slice", None, self._slice)

    # ----------------------------------------------------------------------------------------------- slice
    def set_slice(self, index: int) -> None:
        """Go to slice `index`; an index outside the volume is a ValueError (use `scroll` to clamp)."""
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"slice index must be an integer, got {index!r}")
        if self._volume is None:
            raise ValueError("no volume is shown in this viewport")
        index = int(index)
        if not 0 <= index < self.slice_count:
            raise ValueError(f"slice {index} is outside 0..{self.slice_count - 1}")
        if index != self._slice:
            old = self._slice
            self._slice = index
            self._emit("slice", old, index)

    def scroll(self, delta: int) -> None:
        """Move `delta` slices, stopping at the first and last slice (wheel, arrow and page keys)."""
        if self._volume is None:
            return
        self.set_slice(int(np.clip(self._slice + int(delta), 0, self.slice_count - 1)))

    def nearest_slice_to_position(self, position_mm: float) -> int:
        """Slice whose table position is nearest `position_mm` (clamped to the ends of the stack)."""
        if self._volume is None:
            raise ValueError("no volume is shown in this viewport")
        return int(np.argmin(np.abs(self._positions - float(position_mm))))

    def go_to_position(self, position_mm: float) -> None:
        self.set_slice(self.nearest_slice_to_position(position_mm))

    # ---------------------------------------------------------------------------------------------- window
    def set_window(self, width: float, level: float) -> None:
        """Set window width and level; width must be a finite number >= 1 (in the image's units)."""
        width = float(width)
        level = float(level)
        if not (math.isfinite(width) and math.isfinite(level)):
            raise ValueError(f"window width and level must be finite, got {width}, {level}")
        if width < MIN_WINDOW_WIDTH:
            raise ValueError(f"window width must be at least {MIN_WINDOW_WIDTH}, got {width}")
        new = (width, level)
        if new != (self._width, self._level):
            old = (self._width, self._level)
            self._width, self._level = new
            self._emit("window", old, new)

    def adjust_window(self, dx: float, dy: float) -> None:
        """Right-drag: `dx` pixels to the right widens the window, `dy` pixels down raises the level.

        Each pixel is `window_step` units (2 HU on CT); the width never drops below the minimum.
        """
        width = max(MIN_WINDOW_WIDTH, self._width + dx * self.window_step)
        self.set_window(width, self._level + dy * self.window_step)

    def apply_preset(self, key: str) -> bool:
        """Number-key preset (1 soft tissue, 2 lung, 3 bone, 4 liver, 0 auto). Returns False for other keys."""
        if self._volume is None:
            return False
        if key == AUTO_KEY:
            acquired = self._geometry is not None and self._geometry.slice_axis == 2
            self.set_window(*auto_window(self._volume, self._slice if acquired else None))
            return True
        preset = preset_for_key(key)
        if preset is None:
            return False
        self.set_window(preset.width, preset.level)
        return True

    # ------------------------------------------------------------------------------------------ zoom & pan
    def set_zoom(self, zoom: float) -> None:
        """Zoom relative to fit-to-viewport, clamped to [0.1, 40]."""
        zoom = float(zoom)
        if not math.isfinite(zoom) or zoom <= 0:
            raise ValueError(f"zoom must be a positive number, got {zoom}")
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        if zoom != self._zoom:
            old = self._zoom
            self._zoom = zoom
            self._emit("zoom", old, zoom)

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self._zoom * float(factor))

    def set_pan(self, dx: float, dy: float) -> None:
        new = (float(dx), float(dy))
        if not all(math.isfinite(v) for v in new):
            raise ValueError(f"pan must be finite, got {new}")
        if new != self._pan:
            old = self._pan
            self._pan = new
            self._emit("pan", old, new)

    def pan_by(self, dx: float, dy: float) -> None:
        self.set_pan(self._pan[0] + dx, self._pan[1] + dy)

    def reset_view(self) -> None:
        """Fit to viewport and centre (the R key)."""
        self.set_zoom(1.0)
        self.set_pan(0.0, 0.0)

    # ------------------------------------------------------------------------------------------- geometry
    def display_to_lps(self, u: float, v: float) -> np.ndarray:
        """LPS (mm) of display pixel (u, v) on the current slice, through `Volume.index_to_lps`."""
        if self._volume is None or self._geometry is None:
            raise ValueError("no volume is shown in this viewport")
        if isinstance(self._geometry, ResampledPlane):
            return self._geometry.display_to_lps(u, v, self._slice)
        return self._volume.index_to_lps(self._geometry.display_to_index(u, v, self._slice))

    def slice_image(self) -> np.ndarray:
        """The current slice as a [v, u] array view, ready for the window/level lookup."""
        if self._volume is None or self._geometry is None:
            raise ValueError("no volume is shown in this viewport")
        return self._geometry.extract(self._volume.array, self._slice)

    def _emit(self, name: str, old: Any, new: Any) -> None:
        self.events.emit(ChangeEvent(self, name, old, new))

    def __repr__(self) -> str:
        return (
            f"ViewportState(volume={self._volume!r}, plane={self._plane.value}, slice={self._slice}, "
            f"window=({self._width:g}, {self._level:g}), zoom={self._zoom:g})"
        )
