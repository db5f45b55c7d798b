"""What the state machine's tests share: a SQLite store of their own and the counting simulated WeChat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.database import create_schema, make_engine, session_factory
from bot.store.request_store import RequestStore
from tests.rollback.test_decisions import CountingWeChat


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RequestStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'rollback.db'}")
    create_schema(engine)
    yield RequestStore(session_factory(engine))
    engine.dispose()


@pytest.fixture
def wechat() -> CountingWeChat:
    return CountingWeChat()
