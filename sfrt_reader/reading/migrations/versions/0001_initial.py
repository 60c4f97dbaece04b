"""Initial schema: trial, sites, subjects and identities, studies, readers, reads, lesions, timepoint
assessments with versions, measurements, signatures, and the hash-chained audit trail.

Revision ID: 0001
Revises: None
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "reader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reader")),
        sa.UniqueConstraint("username", name=op.f("uq_reader_username")),
    )
    op.create_table(
        "trial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.String(length=64), nullable=False),
        sa.Column("protocol_toml", sa.Text(), nullable=False),
        sa.Column("paradigm", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial")),
    )
    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"], name=op.f("fk_site_trial_id_trial")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("trial_id", "code", name=op.f("uq_site_trial_id")),
    )
    op.create_table(
        "subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("arm", sa.String(length=32), nullable=True),
        sa.Column("rt_start_date", sa.Date(), nullable=True),
        sa.Column("rt_end_date", sa.Date(), nullable=False),
        sa.Column("uid_secret", sa.String(length=64), nullable=False),
        sa.Column("date_shift_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_subject_site_id_site")),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"], name=op.f("fk_subject_trial_id_trial")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint("trial_id", "pseudonym", name=op.f("uq_subject_trial_id")),
    )
    op.create_table(
        "imaging_study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("study_instance_uid", sa.String(length=64), nullable=False),
        sa.Column("study_date", sa.Date(), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("contrast", sa.Boolean(), nullable=True),
        sa.Column("slice_thickness_mm", sa.Float(), nullable=True),
        sa.Column("accession_number", sa.String(length=64), nullable=True),
        sa.Column("institution", sa.String(length=256), nullable=True),
        sa.Column("description", sa.String(length=256), nullable=True),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("deidentified_path", sa.Text(), nullable=True),
        sa.Column("series_count", sa.Integer(), nullable=False),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("burned_in_annotation", sa.Boolean(), nullable=False),
        sa.Column("timepoint_label", sa.String(length=32), nullable=True),
        sa.Column("assignment", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_imaging_study_subject_id_subject")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_study")),
        sa.UniqueConstraint("subject_id", "study_instance_uid", name=op.f("uq_imaging_study_subject_id")),
    )
    op.create_table(
        "read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("engine_version", sa.String(length=64), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["reader_id"], ["reader.id"], name=op.f("fk_read_reader_id_reader")),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_read_subject_id_subject")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read")),
        sa.UniqueConstraint("subject_id", "reader_id", name=op.f("uq_read_subject_id")),
    )
    op.create_table(
        "subject_identity",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.String(length=128), nullable=True),
        sa.Column("patient_name", sa.String(length=256), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_subject_identity_subject_id_subject")),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_identity")),
    )
    op.create_table(
        "lesion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("organ", sa.String(length=64), nullable=False),
        sa.Column("nodal", sa.Boolean(), nullable=False),
        sa.Column("first_label", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["read_id"], ["read.id"], name=op.f("fk_lesion_read_id_read")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesion")),
        sa.UniqueConstraint("read_id", "code", name=op.f("uq_lesion_read_id")),
    )
    op.create_table(
        "timepoint_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("non_targets", sa.JSON(), nullable=False),
        sa.Column("new_lesions", sa.String(length=16), nullable=False),
        sa.Column("new_intratumoral_nodules", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("engine_version", sa.String(length=64), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=True),
        sa.Column("amendment_reason", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["read_id"], ["read.id"], name=op.f("fk_timepoint_assessment_read_id_read")),
        sa.ForeignKeyConstraint(
            ["study_id"], ["imaging_study.id"], name=op.f("fk_timepoint_assessment_study_id_imaging_study")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["timepoint_assessment.id"],
            name=op.f("fk_timepoint_assessment_supersedes_id_timepoint_assessment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timepoint_assessment")),
        sa.UniqueConstraint("read_id", "label", "version", name=op.f("uq_timepoint_assessment_read_id")),
    )
    op.create_table(
        "measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("diameter_mm", sa.Float(), nullable=True),
        sa.Column("short_axis_mm", sa.Float(), nullable=True),
        sa.Column("mean_hu", sa.Float(), nullable=True),
        sa.Column("volume_ml", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("fragments_mm", sa.JSON(), nullable=True),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["timepoint_assessment.id"],
            name=op.f("fk_measurement_assessment_id_timepoint_assessment"),
        ),
        sa.ForeignKeyConstraint(["lesion_id"], ["lesion.id"], name=op.f("fk_measurement_lesion_id_lesion")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement")),
        sa.UniqueConstraint("assessment_id", "lesion_id", name=op.f("uq_measurement_assessment_id")),
    )
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("meaning", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["timepoint_assessment.id"], name=op.f("fk_signature_assessment_id_timepoint_assessment")
        ),
        sa.ForeignKeyConstraint(["reader_id"], ["reader.id"], name=op.f("fk_signature_reader_id_reader")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_signature_assessment_id")),
    )
    op.bulk_insert(
        sa.table(
            "audit_head",
            sa.column("id", sa.Integer),
            sa.column("last_id", sa.Integer),
            sa.column("last_hash", sa.String),
        ),
        [{"id": 1, "last_id": 0, "last_hash": "0" * 64}],
    )


def downgrade() -> None:
    op.drop_table("signature")
    op.drop_table("measurement")
    op.drop_table("timepoint_assessment")
    op.drop_table("lesion")
    op.drop_table("subject_identity")
    op.drop_table("read")
    op.drop_table("imaging_study")
    op.drop_table("subject")
    op.drop_table("site")
    op.drop_table("trial")
    op.drop_table("reader")
    op.drop_table("audit_head")
    op.drop_table("audit_event")
