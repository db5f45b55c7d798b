"""The request's audited fields in the audit chain: each event carries them as they stand after it.

`rollback_events.request_state` holds the canonical JSON of what `history`, `status`, App Home and the export
show about the event's request (its requester, its state, who decided, whether by break-glass...), as written in
the same transaction as the event; the event's hash covers it, and `audit verify` checks every request row
against the newest of its events. Events written before this revision have none (NULL) and keep their hashes.

Revision ID: 0008
Revises: 0006 (the lead re-chains it after 0007 when merging)
Create Date: 2026-12-06 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rollback_events") as batch:
        batch.add_column(sa.Column("request_state", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rollback_events") as batch:
        batch.drop_column("request_state")
