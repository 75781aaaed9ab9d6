"""metrics rollups, experiments, audiences and their delivery log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audiences",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiences")),
        sa.UniqueConstraint("name", name=op.f("uq_audiences_name")),
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "stopped",
                name="experiment_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("traffic", sa.Float(), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("name", name=op.f("uq_experiments_name")),
    )
    op.create_table(
        "metrics_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("event_watermark", sa.BigInteger(), nullable=False),
        sa.Column("served_watermark", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics_rollups")),
        sa.UniqueConstraint("timezone", name=op.f("uq_metrics_rollups_timezone")),
    )
    op.create_table(
        "audience_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "audience_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["audiences.id"],
            name=op.f("fk_audience_deliveries_audience_id_audiences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_deliveries")),
    )
    with op.batch_alter_table("audience_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audience_deliveries_audience_at", ["audience_id", "at"], unique=False
        )

    op.create_table(
        "experiment_arms",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_arms_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_arms")),
    )
    op.create_table(
        "metrics_cohorts",
        sa.Column(
            "rollup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("cohort", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("users", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollup_id"],
            ["metrics_rollups.id"],
            name=op.f("fk_metrics_cohorts_rollup_id_metrics_rollups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rollup_id", "cohort", "week", name=op.f("pk_metrics_cohorts")),
    )
    op.create_table(
        "metrics_periods",
        sa.Column(
            "rollup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("granularity", sa.String(length=1), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("plays", sa.BigInteger(), nullable=False),
        sa.Column("ms_played", sa.BigInteger(), nullable=False),
        sa.Column("streams", sa.BigInteger(), nullable=False),
        sa.Column("skips", sa.BigInteger(), nullable=False),
        sa.Column("skip_known", sa.BigInteger(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sa.Column("session_ms", sa.BigInteger(), nullable=False),
        sa.Column("ms_new_artist", sa.BigInteger(), nullable=False),
        sa.Column("rec_plays", sa.BigInteger(), nullable=False),
        sa.Column("ms_rec", sa.BigInteger(), nullable=False),
        sa.Column("users", sa.BigInteger(), nullable=False),
        sa.Column("new_users", sa.BigInteger(), nullable=False),
        sa.Column("wau", sa.BigInteger(), nullable=False),
        sa.Column("mau", sa.BigInteger(), nullable=False),
        sa.Column("served_lists", sa.BigInteger(), nullable=False),
        sa.Column("clicked_lists", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollup_id"],
            ["metrics_rollups.id"],
            name=op.f("fk_metrics_periods_rollup_id_metrics_rollups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "rollup_id", "granularity", "dim", "bucket", "value", name=op.f("pk_metrics_periods")
        ),
    )
    op.create_table(
        "metrics_user_days",
        sa.Column(
            "rollup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=128), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("ms_played", sa.BigInteger(), nullable=False),
        sa.Column("streams", sa.Integer(), nullable=False),
        sa.Column("skips", sa.Integer(), nullable=False),
        sa.Column("skip_known", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("session_ms", sa.BigInteger(), nullable=False),
        sa.Column("ms_new_artist", sa.BigInteger(), nullable=False),
        sa.Column("rec_plays", sa.Integer(), nullable=False),
        sa.Column("ms_rec", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollup_id"],
            ["metrics_rollups.id"],
            name=op.f("fk_metrics_user_days_rollup_id_metrics_rollups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_metrics_user_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "rollup_id",
            "day",
            "user_id",
            "platform",
            "country",
            "kind",
            name=op.f("pk_metrics_user_days"),
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("metrics_user_days", schema=None) as batch_op:
        batch_op.create_index(
            "ix_metrics_user_days_rollup_user_day", ["rollup_id", "user_id", "day"], unique=False
        )

    op.create_table(
        "metrics_user_served",
        sa.Column(
            "rollup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lists", sa.Integer(), nullable=False),
        sa.Column("clicked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollup_id"],
            ["metrics_rollups.id"],
            name=op.f("fk_metrics_user_served_rollup_id_metrics_rollups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_metrics_user_served_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rollup_id", "day", "user_id", name=op.f("pk_metrics_user_served")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("metrics_user_served", schema=None) as batch_op:
        batch_op.create_index(
            "ix_metrics_user_served_rollup_user", ["rollup_id", "user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("metrics_user_served", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_user_served_rollup_user")

    op.drop_table("metrics_user_served")
    with op.batch_alter_table("metrics_user_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_user_days_rollup_user_day")

    op.drop_table("metrics_user_days")
    op.drop_table("metrics_periods")
    op.drop_table("metrics_cohorts")
    op.drop_table("experiment_arms")
    with op.batch_alter_table("audience_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_audience_deliveries_audience_at")

    op.drop_table("audience_deliveries")
    op.drop_table("metrics_rollups")
    op.drop_table("experiments")
    op.drop_table("audiences")
