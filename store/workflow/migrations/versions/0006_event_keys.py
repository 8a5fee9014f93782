"""event keys: posts about the same place and matter join one story

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_keys",
        sa.Column("story_key", sa.String(length=100), nullable=False),
        sa.Column("mention_id", sa.String(length=300), nullable=False),
        sa.Column("event_id", sa.String(length=300), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("story_key", "mention_id", name=op.f("pk_event_keys")),
    )
    with op.batch_alter_table("event_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_keys_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_keys_seen_at"))
    op.drop_table("event_keys")
