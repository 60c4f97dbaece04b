"""Adjudication of discordant central reads, and the record of exported forms and files (with SHA-256).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adjudication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("read_a_id", sa.Integer(), nullable=False),
        sa.Column("read_b_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("triggers", sa.JSON(), nullable=False),
        sa.Column("adjudicator_id", sa.Integer(), nullable=True),
        sa.Column("chosen_read_id", sa.Integer(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["adjudicator_id"], ["reader.id"], name=op.f("fk_adjudication_adjudicator_id_reader")),
        sa.ForeignKeyConstraint(["chosen_read_id"], ["read.id"], name=op.f("fk_adjudication_chosen_read_id_read")),
        sa.ForeignKeyConstraint(["read_a_id"], ["read.id"], name=op.f("fk_adjudication_read_a_id_read")),
        sa.ForeignKeyConstraint(["read_b_id"], ["read.id"], name=op.f("fk_adjudication_read_b_id_read")),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_adjudication_subject_id_subject")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjudication")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_adjudication_subject_id")),
    )
    op.create_table(
        "exported_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["timepoint_assessment.id"],
            name=op.f("fk_exported_document_assessment_id_timepoint_assessment"),
        ),
        sa.ForeignKeyConstraint(["created_by"], ["reader.id"], name=op.f("fk_exported_document_created_by_reader")),
        sa.ForeignKeyConstraint(["read_id"], ["read.id"], name=op.f("fk_exported_document_read_id_read")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exported_document")),
    )


def downgrade() -> None:
    op.drop_table("exported_document")
    op.drop_table("adjudication")
