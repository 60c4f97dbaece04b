"""A database held by another workstation: retried within a bound, then one clear message."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from sfrt_reader.errors import SfrtError
from sfrt_reader.reading import DatabaseBusyError, open_database
from sfrt_reader.reading import database as database_module


@pytest.fixture
def quick_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(database_module, "WRITE_ATTEMPTS", 3)


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_lock_held_beyond_the_bound_gives_a_clear_error(tmp_path: Path, quick_timeouts: None) -> None:
    path = tmp_path / "busy.sqlite"
    db = open_database(path)
    holder = _hold_write_lock(path)
    try:
        with pytest.raises(DatabaseBusyError) as info:
            db.write(lambda s: s.execute(text("UPDATE audit_head SET last_id = last_id")))
    finally:
        holder.rollback()
        holder.close()
    message = str(info.value)
    assert isinstance(info.value, SfrtError)
    assert "busy" in message and "nothing was saved" in message and "database is locked" not in message
    db.close()


def test_lock_released_in_time_is_retried_transparently(
    tmp_path: Path, quick_timeouts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "WRITE_ATTEMPTS", 6)  # about 1.5 s of retrying: ten times the hold
    path = tmp_path / "busy.sqlite"
    db = open_database(path)
    holder = _hold_write_lock(path)

    def release() -> None:
        time.sleep(0.15)
        holder.rollback()

    thread = threading.Thread(target=release)
    thread.start()
    db.write(lambda s: s.execute(text("UPDATE audit_head SET last_hash = last_hash")))
    thread.join()
    holder.close()
    assert db.read(lambda s: s.execute(text("SELECT last_id FROM audit_head")).scalar()) == 0
    db.close()
