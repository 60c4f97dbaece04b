"""Alembic environment: always run programmatically on a connection given by `open_database`."""

from __future__ import annotations

from alembic import context

from sfrt_reader.reading.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
