"""Delivery to Slack as durable work: what the channel shows is tracked against what the database knows.

`revision` counts a request's state changes and `shown_revision` is the one its channel message shows;
`last_event_id` is its newest event and `posted_through` the newest one posted in its thread. A request whose
message or thread is behind is delivered again by whichever replica gets to it (`delivery_until`: one at a time).
Every request an older bot made counts as delivered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

requests = sa.table(
    "rollback_requests",
    sa.column("id", sa.Integer()),
    sa.column("last_event_id", sa.Integer()),
    sa.column("posted_through", sa.Integer()),
)
events = sa.table("rollback_events", sa.column("id", sa.Integer()), sa.column("request_id", sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        for name in ("revision", "shown_revision", "last_event_id", "posted_through"):
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("delivery_until", sa.DateTime(timezone=True), nullable=True))
    newest = (
        sa.select(sa.func.coalesce(sa.func.max(events.c.id), 0))
        .where(events.c.request_id == requests.c.id)
        .scalar_subquery()
    )
    op.execute(requests.update().values(last_event_id=newest, posted_through=newest))


def downgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        for name in ("delivery_until", "posted_through", "last_event_id", "shown_revision", "revision"):
            batch.drop_column(name)
