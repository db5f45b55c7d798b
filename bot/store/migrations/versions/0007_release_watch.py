"""Release awareness: a second kind of request, and the version watch.

A request now says what it asks WeChat for (`kind`: `rollback`, or `stop_gray` for stopping a phased release);
every existing request is a rollback. `release_watch` keeps, per mini program, what the version watch last saw
(online version, phased-release plan), the last change with its time, a change not yet posted, and the lease
that lets one replica at a time read WeChat for it. An event may now concern no request (`request_id` NULL): a
change made outside the bot, recorded in the audit chain like every step.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), server_default=sa.text("'rollback'"), nullable=False))
    with op.batch_alter_table("rollback_events") as batch:
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "release_watch",
        sa.Column("appid", sa.String(64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("online_version", sa.String(64), nullable=True),
        sa.Column("online_time", sa.Integer(), nullable=True),
        sa.Column("gray_status", sa.Integer(), server_default="0", nullable=False),
        sa.Column("gray_percentage", sa.Integer(), server_default="0", nullable=False),
        sa.Column("gray_created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_change", sa.Text(), nullable=True),
        sa.Column("last_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice", sa.Text(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("appid"),
    )


def downgrade() -> None:
    # The audit chain is append-only: its entries for changes seen outside the bot cannot be dropped to go back.
    seen = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM rollback_events WHERE request_id IS NULL")).scalar()
    if seen:
        raise RuntimeError(
            f"cannot downgrade below 0007: the audit chain records {seen} change(s) seen outside the bot, and "
            "deleting them would break it"
        )
    op.drop_table("release_watch")
    with op.batch_alter_table("rollback_events") as batch:
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_column("kind")
