"""Opening the read database: SQLite file by default, PostgreSQL by URL; schema upgraded to head at open.

Every write runs as one transaction that first takes the database's write lock (BEGIN IMMEDIATE on SQLite, a row
lock on `audit_head` on PostgreSQL). Writes are therefore serialised: no lost update between workstations, and the
audit chain is appended in one order. A write that finds the database busy is retried a bounded number of times;
after that the user gets `DatabaseBusyError`, never the driver's "database is locked".
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session

from sfrt_reader.reading.errors import DatabaseBusyError, DatabaseError
from sfrt_reader.reading.models import AuditHead

T = TypeVar("T")
log = logging.getLogger(__name__)

# The newest migration (a test checks it against the migration scripts). Opening a database already at this
# revision skips loading Alembic, which halves the start-up time of every command.
HEAD_REVISION = "0003"
SQLITE_BUSY_TIMEOUT_MS = 5000
WRITE_ATTEMPTS = 6
# PostgreSQL SQLSTATEs that mean "try the transaction again": serialization failure, deadlock, lock timeout.
_PG_RETRY = {"40001", "40P01", "55P03"}


def default_database_path() -> Path:
    """The per-user SQLite file, in the platform's user data folder."""
    return Path(platformdirs.user_data_dir("sfrt-reader", appauthor=False)) / "reading.sqlite"


def database_url(url_or_path: str | Path | None) -> str:
    """A SQLAlchemy URL from `--db` (a file path or a URL); the default file when None."""
    if url_or_path is None:
        return f"sqlite:///{default_database_path()}"
    value = str(url_or_path)
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _is_busy(error: DBAPIError) -> bool:
    code = getattr(error.orig, "pgcode", None)
    if code in _PG_RETRY:
        return True
    message = str(error.orig).lower()
    return "database is locked" in message or "database is busy" in message or "database table is locked" in message


@dataclass
class Database:
    """An open read database. Use `write` for changes and `read` for queries; both retry when busy."""

    engine: Engine
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def describe(self) -> str:
        """The database location without any password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def _session(self, write: bool) -> Iterator[Session]:
        bind = self.engine.execution_options(sfrt_write=write)
        with Session(bind=bind, expire_on_commit=False) as session, session.begin():
            if write and not self.is_sqlite:
                # Serialise writers on PostgreSQL: the single audit_head row is the lock.
                session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update())
            yield session

    def _retry(self, work: Callable[[Session], T], write: bool) -> T:
        delay = 0.05
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._session(write) as session:
                    return work(session)
            except (OperationalError, DBAPIError) as error:
                if not _is_busy(error):
                    raise
                if attempt == WRITE_ATTEMPTS:
                    raise DatabaseBusyError(
                        f"the read database is busy: another workstation kept it locked through {attempt} attempts; "
                        "nothing was saved by this request, try again in a moment"
                    ) from None
                log.info("database busy, retrying (attempt %d)", attempt)
                time.sleep(delay + random.uniform(0, delay))
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one serialised write transaction; all of it is saved or none."""
        return self._retry(work, write=True)

    def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a read transaction (a consistent snapshot)."""
        return self._retry(work, write=False)

    def close(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are begun by us (below), not by the driver, so that writers can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get("sfrt_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        connection.execution_options(sfrt_write=False)
        value = None
        if inspect(connection).has_table("alembic_version"):
            value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        connection.rollback()
    return None if value is None else str(value)


def _upgrade(engine: Engine) -> None:
    if _current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("sfrt_reader.reading") / "migrations"))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # Two workstations opening a new server database at once must not both create the schema.
            with connection.begin():
                connection.execute(text("SELECT pg_advisory_lock(5215001)"))
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if engine.dialect.name == "postgresql":
                with connection.begin():
                    connection.execute(text("SELECT pg_advisory_unlock(5215001)"))


def create_database_engine(url: str) -> Engine:
    """An engine with this application's connection settings (used by `open_database` and by tests)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"--db {url!r} is neither a file path nor a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            # psycopg2 is the driver we ship (the `postgres` extra); SQLAlchemy 2.1 would pick psycopg 3.
            parsed = parsed.set(drivername="postgresql+psycopg2")
        return create_engine(parsed, pool_pre_ping=True)
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use a SQLite file or postgresql://")


def open_database(url_or_path: str | Path | None = None, upgrade: bool = True) -> Database:
    """Open (creating if needed) the read database and upgrade its schema to the newest revision."""
    url = database_url(url_or_path)
    engine = create_database_engine(url)
    database = Database(engine=engine, url=url)
    if upgrade:
        attempts = 0
        while True:
            try:
                _upgrade(engine)
                break
            except (OperationalError, DBAPIError) as error:
                attempts += 1
                if _is_busy(error) and attempts < WRITE_ATTEMPTS:
                    time.sleep(0.1 * attempts)
                    continue
                engine.dispose()
                reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
                raise DatabaseError(f"cannot open the read database at {database.describe()}: {reason}") from None
    return database
