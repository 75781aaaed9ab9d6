"""metrics rollup: per-listener artist and track days for the artist stats

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

The tables start empty; existing zones get their watermarks set back to 0, so the next
refresh of each rebuilds it whole, artist rows included.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _keys(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["rollup_id"], ["metrics_rollups.id"],
            name=op.f(f"fk_{table}_rollup_id_metrics_rollups"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
    ]  # fmt: skip


def _sums() -> list[sa.Column[int]]:
    return [
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("streams", sa.Integer(), nullable=False),
        sa.Column("ms_played", sa.BigInteger(), nullable=False),
        sa.Column("prev_day", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "metrics_artist_days",
        sa.Column("rollup_id", ID, nullable=False),
        sa.Column("artist_id", ID, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        *_sums(),
        sa.Column("prev_country_day", sa.Integer(), nullable=False),
        *_keys("metrics_artist_days"),
        sa.PrimaryKeyConstraint(
            "rollup_id",
            "artist_id",
            "country",
            "day",
            "user_id",
            name=op.f("pk_metrics_artist_days"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_metrics_artist_days_rollup_user", "metrics_artist_days", ["rollup_id", "user_id"]
    )
    op.create_table(
        "metrics_artist_track_days",
        sa.Column("rollup_id", ID, nullable=False),
        sa.Column("artist_id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        *_sums(),
        *_keys("metrics_artist_track_days"),
        sa.PrimaryKeyConstraint(
            "rollup_id",
            "artist_id",
            "item_id",
            "day",
            "user_id",
            name=op.f("pk_metrics_artist_track_days"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_metrics_artist_track_days_rollup_user",
        "metrics_artist_track_days",
        ["rollup_id", "user_id"],
    )
    # Existing rollups have no artist rows: rebuild them whole on their next refresh.
    op.execute(sa.text("UPDATE metrics_rollups SET event_watermark = 0, served_watermark = 0"))


def downgrade() -> None:
    op.drop_index(
        "ix_metrics_artist_track_days_rollup_user", table_name="metrics_artist_track_days"
    )
    op.drop_table("metrics_artist_track_days")
    op.drop_index("ix_metrics_artist_days_rollup_user", table_name="metrics_artist_days")
    op.drop_table("metrics_artist_days")
