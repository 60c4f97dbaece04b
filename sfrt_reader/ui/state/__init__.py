"""View state of the workstation in plain Python (no Qt): viewports, linking, hanging protocol, presets.

Widgets in `sfrt_reader.ui` subscribe to these objects; everything here is tested without a screen.
"""

from sfrt_reader.ui.state.annotations import CornerText, TimepointInfo, corner_text, orientation_labels, scale_bar_mm
from sfrt_reader.ui.state.events import ChangeEvent, Emitter
from sfrt_reader.ui.state.hanging import Cell, HangingProtocol, Layout, Role
from sfrt_reader.ui.state.linking import LinkGroup
from sfrt_reader.ui.state.planes import Plane, SliceGeometry, acquired_plane, direction_letters, slice_geometry
from sfrt_reader.ui.state.presets import PRESETS, WindowPreset, auto_window, initial_window, preset_for_key
from sfrt_reader.ui.state.viewport import ViewportState

__all__ = [
    "PRESETS",
    "Cell",
    "ChangeEvent",
    "CornerText",
    "Emitter",
    "HangingProtocol",
    "Layout",
    "LinkGroup",
    "Plane",
    "Role",
    "SliceGeometry",
    "TimepointInfo",
    "ViewportState",
    "WindowPreset",
    "acquired_plane",
    "auto_window",
    "corner_text",
    "direction_letters",
    "initial_window",
    "orientation_labels",
    "preset_for_key",
    "scale_bar_mm",
    "slice_geometry",
]
