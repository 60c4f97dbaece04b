"""Saves that run off the GUI thread, one after the other, in the order they were asked for.

Why: saving a brush-corrected lesion (its packed mask in the measurement's objects) writes the read database, lets
the reading layer recompute RECIST and Choi and append the audit trail, then reads the read back: about 150 ms on
an idle machine, all of it on the GUI thread until now, so the brush stalled after every stroke. Here the write and
the read-back run in one worker thread (a single-thread executor: jobs never overlap and finish in the order
submitted), and only showing the result (the panels) stays on the GUI thread.

Ordering with the rest of the window: `flush()` waits for every pending job and shows its result at once. The
reading window calls it before any other database call it makes, so a later write (a drawing, a status, a
signature) is never overtaken by an earlier save still in the queue, and a read-back shown later is never older
than one already on screen. Closing the window flushes too: nothing asked for is lost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from sfrt_reader.ui.worker_errors import failure_text


@dataclass(eq=False)
class SaveJob:
    """One save: `work` runs in the worker; `done(result)` or `failed(message)` then run on the GUI thread."""

    what: str  # for the message if it fails, e.g. "T1 at 3m could not be saved"
    work: Callable[[], Any]
    done: Callable[[Any], None]
    failed: Callable[[str], None]
    future: Future[Any] | None = field(default=None, repr=False)
    delivered: bool = False


class SaveQueue(QObject):
    """A queue of saves run in order in one worker thread; results are delivered on the GUI thread, in order."""

    _arrived = Signal()  # emitted from the worker: a job finished (queued to the GUI thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: ThreadPoolExecutor | None = None
        self.jobs: deque[SaveJob] = deque()  # submitted, not yet delivered, oldest first
        # queued even when a job is already done as it is submitted (the callback then runs in this thread):
        # results always arrive through the event loop, never inside `submit`
        self._arrived.connect(self._deliver_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def pending(self) -> bool:
        return bool(self.jobs)

    def submit(self, job: SaveJob) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sfrt-save")
        self.jobs.append(job)
        job.future = self._executor.submit(job.work)
        job.future.add_done_callback(lambda _f: self._arrived.emit())

    def flush(self) -> None:
        """Wait for every pending save and deliver each result, oldest first (blocks the caller until then)."""
        while self.jobs:
            job = self.jobs[0]
            assert job.future is not None
            job.future.exception()  # waits; the outcome is handled in _deliver
            self._deliver(self.jobs.popleft())

    def shutdown(self) -> None:
        """Finish and deliver what is pending, then stop the worker thread."""
        self.flush()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _deliver_finished(self) -> None:
        while self.jobs and self.jobs[0].future is not None and self.jobs[0].future.done():
            self._deliver(self.jobs.popleft())

    @staticmethod
    def _deliver(job: SaveJob) -> None:
        if job.delivered:
            return
        job.delivered = True
        assert job.future is not None
        error = job.future.exception()
        if error is None:
            job.done(job.future.result())
        elif isinstance(error, Exception):
            job.failed(failure_text(error, job.what))
        else:  # KeyboardInterrupt / SystemExit in the worker: not ours to swallow
            raise error
