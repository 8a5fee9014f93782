"""source alerts: operations alerts for sources failing, quiet or no longer parsing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_alerts")),
    )
    with op.batch_alter_table("source_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_alerts_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_alerts_resolved_at"), ["resolved_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_alerts_resolved_at"))
        batch_op.drop_index(batch_op.f("ix_source_alerts_source"))
    op.drop_table("source_alerts")
