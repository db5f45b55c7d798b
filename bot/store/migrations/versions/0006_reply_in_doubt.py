"""A thread reply in doubt: sent, and its answer never came (a timeout, a reset, the bot stopped right after).

`posting_event_id` names the event whose reply was sent last without an answer recorded; before sending it again,
the delivery looks for it in the thread (each reply carries its event's id in its message metadata), so a reply is
neither posted twice nor lost.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("posting_event_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_column("posting_event_id")
