"""The trial-level export loads every read in a constant number of SQL statements and writes exactly what the
per-read path (one `session.view` and one `session.identity` per read) writes.

The database is built through the reading service with the variety a real trial has: two readers, amended
timepoints (version 2), drafts that must not be exported, too-small, disappeared and fragmented lesions, nodes,
MR timepoints, new lesions, and a subject with no read at all.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from sfrt_reader.reading import ReaderSession, ReadingService, StudyRecord, open_database
from sfrt_reader.reports import content as C
from sfrt_reader.reports.tables import adjudication_states, build_tables, contexts_for, write_csv, write_xlsx
from sfrt_reader.trial import load_protocol

PASSWORD = "correct horse battery"
LABELS = ("baseline", "3m", "6m", "9m")
MONTHS = (0, 3, 6, 9)


def build_trial(tmp: Path, subjects: int, paradigm: str = "local", seed: int = 8) -> ReadingService:
    rng = random.Random(seed)
    service = ReadingService(open_database(str(tmp / f"trial-{paradigm}-{subjects}.sqlite")))
    service.init_trial(load_protocol("NCT06980259"), paradigm, actor="manager")
    service.add_site("S01", "Hopital Saint-Exemple", actor="manager")
    for who in ("r1", "r2"):
        service.add_reader(who, f"Dr {who}", "reader", PASSWORD, actor="manager")
    service.add_reader("boss", "Trial Manager", "manager", PASSWORD, actor="manager")
    sessions = {who: service.login(who, PASSWORD) for who in ("r1", "r2")}
    for n in range(subjects + 1):
        pseudonym = f"P-{n + 1:03d}"
        rt_end = date(2025, 1, 10) + timedelta(days=3 * n)
        service.add_subject(
            pseudonym,
            "S01",
            rt_end,
            actor="manager",
            patient_id=f"ID{n:05d}",
            patient_name=f"Name^Person{n}",
            birth_date=date(1960, 1, 1) + timedelta(days=n),
        )
        for k, months in enumerate(MONTHS):
            day = rt_end + (timedelta(days=-40) if months == 0 else timedelta(days=round(months * 30.44)))
            modality = "MR" if k == 2 and n % 3 == 0 else "CT"
            record = StudyRecord(f"2.25.{n}{k:02d}", day, modality, True, 3.0, series_count=1, instance_count=80)
            service.add_study(pseudonym, record, actor="manager")
        if n == subjects:
            break  # the last subject has studies but nobody has read it
        session = sessions["r1" if n % 2 == 0 else "r2"]
        read_subject(session, pseudonym, n, rng)
    return service


def read_subject(session: ReaderSession, pseudonym: str, n: int, rng: random.Random) -> None:
    rid = session.open_read(pseudonym).read_id
    sizes = {"T1": rng.uniform(40, 150), "T2": rng.uniform(15, 40)}
    for k, label in enumerate(LABELS):
        if n % 4 == 3 and k == 3:
            session.start_timepoint(rid, label)  # a draft: never exported
            session.record_measurement(rid, label, "T1", diameter_mm=11.1)
            break
        session.start_timepoint(rid, label)
        if k == 0:
            session.add_lesion(rid, "T1", "target", "thigh")
            session.add_lesion(rid, "T2", "target", "inguinal node", nodal=n % 2 == 1)
            session.add_lesion(rid, "NT1", "non-target", "bone")
        f = 1.0 - 0.05 * k * rng.random()
        hu = round(rng.uniform(20, 80) * f, 1) if not (k == 2 and n % 3 == 0) else None  # MR: no HU
        if n % 5 == 2 and k == 2:
            session.record_measurement(rid, label, "T1", fragments_mm=[round(sizes["T1"] * f / 2, 1), 7.5])
        else:
            session.record_measurement(rid, label, "T1", diameter_mm=round(sizes["T1"] * f, 1), mean_hu=hu)
        if n % 3 == 1 and k >= 2:
            session.record_measurement(rid, label, "T2", status="too_small" if k == 2 else "disappeared")
        else:
            session.record_measurement(
                rid, label, "T2", diameter_mm=round(sizes["T2"] * f + 5, 1), short_axis_mm=round(sizes["T2"] * f, 1)
            )
        session.set_non_target(rid, label, "NT1", "present")
        if n % 4 == 1 and k == 3:
            session.add_lesion(rid, "N1", "new", "lung", label=label)
            session.record_measurement(rid, label, "N1", diameter_mm=9.0)
            session.set_timepoint(rid, label, new_lesions="yes")
        session.sign(rid, label, PASSWORD)
        if n % 3 == 0 and k == 1:
            session.amend(rid, label, "re-measured on a thinner reconstruction")
            session.record_measurement(rid, label, "T1", diameter_mm=round(sizes["T1"] * f - 1.5, 1), mean_hu=hu)
            session.sign(rid, label, PASSWORD)


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReadingService, ReadingService]]:
    tmp = tmp_path_factory.mktemp("bulk")
    from argon2 import PasswordHasher

    from sfrt_reader.reading import passwords

    saved = passwords._HASHER  # type: ignore[attr-defined]
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # type: ignore[attr-defined]
    small, large = build_trial(tmp, 6), build_trial(tmp, 12)
    passwords._HASHER = saved  # type: ignore[attr-defined]
    yield small, large
    small.db.close()
    large.db.close()


def per_read_contexts(session: ReaderSession, ids: list[int]) -> list[C.ReadContext]:
    """The reference path: one view and one identity per read, exactly what a single form uses."""
    return [C.gather(session, rid, with_images=False) for rid in ids]


def count_statements(service: ReadingService, work: Any) -> int:
    statements: list[str] = []

    def listener(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(service.db.engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        event.remove(service.db.engine, "before_cursor_execute", listener)
    return len(statements)


def all_reads(service: ReadingService) -> tuple[ReaderSession, list[int]]:
    boss = service.login("boss", PASSWORD)
    ids = [rid for who in ("r1", "r2") for rid in service.login(who, PASSWORD).my_reads()]
    return boss, sorted(ids)


def test_bulk_csv_and_xlsx_are_byte_identical_to_the_per_read_path(
    trial: tuple[ReadingService, ReadingService], tmp_path: Path
) -> None:
    service = trial[1]
    boss, ids = all_reads(service)
    assert len(ids) == 12
    bulk = build_tables(contexts_for(boss, ids))
    reference = build_tables(per_read_contexts(boss, ids))
    # The database really has the variety the test is about.
    assert set(bulk.lesions["measurement_status"].dropna()) >= {"measured", "too_small", "disappeared", "present"}
    assert bulk.timepoints["timepoint_version"].max() == 2
    assert "MR" in set(bulk.timepoints["modality"]) and "yes" in set(bulk.timepoints["new_lesions"])
    assert bulk.lesions["patient_id"].notna().all() and bulk.timepoints["study_date"].notna().all()
    for a, b in zip(write_csv(bulk, tmp_path / "bulk.csv"), write_csv(reference, tmp_path / "ref.csv"), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    # Draft timepoints stay out: 12 reads x 4 timepoints, minus one draft 9m in every fourth subject.
    assert len(bulk.timepoints) == 12 * 4 - 3
    write_xlsx(bulk, tmp_path / "bulk.xlsx")
    write_xlsx(reference, tmp_path / "ref.xlsx")
    import pandas as pd

    for sheet in ("lesions", "timepoints", "dictionary"):
        got = pd.read_excel(tmp_path / "bulk.xlsx", sheet_name=sheet)
        pd.testing.assert_frame_equal(got, pd.read_excel(tmp_path / "ref.xlsx", sheet_name=sheet))


def test_bulk_views_equal_single_views_for_the_reader_too(trial: tuple[ReadingService, ReadingService]) -> None:
    service = trial[0]
    session = service.login("r2", PASSWORD)
    ids = session.my_reads()
    assert session.views(ids) == [session.view(rid) for rid in ids]
    pseudonyms = [v.pseudonym for v in session.views(ids)]
    assert session.identities(pseudonyms) == {p: session.identity(p) for p in pseudonyms}


def test_export_query_count_does_not_grow_with_the_number_of_reads(
    trial: tuple[ReadingService, ReadingService],
) -> None:
    counts = []
    for service in trial:
        boss, ids = all_reads(service)
        boss.protocol  # noqa: B018 - the protocol is parsed once per service, outside what is counted
        counts.append(
            count_statements(service, lambda b=boss, i=ids: build_tables(contexts_for(b, i), adjudication_states(b)))
        )
    small, large = counts
    assert small == large, f"6 reads: {small} statements, 12 reads: {large}"
    # One statement per table and a transaction each for the views and the identities.
    assert large <= 16, large
    # The per-read path, for contrast, grows with the reads (this is what the bulk path replaced).
    boss, ids = all_reads(trial[1])
    assert count_statements(trial[1], lambda: per_read_contexts(boss, ids)) > 10 * large


def test_free_text_screens_load_in_a_constant_number_of_statements(
    trial: tuple[ReadingService, ReadingService],
) -> None:
    """A blinded trial-level export screens every read's free text: its identifiers are loaded set-wise too."""
    counts = []
    for service in trial:
        boss, ids = all_reads(service)
        screens: dict[int, Any] = {}
        counts.append(count_statements(service, lambda b=boss, i=ids, out=screens: out.update(b.text_screens(i))))
        assert sorted(screens) == sorted(ids)
    assert counts[0] == counts[1] and counts[1] <= 8, counts
