"""Linked scrolling by table position across the timepoints of one subject.

When a linked viewport changes slice, every other linked viewport that shows the same plane moves to the slice
whose table position (mm, `Volume.slice_position_mm` for the acquired plane) is nearest. Table position is what
a radiologist compares between examinations of one patient; slice numbers differ between scans. The toggle
(`enabled`) turns linking off so that one timepoint can be scrolled alone, e.g. to align anatomy by eye;
`keep_offsets` then preserves that manual alignment when linking is turned back on, as PACS "sync with offset" does.
"""

from __future__ import annotations

from sfrt_reader.ui.state.events import ChangeEvent, Emitter
from sfrt_reader.ui.state.viewport import ViewportState


class LinkGroup:
    """A set of ViewportStates that scroll together while `enabled` is True."""

    def __init__(self, viewports: list[ViewportState] | None = None, enabled: bool = True) -> None:
        self.events = Emitter()
        self._viewports: list[ViewportState] = []
        self._enabled = bool(enabled)
        self._busy = False
        self.keep_offsets = False
        self._offsets: dict[int, float] = {}
        for viewport in viewports or []:
            self.add(viewport)

    @property
    def viewports(self) -> list[ViewportState]:
        return list(self._viewports)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Turn linking on or off. Turning it on records the current offsets when `keep_offsets` is True."""
        enabled = bool(enabled)
        if enabled == self._enabled:
            return
        self._enabled = enabled
        self._offsets = self._current_offsets() if enabled and self.keep_offsets else {}
        self.events.emit(ChangeEvent(self, "enabled", not enabled, enabled))

    def toggle(self) -> None:
        self.set_enabled(not self._enabled)

    def offset_of(self, viewport: ViewportState) -> float:
        """Table-position offset (mm) of `viewport` relative to the group (0 unless kept on re-linking)."""
        return self._offsets.get(id(viewport), 0.0)

    def add(self, viewport: ViewportState) -> None:
        if viewport in self._viewports:
            return
        self._viewports.append(viewport)
        viewport.events.connect(self._on_change)
        if self._enabled:
            self.align_to_group(viewport)

    def remove(self, viewport: ViewportState) -> None:
        if viewport in self._viewports:
            self._viewports.remove(viewport)
            viewport.events.disconnect(self._on_change)
            self._offsets.pop(id(viewport), None)

    def clear(self) -> None:
        for viewport in list(self._viewports):
            self.remove(viewport)

    def _current_offsets(self) -> dict[int, float]:
        shown = [v for v in self._viewports if v.position_mm is not None]
        if not shown:
            return {}
        reference = shown[0].position_mm
        assert reference is not None
        return {id(v): float(v.position_mm) - reference for v in shown if v.position_mm is not None}

    def sync_from(self, source: ViewportState) -> None:
        """Move every other linked viewport showing the same plane to `source`'s table position."""
        position = source.position_mm
        if position is None or self._busy:
            return
        base = position - self.offset_of(source)
        self._busy = True
        try:
            for other in self._viewports:
                if other is source or other.volume is None or other.plane != source.plane:
                    continue
                other.go_to_position(base + self.offset_of(other))
        finally:
            self._busy = False

    def align_to_group(self, viewport: ViewportState) -> None:
        """Move `viewport` to the table position of the first other linked viewport showing the same plane."""
        if viewport.volume is None:
            return
        for other in self._viewports:
            if other is not viewport and other.position_mm is not None and other.plane == viewport.plane:
                base = other.position_mm - self.offset_of(other)
                self._busy = True
                try:
                    viewport.go_to_position(base + self.offset_of(viewport))
                finally:
                    self._busy = False
                return

    def _on_change(self, event: ChangeEvent) -> None:
        if not self._enabled or self._busy:
            return
        if event.name == "volume":
            # A newly loaded timepoint joins the others where they are, rather than dragging them along.
            self.align_to_group(event.source)
        elif event.name in {"slice", "plane"}:
            self.sync_from(event.source)
