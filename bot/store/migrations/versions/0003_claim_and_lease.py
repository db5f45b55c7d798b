"""Claim first, fence the send, verify after: `executing` splits into `approving` and `sending`.

A request now carries the process that claimed its approval (`owner`) and how long that claim holds
(`lease_until`); only the owner sends the rollback, and only while its lease holds. `recheck_at` and `rechecks`
schedule the reads of the online version that settle an outcome after WeChat's answer.

A request an older bot left `executing` becomes `sending` when WeChat may have been asked (a `wechat_called`
event exists), `approving` otherwise, with a lease that runs out 30 minutes after its approval: longer than an
older replica still running during the upgrade could take to finish it, so none is settled under its feet (and
a settling replica reads the online version whenever `wechat_called` was recorded). A check constraint on the
state names then refuses the old `executing`, so an older replica cannot approve anything once this has run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_LEASE = timedelta(minutes=30)
requests = sa.table(
    "rollback_requests",
    sa.column("id", sa.Integer()),
    sa.column("state", sa.String()),
    sa.column("decided_at", sa.DateTime(timezone=True)),
    sa.column("lease_until", sa.DateTime(timezone=True)),
)
events = sa.table("rollback_events", sa.column("request_id", sa.Integer()), sa.column("kind", sa.String()))
OLD_OPEN = sa.text("state IN ('pending', 'executing')")
OPEN = sa.text("state IN ('pending', 'approving', 'sending')")
STATES = sa.text(
    "state IN ('pending', 'approving', 'sending', 'succeeded', 'failed', 'unknown', 'rejected', 'cancelled', 'expired')"
)


def upgrade() -> None:
    # The partial index goes first: SQLite's batch mode would copy it over the old state names.
    op.drop_index("uq_rollback_requests_one_open", table_name="rollback_requests")
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recheck_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rechecks", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_rollback_requests_recheck_at", "rollback_requests", ["recheck_at"], unique=False)
    bind = op.get_bind()
    asked = sa.exists().where(events.c.request_id == requests.c.id, events.c.kind == "wechat_called")
    for request_id, was_asked, decided_at in bind.execute(
        sa.select(requests.c.id, asked, requests.c.decided_at).where(requests.c.state == "executing")
    ):
        bind.execute(
            requests.update()
            .where(requests.c.id == request_id)
            .values(
                state="sending" if was_asked else "approving",
                lease_until=(decided_at or datetime.now(UTC)) + LEGACY_LEASE,
            )
        )
    with op.batch_alter_table("rollback_requests") as batch:
        batch.create_check_constraint("ck_rollback_requests_state", STATES)
    op.create_index(
        "uq_rollback_requests_one_open",
        "rollback_requests",
        ["appid"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_constraint("ck_rollback_requests_state", type_="check")
    op.drop_index("uq_rollback_requests_one_open", table_name="rollback_requests")
    op.execute("UPDATE rollback_requests SET state = 'executing' WHERE state IN ('approving', 'sending')")
    op.create_index(
        "uq_rollback_requests_one_open",
        "rollback_requests",
        ["appid"],
        unique=True,
        sqlite_where=OLD_OPEN,
        postgresql_where=OLD_OPEN,
    )
    op.drop_index("ix_rollback_requests_recheck_at", table_name="rollback_requests")
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_column("rechecks")
        batch.drop_column("recheck_at")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
