"""Nobody waits for an approver: approvals counted towards a two-person (or more) rule, and reminders.

A request now carries how many distinct approvers it needs (`approvals_required`, bound to it when it is made),
who approved so far (`approvals`, space-separated user IDs in order), who it pages (`paged`), the reminders
posted in its thread (`reminders`, `reminded_at`: a compare-and-set on `reminders` lets one replica send each)
and the user group the reminders escalated to (`escalated_to`). A request approved by an older bot counts its
approver as its one approval.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

requests = sa.table(
    "rollback_requests",
    sa.column("decided_by", sa.String()),
    sa.column("state", sa.String()),
    sa.column("policy_bypass", sa.Boolean()),
    sa.column("approvals", sa.Text()),
)
APPROVED_STATES = ("approving", "sending", "succeeded", "failed", "unknown")


def upgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("approvals_required", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("approvals", sa.Text(), server_default=sa.text("''"), nullable=False))
        batch.add_column(sa.Column("paged", sa.Text(), server_default=sa.text("''"), nullable=False))
        batch.add_column(sa.Column("reminders", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_to", sa.String(32), nullable=True))
    op.execute(
        requests.update()
        .where(
            requests.c.decided_by.is_not(None),
            requests.c.state.in_(APPROVED_STATES),
            requests.c.policy_bypass.is_not(True),
        )
        .values(approvals=requests.c.decided_by)
    )


def downgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        for name in ("escalated_to", "reminded_at", "reminders", "paged", "approvals", "approvals_required"):
            batch.drop_column(name)
