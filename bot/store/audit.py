"""The audit log: `rollback_events`, append-only and hash-chained, with its check and its export.

Each event row carries `prev_hash`, the hash of the row before it (64 zeros for the first), and
`hash = sha256(prev_hash + canonical JSON of its content)`, the content being its id, request_id, kind, actor_id,
at (ISO-8601 UTC, microseconds), appid, app_version, detail, errcode and errmsg: keys sorted, no spaces, non-ASCII
escaped. Editing, deleting, inserting or reordering rows breaks a link that `verify` finds.

Appends are serialized through the one row of `audit_chain_head`, locked first by every append in the caller's
transaction, so the chain never forks however many threads and replicas write (and a unique index on
`prev_hash` refuses a fork outright). The hashing below is frozen: migration 0002 has a copy of it for the
backfill, and changing either makes every existing database fail verification.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, CursorResult, Engine, func, select, text, update
from sqlalchemy.orm import Session

from bot.store.models import AuditChainHeadRow, EventRow, RequestRow

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
EXPORT_FIELDS = (
    "event_id",
    "at",
    "kind",
    "actor_id",
    "detail",
    "errcode",
    "errmsg",
    "request_id",
    "appid",
    "requester_id",
    "online_version",
    "target_user_version",
    "target_app_version",
    "state",
    "prev_hash",
    "hash",
)
Format = Literal["csv", "json"]


class AuditChainError(RuntimeError):
    """The audit chain cannot be appended to (its head row is missing)."""


# --- hashing (frozen: see the module docstring)


def timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit event")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Mapping[Any, Any]) -> str:
    """The canonical JSON of an event's content fields."""
    content = {name: values[name] for name in CONTENT_FIELDS}
    content["at"] = timestamp(content["at"])
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev_hash: str, values: Mapping[Any, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(values)).encode("ascii")).hexdigest()


# --- appending


def append_event(session: Session, row: EventRow) -> EventRow:
    """Add `row` at the end of the chain, in the caller's transaction (which commits it with its state change).

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
    row.hash = entry_hash(prev_hash, {name: getattr(row, name) for name in CONTENT_FIELDS})
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


# --- verifying


@dataclass(frozen=True)
class Problem:
    """The first broken link: the row where the chain stops holding, and what is wrong there."""

    row_id: int | None
    kind: Literal["edited", "unlinked", "id_gap", "head"]
    detail: str

    def __str__(self) -> str:
        where = f"row {self.row_id}" if self.row_id is not None else "audit chain head"
        return f"{where}: {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int  # rows walked (all of them when intact)
    head: str  # the hash of the newest row walked; GENESIS for an empty log
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(engine: Engine) -> VerifyReport:
    """Walk the chain in id order, from one consistent snapshot, and report the first broken link."""
    columns = [getattr(EventRow, name) for name in (*CONTENT_FIELDS, "prev_hash", "hash")]
    with _snapshot(engine) as connection:
        rows = connection.execution_options(yield_per=1000).execute(select(*columns).order_by(EventRow.id))
        report, last_id = _walk(row._mapping for row in rows)
        rows.close()
        if report.problem is not None:
            return report
        head = connection.execute(
            select(AuditChainHeadRow.last_id, AuditChainHeadRow.last_hash).where(AuditChainHeadRow.id == HEAD_ID)
        ).first()
    if head is None:
        return VerifyReport(
            report.entries, report.head, Problem(None, "head", "its row (table audit_chain_head, id 1) is missing")
        )
    return _check_head(report, last_id, head.last_id, head.last_hash)


def _walk(rows: Iterator[Mapping[Any, Any]]) -> tuple[VerifyReport, int | None]:
    """The report of the rows alone, and the id of the last row that holds."""
    expected = GENESIS
    previous: int | None = None
    entries = 0

    def stop(problem: Problem | None) -> tuple[VerifyReport, int | None]:
        return VerifyReport(entries, expected, problem), previous

    for row in rows:
        row_id = int(row["id"])
        gap = previous is not None and row_id != previous + 1
        if row["prev_hash"] != expected:
            if previous is None:
                detail = "it does not start the chain (its prev_hash is not the genesis): rows before it were deleted"
            elif gap:
                detail = (
                    f"rows {_span(previous + 1, row_id - 1)} before it are missing and its prev_hash does not "
                    f"match the hash of row {previous}: rows were deleted"
                )
            else:
                detail = (
                    f"its prev_hash {row['prev_hash'][:12]}… does not match the hash of row {previous} "
                    f"({expected[:12]}…): a row was deleted, inserted or moved here, or row {previous} was "
                    "rewritten"
                )
            return stop(Problem(row_id, "unlinked", detail))
        if gap:
            assert previous is not None
            detail = (
                f"ids {_span(previous + 1, row_id - 1)} are missing before it although it links to row {previous}: "
                "rows were deleted and the chain rewritten, or a transaction that reserved the id failed"
            )
            return stop(Problem(row_id, "id_gap", detail))
        if entry_hash(row["prev_hash"], row) != row["hash"]:
            detail = "its content does not match its hash: the row was edited or moved after it was written, or forged"
            return stop(Problem(row_id, "edited", detail))
        expected, previous = row["hash"], row_id
        entries += 1
    return stop(None)


def _check_head(report: VerifyReport, last_id: int | None, head_id: int | None, head_hash: str) -> VerifyReport:
    def broken(row_id: int | None, detail: str) -> VerifyReport:
        return VerifyReport(report.entries, report.head, Problem(row_id, "head", detail))

    if head_id == last_id and head_hash == report.head:
        return report
    if last_id is None:
        return broken(head_id, f"the log is empty but its head records row {head_id}: every row was deleted")
    if head_id is None:
        return broken(last_id, "the head records an empty log, yet rows exist: they were added around the chain")
    if head_id > last_id:
        return broken(
            head_id,
            f"the head records row {head_id} as the newest, but the log ends at row {last_id}: the newest "
            f"rows were deleted",
        )
    if head_id < last_id:
        return broken(
            last_id,
            f"the log goes on past row {head_id}, the newest the head records: rows were added around the chain",
        )
    return broken(last_id, "the head records a different hash for this row: it was rewritten")


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first} to {last}"


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: every statement sees the same committed state, so rows and head agree."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite":
            # pysqlite begins transactions only before writes: begin one so every read shares a snapshot.
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


# --- exporting


def export(engine: Engine, fmt: Format, since: datetime | None = None, appid: str | None = None) -> str:
    """Every event (at or after `since`, of `appid`) with its request's context (none for a change seen outside
    the bot), in id order: CSV or JSON."""
    return render(export_records(engine, since, appid), fmt)


def export_records(engine: Engine, since: datetime | None = None, appid: str | None = None) -> list[dict[str, Any]]:
    """The rows of `export`: EXPORT_FIELDS, `at` as ISO-8601 UTC; `state` is the request's state now."""
    query = (
        select(
            EventRow.id.label("event_id"),
            EventRow.at,
            EventRow.kind,
            EventRow.actor_id,
            EventRow.detail,
            EventRow.errcode,
            EventRow.errmsg,
            EventRow.request_id,
            EventRow.appid,
            RequestRow.requester_id,
            RequestRow.online_version,
            RequestRow.target_user_version,
            RequestRow.target_app_version,
            RequestRow.state,
            EventRow.prev_hash,
            EventRow.hash,
        )
        .outerjoin(RequestRow, RequestRow.id == EventRow.request_id)
        .order_by(EventRow.id)
    )
    if since is not None:
        query = query.where(EventRow.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    if appid is not None:
        query = query.where(EventRow.appid == appid)
    with _snapshot(engine) as connection:
        return [{**row._mapping, "at": timestamp(row.at)} for row in connection.execute(query)]


def render(records: list[dict[str, Any]], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}: expected csv or json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()
