"""Initial schema: rollback requests and their events, shared WeChat tokens and rotated credentials.

This is exactly what `Base.metadata.create_all` made before the bot had migrations, so a database made that way
is stamped at this revision instead of being migrated (see `bot.store.migrate`).

Every time column is `UTCDateTime` in the models: a Python-side conversion over `DateTime(timezone=True)`.
The models' defaults (`policy_bypass`, `fetch_count`, `detail`) are Python-side too: no server defaults here.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STATES = sa.text("state IN ('pending', 'executing')")


def upgrade() -> None:
    op.create_table(
        "rollback_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("requester_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("online_version", sa.String(length=64), nullable=True),
        sa.Column("target_app_version", sa.Integer(), nullable=False),
        sa.Column("target_user_version", sa.String(length=64), nullable=False),
        sa.Column("target_user_desc", sa.Text(), nullable=False),
        sa.Column("target_commit_time", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wechat_errcode", sa.Integer(), nullable=True),
        sa.Column("wechat_errmsg", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("policy_bypass", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rollback_requests_state", "rollback_requests", ["state"], unique=False)
    # At most one open request per mini program, for every replica: a partial unique index.
    op.create_index(
        "uq_rollback_requests_one_open",
        "rollback_requests",
        ["appid"],
        unique=True,
        sqlite_where=OPEN_STATES,
        postgresql_where=OPEN_STATES,
    )

    op.create_table(
        "rollback_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("app_version", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("errmsg", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["rollback_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rollback_events_request", "rollback_events", ["request_id", "id"], unique=False)

    op.create_table(
        "wechat_tokens",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetch_count", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )

    op.create_table(
        "wechat_credentials",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("wechat_credentials")
    op.drop_table("wechat_tokens")
    op.drop_index("ix_rollback_events_request", table_name="rollback_events")
    op.drop_table("rollback_events")
    op.drop_index("uq_rollback_requests_one_open", table_name="rollback_requests")
    op.drop_index("ix_rollback_requests_state", table_name="rollback_requests")
    op.drop_table("rollback_requests")
