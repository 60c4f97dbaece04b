"""The viewer's tools and their keyboard shortcuts, in one table (the toolbar, the viewports and the README use it).

Left-drag does what the active tool says; the other mouse buttons keep their habitual meaning whatever the tool:
right-drag window/level, middle-drag pan, wheel scroll, ctrl+wheel zoom.
"""

from __future__ import annotations

from enum import Enum


class Tool(Enum):
    """(label, shortcut, what left-drag does)."""

    POINTER = ("Select", "V", "select a measurement; drag its handles to move end points")
    PAN = ("Pan", "P", "move the image")
    ZOOM = ("Zoom", "Z", "drag up to zoom in, down to zoom out")
    WINDOW = ("Window/level", "W", "drag right to widen the window, down to raise the level")
    LENGTH = ("Length", "L", "drag from edge to edge: the longest diameter")
    BIDIMENSIONAL = ("Bidimensional", "D", "drag the long axis, then drag the short axis across it")
    ELLIPSE = ("Ellipse", "E", "drag a box: ellipse region with mean, SD and area")
    FREEHAND = ("Freehand", "F", "draw an outline: closed region with mean, SD and area")
    SEGMENT = ("Segment lesion", "G", "click inside the tumour: one-click 3-D segmentation of the active lesion")
    BRUSH = ("Brush", "B", "drag to add to the active lesion's mask, Shift+drag to erase; [ ] or Ctrl+wheel: size")

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def shortcut(self) -> str:
        return self.value[1]

    @property
    def description(self) -> str:
        return self.value[2]

    @property
    def draws(self) -> bool:
        """True for the tools that create a measurement."""
        return self in {Tool.LENGTH, Tool.BIDIMENSIONAL, Tool.ELLIPSE, Tool.FREEHAND}


# Keys the viewport handles itself (not tools): listed for the README and the help dialog.
VIEWPORT_KEYS: tuple[tuple[str, str], ...] = (
    ("Wheel, Up/Down arrows", "previous / next slice"),
    ("Page Up / Page Down", "10 slices back / forward"),
    ("Home / End", "first / last slice"),
    ("Right-drag", "window (left-right) and level (up-down)"),
    ("Middle-drag", "pan"),
    ("Ctrl+wheel", "zoom about the cursor (with the Brush: brush size)"),
    ("[ / ]", "smaller / larger brush"),
    ("1 2 3 4", "window presets: soft tissue, lung, bone, liver"),
    ("0", "automatic window from the slice"),
    ("R", "reset zoom and pan"),
    ("Shift+click", "crosshair: mark the point in every viewport"),
    ("Delete / Backspace", "delete the selected measurement"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
    ("Esc", "cancel the drawing in progress, back to Select"),
)
