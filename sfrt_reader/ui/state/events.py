"""A tiny observer primitive for the view state, so the state imports no Qt.

Why not Qt signals: the state objects must be testable without a QApplication and usable from scripts, like
napari's `Dims`/`EventedModel`. Widgets connect a callback and mirror the state; the state never knows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChangeEvent:
    """What changed: the field name, its old and new value, and the object that emitted it."""

    source: Any
    name: str
    old: Any
    new: Any


Listener = Callable[[ChangeEvent], None]


class Emitter:
    """Ordered list of callbacks called with a ChangeEvent; connecting the same callback twice is a no-op."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def connect(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def disconnect(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: ChangeEvent) -> None:
        # Copy: a listener may disconnect itself (or connect another) while we iterate.
        for listener in list(self._listeners):
            listener(event)

    def __len__(self) -> int:
        return len(self._listeners)
