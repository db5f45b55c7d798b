"""Facts beside the English words: what the version watch saw change, and why a request went stale.

The watch recorded a change only in English words (`release_watch.last_change`, `watch_notices.text`), and a
request withdrawn as stale only its English note; a reader of another language could not be told them in theirs.
Each now keeps the facts as JSON beside the words (bot/rollback/changes.py, staleness.py): `last_change_facts`,
`watch_notices.facts`, `rollback_requests.stale`. Rows written before keep their words only, shown as recorded.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("release_watch") as batch:
        batch.add_column(sa.Column("last_change_facts", sa.Text(), nullable=True))
    with op.batch_alter_table("watch_notices") as batch:
        batch.add_column(sa.Column("facts", sa.Text(), nullable=True))
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("stale", sa.Text(), nullable=True))


def downgrade() -> None:
    # The audit chain vouches for `stale` (bot/store/request_audit.py): dropped, it could not come back, and
    # `audit verify` would report every such request as edited behind the bot's back once upgraded again.
    kept = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM rollback_requests WHERE stale IS NOT NULL")).scalar()
    if kept:
        raise RuntimeError(
            f"cannot downgrade below 0010: {kept} request(s) keep why they went stale as facts, which the audit "
            "chain vouches for, and dropping them would break it"
        )
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_column("stale")
    with op.batch_alter_table("watch_notices") as batch:
        batch.drop_column("facts")
    with op.batch_alter_table("release_watch") as batch:
        batch.drop_column("last_change_facts")
