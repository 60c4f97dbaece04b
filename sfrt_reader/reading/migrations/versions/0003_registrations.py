"""Registrations of each follow-up series to the baseline series of a read, with the reader's rejection.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_id", sa.Integer(), nullable=False),
        sa.Column("fixed_series_uid", sa.String(length=64), nullable=False),
        sa.Column("moving_series_uid", sa.String(length=64), nullable=False),
        sa.Column("options_key", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("metric_value", sa.Float(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
        sa.Column("rejected_by", sa.Integer(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["reader.id"], name=op.f("fk_registration_created_by_reader")),
        sa.ForeignKeyConstraint(["read_id"], ["read.id"], name=op.f("fk_registration_read_id_read")),
        sa.ForeignKeyConstraint(["rejected_by"], ["reader.id"], name=op.f("fk_registration_rejected_by_reader")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
        sa.UniqueConstraint(
            "read_id", "fixed_series_uid", "moving_series_uid", "options_key", name=op.f("uq_registration_read_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("registration")
