"""Crash and concurrency: nothing reported saved is lost, nothing half-written, no "database is locked"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import select

from sfrt_reader.reading import LockedReadError, ReadingService, StudyRecord, open_database
from sfrt_reader.reading.models import Lesion, Measurement, Read
from sfrt_reader.trial import load_protocol
from tests.reading.conftest import PASSWORD, ArithmeticAssessor
from tests.reading.worker import diameter

RT_END = date(2026, 1, 31)


def set_up(url: str, subjects: int) -> ReadingService:
    service = ReadingService(open_database(url), assessor=ArithmeticAssessor())
    service.init_trial(load_protocol("NCT06980259"), "local", actor="test")
    service.add_site("S1", "Site", actor="test")
    for n in range(subjects):
        service.add_subject(f"P-{n}", "S1", RT_END, actor="test")
        service.add_study(
            f"P-{n}",
            StudyRecord(f"1.2.3.{n}", date(2025, 12, 1), "CT", True, 3.0, series_count=1, instance_count=1),
            actor="test",
        )
        service.add_reader(f"reader{n}", f"Reader {n}", "reader", PASSWORD, actor="test")
    return service


def worker(url: str, n: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reading.worker", url, f"reader{n}", f"P-{n}", str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ,
    )


def stored(service: ReadingService, pseudonym: str) -> tuple[set[str], dict[str, float | None]]:
    def work(s):  # type: ignore[no-untyped-def]
        read = s.scalar(select(Read).join(Read.subject).where(Read.subject.has(pseudonym=pseudonym)))
        lesions = {les.code for les in s.scalars(select(Lesion).where(Lesion.read_id == read.id))}
        values = {
            m.lesion.code: m.diameter_mm
            for m in s.scalars(select(Measurement).join(Lesion).where(Lesion.read_id == read.id))
        }
        return lesions, values

    return service.db.read(work)


@pytest.mark.parametrize("kill_after", [3, 17])
def test_sigkill_while_saving_loses_nothing_reported_saved(database_url: str, kill_after: int) -> None:
    service = set_up(database_url, 1)
    process = worker(database_url, 0, 1000)
    assert process.stdout is not None
    reported: list[tuple[str, float]] = []
    for line in process.stdout:
        if line.startswith("saved "):
            _, code, value = line.split()
            reported.append((code, float(value)))
            if len(reported) == kill_after:
                process.send_signal(signal.SIGKILL)
                break
    remaining, _ = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    reported += [(ln.split()[1], float(ln.split()[2])) for ln in remaining.splitlines() if ln.startswith("saved ")]

    lesions, values = stored(service, "P-0")
    for code, value in reported:
        assert values[code] == value  # every reported save is there, with its value
    # Whatever else reached the database is whole: a measurement always has its lesion, its audit event and
    # the value the worker sent; at most the one save in flight is missing.
    for code, value in values.items():
        assert value == diameter(int(code[1:]))
    assert len(values) >= len(reported) and set(values) <= lesions and len(lesions) <= len(values) + 1
    report = service.audit_verify()
    assert report.ok, report.problem


def test_two_processes_on_the_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = str(tmp_path / "shared.sqlite")
    concurrent_writers(url, processes=2, count=40)


@pytest.mark.postgres
def test_four_processes_on_postgresql(postgres_database_url: str) -> None:
    concurrent_writers(postgres_database_url, processes=4, count=30)


def concurrent_writers(url: str, processes: int, count: int) -> None:
    service = set_up(url, processes)
    workers = [worker(url, n, count) for n in range(processes)]
    for process in workers:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        assert "locked" not in (out + err).lower() and "busy" not in err.lower()
        assert out.splitlines()[-1] == "done"
    for n in range(processes):
        _, values = stored(service, f"P-{n}")
        assert values == {f"L{i}": diameter(i) for i in range(count)}  # no lost update
    report = service.audit_verify()
    assert report.ok, report.problem
    # One chain, in one order: every process's events are in it.
    assert report.events == len(service.audit_events())


def test_signed_timepoint_cannot_be_edited_by_another_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = str(tmp_path / "lock.sqlite")
    service = set_up(url, 1)
    session = service.login("reader0", PASSWORD)
    read_id = session.open_read("P-0").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=50.0)
    session.sign(read_id, "baseline", PASSWORD)
    other = ReadingService(open_database(url), assessor=ArithmeticAssessor()).login("reader0", PASSWORD)
    with pytest.raises(LockedReadError):
        other.record_measurement(read_id, "baseline", "T1", diameter_mm=51.0)
