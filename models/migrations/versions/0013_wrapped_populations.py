"""wrapped populations: everyone's listening over a span, as a build found it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wrapped_populations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("span_start", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("span_end", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_event", sa.BigInteger(), nullable=False),
        sa.Column("arrays", sa.LargeBinary(), nullable=False),
        sa.Column("built_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wrapped_populations")),
        sa.UniqueConstraint(
            "span_start", "span_end", name=op.f("uq_wrapped_populations_span_start_span_end")
        ),
    )


def downgrade() -> None:
    op.drop_table("wrapped_populations")
