"""The audit log's check: walk `rollback_events` in id order from one snapshot and report the first broken link,
then that each request's row still matches what its events vouch for: each audited field as the newest event
that recorded it left it (the chain itself and its appends are `bot.store.audit`)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select

from bot.store.audit import CONTENT_FIELDS, GENESIS, HEAD_ID, entry_hash
from bot.store.database import read_snapshot
from bot.store.models import AuditChainHeadRow, EventRow, RequestRow
from bot.store.request_audit import AUDITED_FIELDS, differences


class Broken(StrEnum):
    """How the record stopped holding, as a fact (`Problem.facts` holds its numbers): the CLI words it."""

    HEAD_ROW_MISSING = "head_row_missing"
    ANCHOR_MISSING = "anchor_missing"  # facts: head
    NOT_FIRST = "not_first"
    ROWS_MISSING = "rows_missing"  # facts: first, last (the rows missing), previous
    PREV_MISMATCH = "prev_mismatch"  # facts: prev, previous, hash
    EDITED = "edited"
    LOG_EMPTIED = "log_emptied"
    ROWS_AROUND_EMPTY = "rows_around_empty"
    NEWEST_DELETED = "newest_deleted"  # facts: last
    ROWS_APPENDED = "rows_appended"  # facts: head_row
    HEAD_REWRITTEN = "head_rewritten"
    REQUEST_UNCHAINED = "request_unchained"
    REQUEST_EDITED = "request_edited"  # facts: fields (the columns, as named), count


@dataclass(frozen=True)
class Problem:
    """The first broken link: the row (or request) where the record stops holding, and what is wrong there
    (`detail` in English, for logs; `cause` and `facts` for the reader's language)."""

    row_id: int | None  # the event row; with kind "request", the request's id
    kind: Literal["edited", "unlinked", "head", "anchor", "request"]
    detail: str
    cause: Broken | None = field(default=None, compare=False)
    facts: Mapping[str, str | int] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        if self.kind == "request":
            return f"request {self.row_id}: {self.detail}"
        where = f"row {self.row_id}" if self.row_id is not None else "audit chain head"
        return f"{where}: {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int  # rows walked (all of them when intact)
    head: str  # the hash of the newest row walked; GENESIS for an empty log
    problem: Problem | None = None
    requests: int = 0  # requests whose row matches what their events recorded
    unchecked: int = 0  # requests whose events all predate migration 0008 (nothing recorded to check them by)

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class _Walk:
    entries: int = 0
    head: str = GENESIS
    last_id: int | None = None
    anchored: bool = False  # the expected head was met
    # request id -> its recorded state: each field as the newest event that recorded it left it (an older replica,
    # running code from before a field was audited, records events without it, and leaves its column untouched)
    states: dict[int, dict[str, Any] | None] = field(default_factory=dict)


def verify(engine: Engine, expect_head: str | None = None) -> VerifyReport:
    """Walk the chain in id order, from one consistent snapshot, and report the first broken link; then check
    that it contains `expect_head` (a head kept elsewhere) and that every request row matches its newest event."""
    columns = [getattr(EventRow, name) for name in (*CONTENT_FIELDS, "request_state", "prev_hash", "hash")]
    walk = _Walk(anchored=expect_head in (None, GENESIS))
    with read_snapshot(engine) as connection:
        rows = connection.execution_options(yield_per=1000).execute(select(*columns).order_by(EventRow.id))
        problem = _walk((row._mapping for row in rows), walk, expect_head)
        rows.close()
        if problem is not None:
            return VerifyReport(walk.entries, walk.head, problem)
        head = connection.execute(
            select(AuditChainHeadRow.last_id, AuditChainHeadRow.last_hash).where(AuditChainHeadRow.id == HEAD_ID)
        ).first()
        if head is None:
            detail = "its row (table audit_chain_head, id 1) is missing"
            return VerifyReport(walk.entries, walk.head, Problem(None, "head", detail, Broken.HEAD_ROW_MISSING))
        problem = _check_head(walk, head.last_id, head.last_hash)
        if problem is None and not walk.anchored:
            assert expect_head is not None
            problem = Problem(
                None,
                "anchor",
                f"the chain does not contain the expected head {expect_head}: it was rewritten since that head "
                "was recorded, or the hash is from another database",
                Broken.ANCHOR_MISSING,
                {"head": expect_head},
            )
        if problem is not None:
            return VerifyReport(walk.entries, walk.head, problem)
        return _check_requests(connection, walk)


def _walk(rows: Iterator[Mapping[Any, Any]], walk: _Walk, expect_head: str | None) -> Problem | None:
    """Follow the links row by row; the first that does not hold. Ids may skip: only the hashes link rows."""
    for row in rows:
        row_id = int(row["id"])
        previous = walk.last_id
        if row["prev_hash"] != walk.head:
            cause, facts = Broken.NOT_FIRST, dict[str, str | int]()
            if previous is None:
                detail = "it does not start the chain (its prev_hash is not the genesis): rows before it were deleted"
            elif row_id != previous + 1:
                cause, facts = Broken.ROWS_MISSING, {"first": previous + 1, "last": row_id - 1, "previous": previous}
                detail = (
                    f"rows {_span(previous + 1, row_id - 1)} before it are missing and its prev_hash does not "
                    f"match the hash of row {previous}: rows were deleted"
                )
            else:
                cause, facts = Broken.PREV_MISMATCH, {"prev": row["prev_hash"][:12], "previous": previous}
                facts["hash"] = walk.head[:12]
                detail = (
                    f"its prev_hash {row['prev_hash'][:12]}… does not match the hash of row {previous} "
                    f"({walk.head[:12]}…): a row was deleted, inserted or moved here, or row {previous} was "
                    "rewritten"
                )
            return Problem(row_id, "unlinked", detail, cause, facts)
        if entry_hash(row["prev_hash"], row) != row["hash"]:
            detail = "its content does not match its hash: the row was edited or moved after it was written, or forged"
            return Problem(row_id, "edited", detail, Broken.EDITED)
        walk.head, walk.last_id = row["hash"], row_id
        walk.entries += 1
        walk.anchored = walk.anchored or row["hash"] == expect_head
        if row["request_id"] is not None:  # a change seen outside the bot belongs to no request
            request_id = int(row["request_id"])
            recorded = json.loads(row["request_state"]) if row["request_state"] else None  # None before 0008
            if isinstance(recorded, dict):
                walk.states[request_id] = {**(walk.states.get(request_id) or {}), **recorded}
            else:
                walk.states.setdefault(request_id, None)
    return None


def _check_head(walk: _Walk, head_id: int | None, head_hash: str) -> Problem | None:
    last_id = walk.last_id
    if head_id == last_id and head_hash == walk.head:
        return None
    if last_id is None:
        detail = f"the log is empty but its head records row {head_id}: every row was deleted"
        return Problem(head_id, "head", detail, Broken.LOG_EMPTIED)
    if head_id is None:
        detail = "the head records an empty log, yet rows exist: they were added around the chain"
        return Problem(last_id, "head", detail, Broken.ROWS_AROUND_EMPTY)
    if head_id > last_id:
        return Problem(
            head_id,
            "head",
            f"the head records row {head_id} as the newest, but the log ends at row {last_id}: the newest "
            f"rows were deleted",
            Broken.NEWEST_DELETED,
            {"last": last_id},
        )
    if head_id < last_id:
        return Problem(
            last_id,
            "head",
            f"the log goes on past row {head_id}, the newest the head records: rows were added around the chain",
            Broken.ROWS_APPENDED,
            {"head_row": head_id},
        )
    detail = "the head records a different hash for this row: it was rewritten"
    return Problem(last_id, "head", detail, Broken.HEAD_REWRITTEN)


def _check_requests(connection: Connection, walk: _Walk) -> VerifyReport:
    """Every request row against the state its newest event recorded: the first that differs is the problem."""
    checked = unchecked = 0
    columns = [RequestRow.id, *(getattr(RequestRow, name) for name in AUDITED_FIELDS)]
    for row in connection.execute(select(*columns).order_by(RequestRow.id)):
        if row.id not in walk.states:
            detail = "it has no event in the chain: it was added around the chain"
            problem = Problem(row.id, "request", detail, Broken.REQUEST_UNCHAINED)
            return VerifyReport(walk.entries, walk.head, problem, checked, unchecked)
        recorded = walk.states[row.id]
        if recorded is None:
            unchecked += 1
            continue
        changed = differences(recorded, row._mapping)
        if changed:
            detail = (
                f"{', '.join(changed)} {'differs' if len(changed) == 1 else 'differ'} from what its newest event "
                "recorded: the request row was edited behind the bot's back"
            )
            facts: dict[str, str | int] = {"fields": ", ".join(changed), "count": len(changed)}
            problem = Problem(row.id, "request", detail, Broken.REQUEST_EDITED, facts)
            return VerifyReport(walk.entries, walk.head, problem, checked, unchecked)
        checked += 1
    return VerifyReport(walk.entries, walk.head, None, checked, unchecked)


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first} to {last}"
