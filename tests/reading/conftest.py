"""Fixtures of the reading-layer tests: a fresh database per test (SQLite, and PostgreSQL when configured).

The workflow tests use `ArithmeticAssessor`, a small test double of the criteria engine that records every input
document and answers in the engine's output format with plain RECIST-like arithmetic, so that the workflow rules
(locking, versions, adjudication triggers, recompute on change) are tested independently of the engine's own
correctness, which the criteria tests cover. Tests against the real engine are in test_engine_integration.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sfrt_reader.reading import ReadingService, StudyRecord, open_database, passwords
from sfrt_reader.reading.database import Database, create_database_engine
from sfrt_reader.reading.engine import EngineOutcome
from sfrt_reader.trial import load_protocol

PASSWORD = "correct horse battery"

# Realistic identifiers: the blinding tests assert that none of these ever reaches a blinded session.
IDENTITIES = {
    "P-001": ("ZL0048213", "WANG^Xiaoming", date(1961, 3, 14), "SFRT"),
    "P-002": ("ZL0051977", "LI^Hongmei", date(1974, 11, 2), "CRT"),
}
INSTITUTION = "Shandong Cancer Hospital and Institute"
RT_START = date(2026, 1, 5)
RT_END = date(2026, 1, 31)
STUDY_DATES = {
    "baseline": date(2025, 12, 20),
    "3m": date(2026, 4, 28),
    "6m": date(2026, 7, 30),
}


class ArithmeticAssessor:
    """Sum of target values; PR at <= 70% of baseline, PD at >= 120% of nadir and +5 mm, else SD."""

    version = "arithmetic-test-double-1"

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []

    def __call__(self, document: dict[str, Any]) -> EngineOutcome:
        self.documents.append(document)
        targets = [les["id"] for les in document["lesions"] if les["role"] == "target"]
        first = document["timepoints"][0]
        missing = [t for t in targets if first["targets"].get(t, {}).get("diameter_mm") is None]
        if missing:
            return EngineOutcome(
                None, self.version, [f"timepoints[0].targets.{t}.diameter_mm: missing" for t in missing]
            )
        entries, nadir, base, best, progression = [], None, None, None, None
        rank = {"PR": 0, "SD": 1, "PD": 2}
        for i, tp in enumerate(document["timepoints"]):
            total = 0.0
            for t in targets:
                v = tp["targets"][t]["diameter_mm"]
                total += 5.0 if v == "too_small" else sum(v) if isinstance(v, list) else (v or 0.0)
            overall = None
            if i == 0:
                base = nadir = total
            else:
                assert base is not None and nadir is not None
                if total >= 1.2 * nadir and total - nadir >= 5:
                    overall = "PD"
                elif total <= 0.7 * base:
                    overall = "PR"
                else:
                    overall = "SD"
                if tp["new_lesions"] == "yes":
                    overall = "PD"
                if overall == "PD" and progression is None:
                    progression = tp["day"]
                if best is None or rank[overall] < rank[best]:
                    best = overall
                nadir = min(nadir, total)
            entries.append({"label": tp["label"], "day": tp["day"], "sum_mm": total, "overall": overall, "reasons": []})
        output = {
            c: {"criteria": c, "timepoints": entries, "best_overall_response": best, "progression_day": progression}
            for c in ("recist1.1", "choi")
        }
        return EngineOutcome(output, self.version, [])


def _postgres_url() -> str | None:
    return os.environ.get("SFRT_TEST_POSTGRES_URL") or None


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = _postgres_url()
    if not base:
        pytest.skip("SFRT_TEST_POSTGRES_URL is not set: no PostgreSQL server for this test")
    name = f"sfrt_test_{uuid.uuid4().hex[:12]}"
    admin = create_database_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "reads.sqlite")
    return str(request.getfixturevalue("postgres_database_url"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.close()


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests hash dozens of passwords: use the cheapest argon2id parameters (each hash records its own)."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def assessor() -> ArithmeticAssessor:
    return ArithmeticAssessor()


def populate(service: ReadingService, paradigm: str) -> None:
    """A trial with one site, two subjects with baseline, 3-month and 6-month studies, and readers."""
    service.init_trial(load_protocol("NCT06980259"), paradigm, actor="manager")
    service.add_site("SD01", INSTITUTION, actor="manager")
    for n, (pseudonym, (pid, name, birth, arm)) in enumerate(IDENTITIES.items(), start=1):
        service.add_subject(
            pseudonym,
            "SD01",
            RT_END,
            actor="manager",
            rt_start_date=RT_START,
            arm=arm,
            patient_id=pid,
            patient_name=name,
            birth_date=birth,
        )
        for k, (label, day) in enumerate(STUDY_DATES.items(), start=1):
            record = StudyRecord(
                study_instance_uid=f"1.2.826.0.1.3680043.8.498.{n}.{k}",
                study_date=day,
                modality="CT",
                contrast=True,
                slice_thickness_mm=3.0,
                accession_number=f"ACC{pid[-5:]}{label}",
                institution=INSTITUTION,
                description=f"CT thigh {label}",
                series_count=1,
                instance_count=120,
            )
            assert service.add_study(pseudonym, record, actor="manager").label == label
    for username, role in (("reader1", "reader"), ("reader2", "reader"), ("reader3", "reader"), ("adj", "adjudicator")):
        service.add_reader(username, f"Dr {username}", role, PASSWORD, actor="manager")
    service.add_reader("boss", "Trial Manager", "manager", PASSWORD, actor="manager")


@pytest.fixture
def local_service(database: Database, assessor: ArithmeticAssessor) -> ReadingService:
    service = ReadingService(database, assessor=assessor)
    populate(service, "local")
    return service


@pytest.fixture
def central_service(database: Database, assessor: ArithmeticAssessor) -> ReadingService:
    service = ReadingService(database, assessor=assessor)
    populate(service, "central")
    return service
