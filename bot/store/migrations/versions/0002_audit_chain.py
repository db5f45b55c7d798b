"""Audit chain: `rollback_events` rows hash-chained, and the one-row head that serializes appends.

Adds `prev_hash` and `hash` to every event, backfilled in id order so an existing log verifies, then makes them
required; a unique index on `prev_hash` forbids a fork. `audit_chain_head` (id 1) names the newest row.

The hashing is a copy of `bot.store.audit` as it was written (a migration must not import the bot's modules,
which change): sha256 over the previous hash and the canonical JSON of the row's content.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02 00:00:00
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
CONTENT_FIELDS = ("id", "request_id", "kind", "actor_id", "at", "appid", "app_version", "detail", "errcode", "errmsg")
BATCH = 1000

events = sa.table(
    "rollback_events",
    sa.column("id", sa.Integer()),
    sa.column("request_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("actor_id", sa.String()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("appid", sa.String()),
    sa.column("app_version", sa.Integer()),
    sa.column("detail", sa.Text()),
    sa.column("errcode", sa.Integer()),
    sa.column("errmsg", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
head = sa.table(
    "audit_chain_head",
    sa.column("id", sa.Integer()),
    sa.column("last_id", sa.Integer()),
    sa.column("last_hash", sa.String()),
)


def _entry_hash(prev_hash: str, row: Mapping[Any, Any]) -> str:
    content = {name: row[name] for name in CONTENT_FIELDS}
    at: datetime = content["at"]
    # SQLite gives back the UTC wall time without a zone; PostgreSQL an aware time.
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    content["at"] = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((prev_hash + canonical).encode("ascii")).hexdigest()


def _backfill(connection: sa.Connection) -> tuple[int | None, str]:
    """Chain the existing rows in id order; returns the newest row's id and hash."""
    last_id: int | None = None
    last_hash = GENESIS
    columns = [events.c[name] for name in CONTENT_FIELDS]
    while True:
        query = sa.select(*columns).order_by(events.c.id).limit(BATCH)
        if last_id is not None:
            query = query.where(events.c.id > last_id)
        rows = connection.execute(query).mappings().all()
        if not rows:
            return last_id, last_hash
        updates = []
        for row in rows:
            digest = _entry_hash(last_hash, row)
            updates.append({"row_id": row["id"], "prev_hash": last_hash, "hash": digest})
            last_id, last_hash = row["id"], digest
        connection.execute(
            events.update()
            .where(events.c.id == sa.bindparam("row_id"))
            .values(prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")),
            updates,
        )


def upgrade() -> None:
    with op.batch_alter_table("rollback_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_head_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )

    connection = op.get_bind()
    last_id, last_hash = _backfill(connection)
    connection.execute(head.insert().values(id=1, last_id=last_id, last_hash=last_hash))

    with op.batch_alter_table("rollback_events", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("uq_rollback_events_prev_hash", ["prev_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("rollback_events", schema=None) as batch_op:
        batch_op.drop_index("uq_rollback_events_prev_hash")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")

    op.drop_table("audit_chain_head")
