"""Schema migrations: the models equal what the migrations build, and an upgrade keeps every read."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sfrt_reader.reading import open_database
from sfrt_reader.reading.database import create_database_engine
from sfrt_reader.reading.database import database_url as to_url
from sfrt_reader.reading.models import Base


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("sfrt_reader.reading") / "migrations"))
    config.attributes["connection"] = connection
    return config


def test_models_equal_the_migrated_schema(database_url: str) -> None:
    db = open_database(database_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.close()
    assert diff == []


def test_upgrade_from_the_previous_revision_keeps_every_read(database_url: str) -> None:
    engine = create_database_engine(to_url(database_url))
    with engine.connect() as conn:
        command.upgrade(_config(conn), "0001")
        conn.commit()
    assert "adjudication" not in inspect(engine).get_table_names()
    now = "2026-05-01 10:00:00"
    rows = [
        "INSERT INTO trial VALUES (1, 'NCT06980259', '[trial]', 'central', :now)",
        "INSERT INTO site VALUES (1, 1, 'SD01', 'Site')",
        "INSERT INTO subject VALUES (1, 1, 1, 'P-001', 'SFRT', NULL, '2026-01-31', 'ab', -400, :now)",
        "INSERT INTO imaging_study (id, subject_id, study_instance_uid, study_date, modality, series_count, "
        "instance_count, burned_in_annotation, timepoint_label, assignment, created_at) "
        "VALUES (1, 1, '1.2.3', '2025-12-20', 'CT', 1, 100, false, 'baseline', 'auto', :now)",
        "INSERT INTO reader VALUES (1, 'r1', 'Dr One', 'reader', 'x', :now)",
        "INSERT INTO reader VALUES (2, 'r2', 'Dr Two', 'reader', 'x', :now)",
        "INSERT INTO read (id, subject_id, reader_id, kind, created_at) VALUES (1, 1, 1, 'central', :now)",
        "INSERT INTO read (id, subject_id, reader_id, kind, created_at) VALUES (2, 1, 2, 'central', :now)",
        "INSERT INTO lesion VALUES (1, 1, 'T1', 'target', 'thigh', false, 'baseline', NULL)",
        "INSERT INTO timepoint_assessment (id, read_id, label, version, study_id, status, non_targets, new_lesions, "
        "new_intratumoral_nodules, created_at) VALUES (1, 1, 'baseline', 1, 1, 'signed', '{}', 'no', false, :now)",
        "INSERT INTO measurement (id, assessment_id, lesion_id, status, diameter_mm, objects, updated_at) "
        "VALUES (1, 1, 1, 'measured', 82.5, '[]', :now)",
    ]
    with engine.begin() as conn:
        for sql in rows:
            conn.execute(text(sql), {"now": now} if ":now" in sql else {})
    engine.dispose()

    db = open_database(database_url)  # upgrades to head
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
        reads = conn.execute(text("SELECT id, subject_id, reader_id, kind FROM read ORDER BY id")).all()
        assert [tuple(r) for r in reads] == [(1, 1, 1, "central"), (2, 1, 2, "central")]
        assert conn.execute(text("SELECT diameter_mm FROM measurement WHERE id = 1")).scalar() == 82.5
        assert conn.execute(text("SELECT status FROM timepoint_assessment")).scalar() == "signed"
        assert conn.execute(text("SELECT count(*) FROM adjudication")).scalar() == 0
    db.close()


def test_open_twice_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "reads.sqlite"
    open_database(path).close()
    db = open_database(path)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.close()


def test_head_revision_constant_matches_the_scripts() -> None:
    from alembic.script import ScriptDirectory

    from sfrt_reader.reading.database import HEAD_REVISION

    config = Config()
    config.set_main_option("script_location", str(resources.files("sfrt_reader.reading") / "migrations"))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def test_upgrade_from_0002_adds_the_registration_table_and_downgrade_removes_it(database_url: str) -> None:
    engine = create_database_engine(to_url(database_url))
    with engine.connect() as conn:
        command.upgrade(_config(conn), "0002")
        conn.commit()
    assert "registration" not in inspect(engine).get_table_names()
    now = "2026-05-01 10:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO trial VALUES (1, 'NCT06980259', '[trial]', 'central', :now)"), {"now": now})
        conn.execute(text("INSERT INTO reader VALUES (1, 'r1', 'Dr One', 'reader', 'x', :now)"), {"now": now})
    engine.dispose()

    db = open_database(database_url)  # upgrades to head
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
        assert conn.execute(text("SELECT count(*) FROM registration")).scalar() == 0
        assert conn.execute(text("SELECT username FROM reader")).scalar() == "r1"
    columns = {c["name"] for c in inspect(db.engine).get_columns("registration")}
    assert {"read_id", "fixed_series_uid", "moving_series_uid", "options_key", "document", "verdict"} <= columns
    assert {"metric_value", "rejected", "rejected_reason", "rejected_by", "rejected_at", "created_by"} <= columns
    with db.engine.connect() as conn:
        command.downgrade(_config(conn), "0002")
        conn.commit()
    assert "registration" not in inspect(db.engine).get_table_names()
    db.close()
