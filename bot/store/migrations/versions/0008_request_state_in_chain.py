"""The request's audited fields in the audit chain, and modal submissions acted on once.

Each event carries its request's audited fields as they stand after it.

`rollback_events.request_state` holds the canonical JSON of what `history`, `status`, App Home and the export
show about the event's request (its requester, its state, who decided, whether by break-glass...), as written in
the same transaction as the event; the event's hash covers it, and `audit verify` checks every request row
against the newest of its events. Events written before this revision have none (NULL) and keep their hashes.

`slack_view_submissions` remembers each modal submission the bot acted on (Slack's view id and hash), so a
replayed submission opens no second request.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rollback_events") as batch:
        batch.add_column(sa.Column("request_state", sa.Text(), nullable=True))
    op.create_table(
        "slack_view_submissions",
        sa.Column("view_id", sa.String(length=64), nullable=False),
        sa.Column("view_hash", sa.String(length=128), nullable=False),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("view_id", "view_hash"),
    )
    op.create_index("ix_slack_view_submissions_acted_at", "slack_view_submissions", ["acted_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_view_submissions_acted_at", table_name="slack_view_submissions")
    op.drop_table("slack_view_submissions")
    with op.batch_alter_table("rollback_events") as batch:
        batch.drop_column("request_state")
