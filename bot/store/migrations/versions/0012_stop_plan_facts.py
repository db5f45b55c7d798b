"""A stop request's phased release kept as facts: `rollback_requests.target_plan_status` and
`target_plan_percentage`.

The plan's English summary stays on the record as it was shown (`target_user_desc`); its status and percentage
beside it let each reader be told in their own language without reading the English back. Rows from before keep
NULL (a backfill would no longer match what their audit events vouch for) and show their recorded words, as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("target_plan_status", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("target_plan_percentage", sa.Integer(), nullable=True))


def downgrade() -> None:
    # The audit chain vouches for these facts: dropped, they could not come back, and `audit verify` would report
    # every such request as edited behind the bot's back once upgraded again.
    facts = "target_plan_status IS NOT NULL OR target_plan_percentage IS NOT NULL"
    kept = op.get_bind().execute(sa.text(f"SELECT COUNT(*) FROM rollback_requests WHERE {facts}")).scalar()
    if kept:
        raise RuntimeError(
            f"cannot downgrade below 0012: {kept} stop request(s) keep their phased release as facts, which the "
            "audit chain vouches for, and dropping them would break it"
        )
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_column("target_plan_percentage")
        batch.drop_column("target_plan_status")
