"""The audit check across a rolling upgrade: an older replica, still running after a migration added an audited
column, records events whose request state lacks that column (it knows nothing of it). Its event leaves the
column as it was, so the check holds the column to the newest event that did record it, not to nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.rollback.model import Event, EventKind, NewRequest, RequestKind, State, Target
from bot.store import audit_check
from bot.store.audit import HEAD_ID, entry_hash
from bot.store.database import session_factory
from bot.store.models import AuditChainHeadRow, EventRow, RequestRow
from bot.store.request_audit import request_state
from bot.store.request_store import RequestStore
from tests.store.test_audit import sql
from tests.support.factories import T0

PLAN_FACTS = ("target_plan_status", "target_plan_percentage")  # revision 0012: unknown to an older bot


@pytest.fixture
def store(engine: Engine) -> RequestStore:
    return RequestStore(session_factory(engine))


def open_stop(store: RequestStore) -> int:
    plan = Target(0, "5% experiencer_first=False debuger_first=False", "running at 5%, started …", 1_700_000_000, 1, 5)
    new = NewRequest(
        "wx_app", "C1", "UALICE", "bad", "1.2.0", plan, T0, T0 + timedelta(minutes=15), kind=RequestKind.STOP_GRAY
    )
    return store.create(new, Event(EventKind.REQUESTED, "UALICE", T0)).id


def cancel_as_an_older_bot(engine: Engine, request_id: int) -> None:
    """What a replica of the code before 0012 writes when it cancels: the state change, and an event whose
    request state has every field it knows, in the same canonical form, and not the plan's facts."""
    with Session(engine) as session, session.begin():
        session.execute(update(AuditChainHeadRow).values(last_id=AuditChainHeadRow.last_id))
        prev_hash = session.execute(select(AuditChainHeadRow.last_hash)).scalar_one()
        session.execute(update(RequestRow).where(RequestRow.id == request_id).values(state=State.CANCELLED.value))
        row = session.get_one(RequestRow, request_id)
        known = {k: v for k, v in json.loads(request_state(row)).items() if k not in PLAN_FACTS}
        values = {
            "id": int(session.execute(select(EventRow.id).order_by(EventRow.id.desc())).scalars().first() or 0) + 1,
            "request_id": request_id,
            "kind": EventKind.CANCELLED.value,
            "actor_id": "UALICE",
            "at": T0 + timedelta(minutes=1),
            "appid": "wx_app",
            "app_version": 0,
            "detail": "",
            "errcode": None,
            "errmsg": None,
            "request_state": json.dumps(known, sort_keys=True, separators=(",", ":"), ensure_ascii=True),
        }
        digest = entry_hash(prev_hash, values)
        session.add(EventRow(**values, prev_hash=prev_hash, hash=digest))
        session.flush()
        session.execute(
            update(AuditChainHeadRow)
            .where(AuditChainHeadRow.id == HEAD_ID)
            .values(last_id=values["id"], last_hash=digest)
        )


def test_an_older_replicas_event_is_no_false_alarm(engine: Engine, store: RequestStore) -> None:
    request_id = open_stop(store)
    cancel_as_an_older_bot(engine, request_id)
    report = audit_check.verify(engine)
    assert report.ok and report.requests == 1, report.problem


def test_the_facts_an_older_replica_did_not_record_are_still_held_to_the_last_record(
    engine: Engine, store: RequestStore
) -> None:
    request_id = open_stop(store)
    cancel_as_an_older_bot(engine, request_id)
    sql(engine, "UPDATE rollback_requests SET target_plan_percentage = 50 WHERE id = :id", id=request_id)
    report = audit_check.verify(engine)
    assert report.problem is not None and report.problem.facts["fields"] == "target_plan_percentage", report
