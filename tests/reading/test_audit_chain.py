"""Property: whatever single field of whatever event is altered, or whichever event is deleted, verify names it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from sfrt_reader.reading import audit, open_database

FIELDS = ("at", "actor", "action", "entity", "entity_id", "before", "after", "reason")


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=12),
    data=st.data(),
)
def test_any_tampering_is_located(n: int, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "chain.sqlite")

        def write(session):  # type: ignore[no-untyped-def]
            for i in range(n):
                audit.append(session, f"user{i % 3}", "update", "measurement", i, {"v": i}, {"v": i + 1}, f"why {i}")

        db.write(write)
        assert db.read(audit.verify).ok
        victim = data.draw(st.integers(min_value=1, max_value=n), label="event")
        mode = data.draw(st.sampled_from(["alter", "delete"]), label="mode")
        with db.engine.begin() as conn:
            if mode == "alter":
                column = data.draw(st.sampled_from(FIELDS), label="column")
                conn.execute(
                    text(f"UPDATE audit_event SET {column} = :v WHERE id = :id"), {"v": "forged", "id": victim}
                )
            else:
                conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": victim})
        report = db.read(audit.verify)
        db.close()
    assert not report.ok
    if mode == "alter":
        assert report.problem is not None and report.problem.startswith(f"event {victim} ")
    elif victim < n:
        assert report.problem == f"event {victim} is missing: deleted behind the application"
    else:
        assert report.problem is not None and f"audit head records event {n}" in report.problem
