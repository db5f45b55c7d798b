"""The audit log: `rollback_events`, append-only and hash-chained, and its check (the export is `bot.store.export`).

Each event row carries `prev_hash`, the hash of the row before it in the chain (64 zeros for the first), and
`hash = sha256(prev_hash + canonical JSON of its content)`, the content being its id, request_id, kind, actor_id,
at (ISO-8601 UTC, microseconds), appid, app_version, detail, errcode and errmsg, and since migration 0008 its
request's audited fields (`request_state`, see `bot.store.request_audit`): keys sorted, no spaces, non-ASCII
escaped. Each row links to the previous row's hash, not to the previous id: ids may skip (PostgreSQL's sequence
keeps an id a failed transaction took), but editing, deleting, inserting or reordering rows breaks a link that
`bot.store.audit_check.verify` finds. A rewrite of the whole chain is found by comparing its head with one kept
elsewhere (anchoring: `verify(expect_head=...)`).

Appends are serialized through the one row of `audit_chain_head`, locked first by every append in the caller's
transaction, so the chain never forks however many threads and replicas write (and a unique index on
`prev_hash` refuses a fork outright). The hashing below is frozen: migration 0002 has a copy of it for the
backfill, and changing either makes every existing database fail verification.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, text, update
from sqlalchemy.orm import Session

from bot.store.models import AuditChainHeadRow, EventRow, RequestRow
from bot.store.request_audit import request_state

GENESIS = "0" * 64
HEAD_ID = 1
CONTENT_FIELDS = (
    "id",
    "request_id",
    "kind",
    "actor_id",
    "at",
    "appid",
    "app_version",
    "detail",
    "errcode",
    "errmsg",
)


class AuditChainError(RuntimeError):
    """The audit chain cannot be appended to (its head row is missing)."""


# --- hashing (frozen: see the module docstring)


def timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit event")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Mapping[Any, Any]) -> str:
    """The canonical JSON of an event's content fields (and its request's state, when it has one)."""
    content = {name: values[name] for name in CONTENT_FIELDS}
    content["at"] = timestamp(content["at"])
    if values.get("request_state") is not None:  # absent from events written before migration 0008
        content["request_state"] = values["request_state"]
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev_hash: str, values: Mapping[Any, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(values)).encode("ascii")).hexdigest()


# --- appending


def append_event(session: Session, row: EventRow, request: RequestRow | None) -> EventRow:
    """Add `row` at the end of the chain, in the caller's transaction (which commits it with its state change),
    with `request`'s audited fields as they stand now (after the change the event records); None for an event
    of no request (a change seen outside the bot).

    The head is locked before anything else is read, so the hash of the row before cannot change until commit.
    """
    locked = session.execute(
        update(AuditChainHeadRow)
        .where(AuditChainHeadRow.id == HEAD_ID)
        .values(last_id=AuditChainHeadRow.last_id)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(locked, CursorResult)
    if locked.rowcount != 1:
        raise AuditChainError(
            "the audit chain head (table audit_chain_head, id 1) is missing: the database was not made by the "
            "bot's migrations (python -m bot.store.migrate), or the row was deleted"
        )
    prev_hash = session.execute(select(AuditChainHeadRow.last_hash).where(AuditChainHeadRow.id == HEAD_ID)).scalar_one()
    row.id = _next_event_id(session)
    row.prev_hash = prev_hash
    row.request_state = request_state(request) if request is not None else None
    row.hash = entry_hash(prev_hash, {name: getattr(row, name) for name in (*CONTENT_FIELDS, "request_state")})
    session.add(row)
    session.flush()
    session.execute(
        update(AuditChainHeadRow)
        .where(AuditChainHeadRow.id == HEAD_ID)
        .values(last_id=row.id, last_hash=row.hash)
        .execution_options(synchronize_session=False)
    )
    return row


def _next_event_id(session: Session) -> int:
    """The id the database gives the next event, taken before the insert because the hash covers it.

    PostgreSQL: the column's own sequence. SQLite (an INTEGER PRIMARY KEY without AUTOINCREMENT): the largest id
    plus one, which is SQLite's own rule, read under the write lock the head update took.
    """
    if session.get_bind().dialect.name == "postgresql":
        return int(
            session.execute(text("SELECT nextval(pg_get_serial_sequence('rollback_events', 'id'))")).scalar_one()
        )
    return int(session.execute(select(func.coalesce(func.max(EventRow.id), 0) + 1)).scalar_one())
