"""Why a request was not sent, kept as facts: `rollback_requests.outcome_cause`.

The outcome's English words stay on the record as they were; the cause beside them (JSON: the cause and its data,
bot.rollback.model.OutcomeCause) lets each reader be told why in their own language. Rows from before keep NULL
and are told in general terms, as before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("outcome_cause", sa.Text(), nullable=True))


def downgrade() -> None:
    # The audit chain vouches for `outcome_cause` (bot/store/request_audit.py): dropped, it could not come back,
    # and `audit verify` would report every such request as edited behind the bot's back once upgraded again.
    where = "outcome_cause IS NOT NULL"
    kept = op.get_bind().execute(sa.text(f"SELECT COUNT(*) FROM rollback_requests WHERE {where}")).scalar()
    if kept:
        raise RuntimeError(
            f"cannot downgrade below 0011: {kept} request(s) keep why they were not sent as facts, which the audit "
            "chain vouches for, and dropping them would break it"
        )
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_column("outcome_cause")
