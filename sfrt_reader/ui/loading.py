"""Loading a DICOM folder off the GUI thread, with progress and cancel.

`sfrt_reader.imaging.load_path` reads slice by slice and calls a progress callback after each one; the task turns
that into Qt signals (queued to the GUI thread) and checks a cancel flag there, so a cancelled load stops at the
next slice. Errors never escape as a traceback: an `SfrtError` arrives as its own message, anything else as a
one-line message naming the folder and the exception type (never its text, which might carry identifiers).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.volume import Volume

Loader = Callable[..., Volume]


class LoadCancelled(Exception):
    """Raised inside the progress callback to stop a load the user cancelled."""


class LoadSignals(QObject):
    progress = Signal(object, int, int)  # task, done, total
    loaded = Signal(object, object)  # task, Volume
    failed = Signal(object, str)  # task, message
    cancelled = Signal(object)  # task


def _default_loader(path: str, progress: Callable[..., None]) -> Volume:
    from sfrt_reader.imaging import load_path

    return load_path(path, progress=progress)


class LoadTask(QRunnable):
    """Load one folder or file as a Volume in a worker thread; results arrive through `signals`."""

    def __init__(self, path: str | os.PathLike[str], loader: Loader | None = None) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.path = os.fspath(path)
        self.name = os.path.basename(os.path.normpath(self.path)) or self.path
        # what the window calls it: the folder name, or "series n" in blinded mode (folder names may identify)
        self.display_name = self.name
        self.signals = LoadSignals()
        self._loader = loader or _default_loader
        self._cancel = threading.Event()
        self.done = 0
        self.total = 0

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, done: int, total: int, *_: Any) -> None:
        if self._cancel.is_set():
            raise LoadCancelled
        self.done, self.total = done, total
        self.signals.progress.emit(self, done, total)

    def run(self) -> None:
        try:
            if self._cancel.is_set():
                raise LoadCancelled
            volume = self._loader(self.path, progress=self._progress)
            if self._cancel.is_set():
                raise LoadCancelled
        except LoadCancelled:
            self.signals.cancelled.emit(self)
        except SfrtError as error:
            self.signals.failed.emit(self, str(error))
        except MemoryError:
            self.signals.failed.emit(self, f"{self.name}: not enough memory to load this series; close other series")
        except Exception as error:  # a bug below us: say which folder, not the exception text (may hold identifiers)
            self.signals.failed.emit(
                self, f"{self.name}: could not be loaded (internal error {type(error).__name__}); please report it"
            )
        else:
            self.signals.loaded.emit(self, volume)
