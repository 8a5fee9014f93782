"""playbooks and clock

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:37:51.481907
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "incident_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=200), nullable=False),
        sa.Column("unless", sa.String(length=20), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_clock_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_clock")),
        sa.UniqueConstraint("incident_id", "step", name=op.f("uq_incident_clock_incident_id")),
    )
    with op.batch_alter_table("incident_clock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_clock_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_clock_fired_at"), ["fired_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_clock_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "incident_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_tasks_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_tasks")),
    )
    with op.batch_alter_table("incident_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_tasks_incident_id"), ["incident_id"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("playbook", sa.String(length=100), nullable=False, server_default="major"))


def downgrade() -> None:

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("playbook")

    with op.batch_alter_table("incident_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_tasks_incident_id"))

    op.drop_table("incident_tasks")
    with op.batch_alter_table("incident_clock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_clock_incident_id"))
        batch_op.drop_index(batch_op.f("ix_incident_clock_fired_at"))
        batch_op.drop_index(batch_op.f("ix_incident_clock_due_at"))

    op.drop_table("incident_clock")
