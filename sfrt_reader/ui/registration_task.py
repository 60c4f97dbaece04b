"""Registering a subject's follow-ups to its baseline off the GUI thread, with progress and cancel.

`sfrt_reader.imaging.registration.register` reports progress through a callback at every optimiser iteration and
polls a cancel callback as often; the task turns the first into Qt signals (queued to the GUI thread) and answers
the second from a flag the window sets, so a cancelled run stops within one iteration and the window never waits.
Each follow-up's result is sent as soon as it is done, so the window can store and use it while the next one runs.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, Signal

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.volume import Volume

if TYPE_CHECKING:
    from sfrt_reader.imaging.registration import RegistrationOptions

# Tasks whose thread has not ended: a Python reference keeps each alive even after its window is gone.
_RUNNING: set[RegistrationTask] = set()


class RegistrationSignals(QObject):
    progress = Signal(object, float, str)  # task, fraction of the whole job (0-1), message
    registered = Signal(object, str, object)  # task, follow-up label, Registration
    failed = Signal(object, str)  # task, message (one follow-up could not be registered)
    finished = Signal(object)  # task


class RegistrationTask(QRunnable):
    """Register each (label, follow-up volume) to `baseline` in turn; results arrive through `signals`."""

    def __init__(self, baseline: Volume, follow_ups: list[tuple[str, Volume]], options: RegistrationOptions) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.baseline = baseline
        self.follow_ups = list(follow_ups)
        self.options = options
        self.signals = RegistrationSignals()
        self.cancelled = threading.Event()
        _RUNNING.add(self)

    def _emit(self, signal: Any, *args: Any) -> None:
        """Emit, unless the receiving side is gone (the window was closed while this thread still ran): then
        there is nobody left to tell, and the run stops at its next cancellation check."""
        try:
            signal.emit(*args)
        except RuntimeError:  # "Signal source has been deleted"
            self.cancelled.set()

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.follow_ups]

    def cancel(self) -> None:
        self.cancelled.set()

    def run(self) -> None:
        from sfrt_reader.imaging.registration import register

        total = max(1, len(self.follow_ups))
        try:
            for n, (label, volume) in enumerate(self.follow_ups):
                if self.cancelled.is_set():
                    break

                def report(fraction: float, message: str, n: int = n, label: str = label) -> None:
                    self._emit(self.signals.progress, self, (n + fraction) / total, f"{label}: {message}")

                try:
                    result = register(self.baseline, volume, self.options, report, self.cancelled.is_set)
                except SfrtError as error:
                    self._emit(self.signals.failed, self, f"{label} could not be registered: {error}")
                    continue
                except MemoryError:
                    self._emit(self.signals.failed, self, f"{label} could not be registered: not enough memory")
                    continue
                except Exception as error:  # a bug below: the type, not the text (it may carry file names)
                    self._emit(
                        self.signals.failed,
                        self,
                        f"{label} could not be registered (internal error {type(error).__name__})",
                    )
                    continue
                if self.cancelled.is_set():
                    break  # a cancelled run returns a "poor" result that says so: it is not kept
                self._emit(self.signals.registered, self, label, result)
        finally:
            self._emit(self.signals.finished, self)
            _RUNNING.discard(self)
