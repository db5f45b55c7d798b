"""The delivery lease on both databases: its end is its holder's token, so a holder that outlived it (a long
stall) neither frees the lease of the replica that took over nor records what that replica did not show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from bot.rollback.model import Event, EventKind, NewRequest, Target
from bot.store.database import session_factory
from bot.store.delivery_store import DeliveryStore
from bot.store.request_store import RequestStore
from tests.support.factories import T0

LEASE = timedelta(seconds=60)


def _posted_request(engine: Engine) -> tuple[int, DeliveryStore]:
    sessions = session_factory(engine)
    requests = RequestStore(sessions)
    new = NewRequest("wx_app", "C1", "UALICE", "broken", "1.2.0", Target(101, "1.1.0", "stable", 1), T0, T0)
    request = requests.create(new, Event(EventKind.REQUESTED, "UALICE", T0))
    requests.attach_message(request.id, "C1", "1700000000.000100")
    return request.id, DeliveryStore(sessions)


def test_a_lapsed_holder_can_neither_free_nor_use_the_lease_another_replica_took(engine: Engine) -> None:
    request_id, store = _posted_request(engine)
    a_held = T0 + LEASE
    assert store.claim(request_id, T0, a_held)  # replica A; then A stalls for 61 s
    b_at = T0 + timedelta(seconds=61)
    b_held = b_at + LEASE
    assert store.claim(request_id, b_at, b_held)  # replica B takes over
    behind = store.behind_for(request_id)
    assert behind is not None
    event_id = behind.unposted[0][0]

    assert not store.renew(request_id, a_held, a_held + LEASE)  # A wakes: it may not send anything more
    assert not store.posted(request_id, event_id, a_held)  # nor record a reply as its own
    assert not store.shown(request_id, behind.revision, a_held)
    store.release(request_id, a_held)  # nor free B's lease
    assert not store.claim(request_id, b_at + timedelta(seconds=1), b_at + timedelta(seconds=1) + LEASE)

    assert store.posted(request_id, event_id, b_held)  # B records what it posted, and lets go
    store.release(request_id, b_held)
    assert store.behind_for(request_id) is None
    assert store.claim(request_id, b_at + timedelta(seconds=2), b_at + timedelta(seconds=2) + LEASE)


def test_a_deferred_request_waits_for_its_time_then_any_replica_takes_it(engine: Engine) -> None:
    request_id, store = _posted_request(engine)
    held = T0 + LEASE
    assert store.claim(request_id, T0, held)
    store.defer(request_id, held, T0 + timedelta(seconds=30))  # Slack said Retry-After: 30
    assert store.behind(T0 + timedelta(seconds=29)) == []
    assert not store.claim(request_id, T0 + timedelta(seconds=29), T0 + timedelta(seconds=89))
    assert store.behind(T0 + timedelta(seconds=31)) == [request_id]
    assert store.claim(request_id, T0 + timedelta(seconds=31), T0 + timedelta(seconds=91))
