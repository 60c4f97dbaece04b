"""The save queue: jobs run in one worker thread (never the GUI thread), in order; results come back on the GUI
thread in the same order; `flush` delivers at once; a failure gives the reader's message, a bug only its type."""

from __future__ import annotations

import threading
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfrt_reader.errors import SfrtError
from sfrt_reader.ui.save_queue import SaveJob, SaveQueue


def _job(n: int, log: list[Any], threads: list[threading.Thread], delay: float, fail: str | None = None) -> SaveJob:
    def work() -> int:
        threads.append(threading.current_thread())
        time.sleep(delay)
        if fail == "user":
            raise SfrtError(f"save {n}: the timepoint is signed")
        if fail == "bug":
            raise KeyError(f"patient name of {n}")
        return n

    return SaveJob(
        f"save {n} failed",
        work,
        lambda result: log.append(("done", result, threading.current_thread())),
        lambda message: log.append(("failed", message, threading.current_thread())),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([0.0, 0.002, 0.01]), min_size=1, max_size=6))
def test_jobs_run_off_the_gui_thread_and_arrive_in_order(qtbot, delays: list[float]) -> None:  # type: ignore[no-untyped-def]
    queue = SaveQueue()
    log: list[Any] = []
    threads: list[threading.Thread] = []
    for n, delay in enumerate(delays):
        queue.submit(_job(n, log, threads, delay))
    assert queue.pending
    qtbot.waitUntil(lambda: not queue.pending, timeout=10_000)
    assert [entry[1] for entry in log] == list(range(len(delays)))
    assert all(entry[2] is threading.main_thread() for entry in log)  # delivered on the GUI thread
    assert len(set(threads)) == 1 and threads[0] is not threading.main_thread()  # one worker thread
    queue.shutdown()


def test_flush_waits_and_delivers_at_once() -> None:
    queue = SaveQueue()
    log: list[Any] = []
    threads: list[threading.Thread] = []
    queue.submit(_job(1, log, threads, 0.2))
    queue.submit(_job(2, log, threads, 0.0))
    assert log == []
    queue.flush()  # no event loop runs: flush itself delivers
    assert [entry[:2] for entry in log] == [("done", 1), ("done", 2)] and not queue.pending
    queue.shutdown()


def test_a_failure_says_why_without_the_bugs_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    queue = SaveQueue()
    log: list[Any] = []
    threads: list[threading.Thread] = []
    queue.submit(_job(1, log, threads, 0.0, fail="user"))
    queue.submit(_job(2, log, threads, 0.0, fail="bug"))
    queue.submit(_job(3, log, threads, 0.0))
    qtbot.waitUntil(lambda: len(log) == 3, timeout=10_000)
    assert log[0][:2] == ("failed", "save 1: the timepoint is signed")
    assert log[1][:2] == ("failed", "save 2 failed (internal error KeyError)")  # no "patient name" from the bug
    assert log[2][:2] == ("done", 3)  # a failed save does not stop the ones after it
    queue.shutdown()
