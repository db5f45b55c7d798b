"""The shared token cache: one fetch per token lifetime however many replicas ask, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from bot.store.database import session_factory
from bot.store.sealing import Sealer
from bot.store.token_store import TokenStore
from bot.wechat.errors import Unavailable, WeChatUnavailable
from bot.wechat.tokens.fetchers import FetchedToken
from bot.wechat.tokens.shared import REFRESH_MARGIN, SharedTokenCache


class CountingFetcher:
    """A token source that counts how often it is asked: the thing under test is the cache around it."""

    key = "counting:wx_app"

    def __init__(self, fail: bool = False) -> None:
        self.fetches: list[str | None] = []
        self.fail = fail
        self.lifetime = 7200
        self.lock = threading.Lock()

    def fetch(self, rejected: str | None) -> FetchedToken:
        with self.lock:
            if self.fail:
                raise WeChatUnavailable(Unavailable.HTTP_STATUS, status=503)  # the token endpoint is down
            self.fetches.append(rejected)
            return FetchedToken(f"token-{len(self.fetches)}", self.lifetime)


class MovableClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["clear", "sealed"])
def store(engine: Engine, request: pytest.FixtureRequest) -> TokenStore:
    """Tokens stored as they are, and sealed (ciphertext differs on each save: the lease compares what is stored)."""
    sealer = Sealer(Fernet.generate_key().decode()) if request.param == "sealed" else None
    return TokenStore(session_factory(engine), sealer)


def test_replicas_racing_for_a_token_fetch_it_once(store: TokenStore) -> None:
    fetcher = CountingFetcher()
    replicas = [SharedTokenCache(fetcher, store, clock=lambda: datetime.now(UTC)) for _ in range(4)]
    barrier = threading.Barrier(16)
    seen: list[str] = []

    def ask(cache: SharedTokenCache) -> None:
        barrier.wait()
        seen.append(cache.token())

    threads = [threading.Thread(target=ask, args=(replicas[n % 4],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fetcher.fetches == [None]
    assert set(seen) == {"token-1"}
    assert store.fetch_count(fetcher.key) == 1


def test_refused_token_is_replaced_once_across_replicas(store: TokenStore) -> None:
    fetcher = CountingFetcher()
    first, second = (SharedTokenCache(fetcher, store, clock=lambda: datetime.now(UTC)) for _ in range(2))
    refused = first.token()
    assert first.replace(refused) == "token-2"
    assert second.replace(refused) == "token-2"  # already replaced by the other replica: no second fetch
    assert fetcher.fetches == [None, "token-1"]


def test_token_is_refreshed_before_it_expires(store: TokenStore) -> None:
    clock = MovableClock()
    fetcher = CountingFetcher()
    cache = SharedTokenCache(fetcher, store, clock=clock)
    assert cache.token() == "token-1"
    clock.now += timedelta(seconds=7200) - REFRESH_MARGIN - timedelta(seconds=1)
    assert cache.token() == "token-1"
    clock.now += timedelta(seconds=2)
    assert cache.token() == "token-2"


def test_a_failed_fetch_releases_the_lease(store: TokenStore) -> None:
    fetcher = CountingFetcher(fail=True)
    cache = SharedTokenCache(fetcher, store, clock=lambda: datetime.now(UTC))
    with pytest.raises(WeChatUnavailable):
        cache.token()
    fetcher.fail = False
    assert cache.token() == "token-1"  # not blocked for the lease's 30 seconds


def test_short_lived_tokens_are_reused_for_half_their_life(store: TokenStore) -> None:
    clock = MovableClock()
    fetcher = CountingFetcher()
    fetcher.lifetime = 300
    cache = SharedTokenCache(fetcher, store, clock=clock)
    assert cache.token() == cache.token() == "token-1"
    clock.now += timedelta(seconds=151)
    assert cache.token() == "token-2"


class CountingStore(TokenStore):
    """The real store, counting how often the cache reads it."""

    def __init__(self, store: TokenStore) -> None:
        super().__init__(store._sessions)
        self.reads = 0

    def get(self, key: str):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().get(key)


def test_threads_of_one_replica_wait_in_memory_not_on_the_database(store: TokenStore) -> None:
    counting = CountingStore(store)
    fetcher = CountingFetcher()
    cache = SharedTokenCache(fetcher, counting, clock=lambda: datetime.now(UTC))
    barrier = threading.Barrier(30)
    replaced: list[str] = []

    def ask() -> None:
        barrier.wait()
        cache.token()
        replaced.append(cache.replace("token-1"))  # 30 threads refused the same token at once

    threads = [threading.Thread(target=ask) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fetcher.fetches == [None, "token-1"]
    assert replaced == ["token-2"] * 30
    assert counting.reads == 2  # one look for each fetch: the other threads found the token in memory
