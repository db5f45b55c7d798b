"""The version watch's notices, each a row of its own: posted once, whatever Slack does.

`watch_notices` holds each change seen outside the bot that is to be posted in the notify channel, in order. A
replica claims a notice (a compare-and-set on `claim_owner` / `claim_until`) before posting it, and marks it
`in_doubt` right before the call: a post whose answer never came back (or whose replica stalled past its claim) is
looked up in the channel by its metadata before anyone posts it again. A notice Slack refuses is retried later
(`next_attempt_at`, `failures`, `last_error`) and given up after a day (`given_up_at`); meanwhile the watch keeps
reading WeChat. A notice left in `release_watch.notice` by an older bot is moved here; that column is no longer
used.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appid", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_doubt", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_owner", sa.String(64), nullable=True),
        sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watch_notices_appid", "watch_notices", ["appid", "id"])
    op.execute(
        "INSERT INTO watch_notices (appid, text, seen_at) "
        "SELECT appid, notice, COALESCE(last_change_at, checked_at, CURRENT_TIMESTAMP) FROM release_watch "
        "WHERE notice IS NOT NULL"
    )
    op.execute("UPDATE release_watch SET notice = NULL")


def downgrade() -> None:
    # The older bot keeps one notice per mini program: the oldest one not posted yet.
    op.execute(
        "UPDATE release_watch SET notice = (SELECT w.text FROM watch_notices w WHERE w.appid = release_watch.appid "
        "AND w.posted_at IS NULL AND w.given_up_at IS NULL ORDER BY w.id LIMIT 1)"
    )
    op.drop_index("ix_watch_notices_appid", table_name="watch_notices")
    op.drop_table("watch_notices")
