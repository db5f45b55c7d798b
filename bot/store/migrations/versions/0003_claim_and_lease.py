"""Claim first, fence the send, verify after: `executing` splits into `approving` and `sending`.

A request now carries the process that claimed its approval (`owner`) and how long that claim holds
(`lease_until`); only the owner sends the rollback, and only while its lease holds. `recheck_at` and `rechecks`
schedule the reads of the online version that settle an outcome after WeChat's answer.

A request an older bot left `executing` becomes `sending` when WeChat may have been asked (a `wechat_called`
event exists), `approving` otherwise, with a lease already run out, so the next sweep settles it as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_OPEN = sa.text("state IN ('pending', 'executing')")
OPEN = sa.text("state IN ('pending', 'approving', 'sending')")


def upgrade() -> None:
    # The partial index goes first: SQLite's batch mode would copy it over the old state names.
    op.drop_index("uq_rollback_requests_one_open", table_name="rollback_requests")
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recheck_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rechecks", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_rollback_requests_recheck_at", "rollback_requests", ["recheck_at"], unique=False)
    op.execute(
        "UPDATE rollback_requests SET state = CASE WHEN EXISTS (SELECT 1 FROM rollback_events e "
        "WHERE e.request_id = rollback_requests.id AND e.kind = 'wechat_called') THEN 'sending' ELSE 'approving' END, "
        "lease_until = decided_at WHERE state = 'executing'"
    )
    op.create_index(
        "uq_rollback_requests_one_open",
        "rollback_requests",
        ["appid"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
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
