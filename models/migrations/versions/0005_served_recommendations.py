"""served recommendations

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "served_recommendations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rec_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("served_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=True),
        sa.Column("arm", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_served_recommendations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_served_recommendations")),
        sa.UniqueConstraint("rec_id", name=op.f("uq_served_recommendations_rec_id")),
    )
    with op.batch_alter_table("served_recommendations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_served_recommendations_user_served", ["user_id", "served_at"], unique=False
        )
        batch_op.create_index("ix_served_recommendations_served_at", ["served_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("served_recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_served_recommendations_served_at")
        batch_op.drop_index("ix_served_recommendations_user_served")

    op.drop_table("served_recommendations")
