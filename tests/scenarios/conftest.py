"""Every scenario that ran the bot on a database leaves an audit chain `audit verify` finds intact: requests,
approvals, outcomes, replicas killed or paused mid-step, failed transactions (PostgreSQL ids that skip) — none of
them may look like tampering."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import inspect

from bot.store import audit_check
from bot.store.database import make_engine


@pytest.fixture(autouse=True)
def audit_chain_stays_intact(request: pytest.FixtureRequest) -> Iterator[None]:
    if "database_url" not in request.fixturenames or "engine" in request.fixturenames:
        yield  # no bot database here, or a test that tampers on purpose
        return
    url = str(request.getfixturevalue("database_url"))  # taken now: the database outlives this fixture
    yield
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("rollback_events"):
            return  # the bot never started (its set-up failed): nothing was recorded to check
        report = audit_check.verify(engine)
    finally:
        engine.dispose()
    assert report.ok, f"audit verify raised an alarm after the scenario: {report.problem}"
