"""import jobs: when a job last made progress, so one a restart cut short can be told apart

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("updated_at", models.base.UTCDateTime(timezone=True)))
    op.execute("UPDATE import_jobs SET updated_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("updated_at")
