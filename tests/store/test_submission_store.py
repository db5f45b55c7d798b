"""Modal submissions acted on, remembered in the database: one wins however many replicas race, on SQLite and
PostgreSQL; rows past any replay window are pruned."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from bot.store.database import make_engine, session_factory
from bot.store.models import ViewSubmissionRow
from bot.store.submission_store import KEPT_FOR, SubmissionStore

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_the_same_view_is_first_once_and_another_hash_is_new(engine: Engine) -> None:
    store = SubmissionStore(session_factory(engine))
    assert store.first("V1", "h1", NOW)
    assert not store.first("V1", "h1", NOW)
    assert store.first("V1", "h2", NOW)  # the view was updated since: a new submission
    assert store.first("V2", "h1", NOW)


def test_replicas_racing_on_one_submission_let_one_act(engine: Engine, database_url: str) -> None:
    replicas = [make_engine(database_url) for _ in range(2)]
    try:
        stores = [SubmissionStore(session_factory(replica)) for replica in replicas]
        barrier = threading.Barrier(8)
        results: list[bool] = []

        def submit(n: int) -> None:
            barrier.wait()
            results.append(stores[n % 2].first("VRACE", "hash", NOW))

        threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(results) == [False] * 7 + [True]
    finally:
        for replica in replicas:
            replica.dispose()


def test_old_rows_are_pruned(engine: Engine) -> None:
    store = SubmissionStore(session_factory(engine))
    assert store.first("VOLD", "h", NOW - KEPT_FOR - timedelta(seconds=1))
    assert store.first("VNEW", "h", NOW)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ViewSubmissionRow)) == 1
