"""The store's compare-and-set, on SQLite and on PostgreSQL, under real concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.rollback.model import Event, EventKind, NewRequest, State, Target
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from tests.support.factories import T0


@pytest.fixture
def store(engine: Engine) -> RequestStore:
    return RequestStore(session_factory(engine))


def _new(store: RequestStore) -> int:
    request = store.create(
        NewRequest(
            appid="wx_app",
            channel_id="C1",
            requester_id="UALICE",
            reason="broken",
            online_version="1.2.0",
            target=Target(101, "1.1.0", "stable", 1_700_000_000),
            created_at=T0,
            expires_at=T0 + timedelta(minutes=15),
        ),
        Event(EventKind.REQUESTED, "UALICE", T0),
    )
    return request.id


def test_round_trip_keeps_aware_utc_times(store: RequestStore) -> None:
    request = store.get(_new(store))
    assert request is not None
    assert request.created_at == T0 and request.created_at.tzinfo is not None
    assert request.expires_at - request.created_at == timedelta(minutes=15)
    assert request.state is State.PENDING
    assert [e.event.kind for e in store.events(request.id)] == [EventKind.REQUESTED]


def test_transition_is_compare_and_set(store: RequestStore) -> None:
    request_id = _new(store)
    approved = Event(EventKind.APPROVED, "UBOB", T0)
    assert store.transition(request_id, State.PENDING, State.SENDING, approved, decided_by="UBOB")
    assert not store.transition(request_id, State.PENDING, State.SENDING, approved, decided_by="UCAROL")
    request = store.get(request_id)
    assert request is not None and request.decided_by == "UBOB"
    assert [e.event.kind for e in store.events(request_id)] == [EventKind.REQUESTED, EventKind.APPROVED]


def test_transition_refuses_after_expiry(store: RequestStore) -> None:
    request_id = _new(store)
    late = T0 + timedelta(minutes=16)
    event = Event(EventKind.APPROVED, "UBOB", late)
    assert not store.transition(request_id, State.PENDING, State.SENDING, event, unexpired_at=late)


def test_concurrent_transitions_have_one_winner(store: RequestStore) -> None:
    request_id = _new(store)
    users = [f"U{n:03d}" for n in range(24)]
    barrier = threading.Barrier(len(users))
    wins: list[str] = []

    def race(user: str) -> None:
        barrier.wait()
        if store.transition(
            request_id, State.PENDING, State.SENDING, Event(EventKind.APPROVED, user, T0), decided_by=user
        ):
            wins.append(user)

    threads = [threading.Thread(target=race, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
    request = store.get(request_id)
    assert request is not None and request.decided_by == wins[0]
    assert [e.event.kind for e in store.events(request_id)].count(EventKind.APPROVED) == 1


def test_a_pool_with_no_free_connection_is_the_database_unavailable(engine: Engine) -> None:
    """Every pooled connection busy for the whole timeout (a stall, a storm): told as the database failing, not a
    crash, so the approver hears what is known."""
    from sqlalchemy import create_engine

    from bot.rollback.model import StoreUnavailable

    small = create_engine(engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    store = RequestStore(session_factory(small))
    try:
        held = small.connect()  # the only connection
        with pytest.raises(StoreUnavailable, match="no database connection became free"):
            store.get(1)
        held.close()
        assert store.get(1) is None  # and it answers again once one is free
    finally:
        small.dispose()
