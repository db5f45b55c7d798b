"""WeChat tokens and rotated refresh tokens are sealed at rest with TOKEN_ENCRYPTION_KEY (Fernet): someone who
reads the database (a backup, a replica, a stolen dump) finds no usable token. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from bot.config import ConfigError, load_settings
from bot.store.database import session_factory
from bot.store.sealing import PREFIX, Sealer
from bot.store.token_store import StoredToken, TokenStore

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ACCESS = "access-token-" + "A" * 40
REFRESH = "refreshtoken@@@" + "R" * 40
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored(engine: Engine) -> list[str]:
    """Every token and credential value as the database holds it."""
    with engine.connect() as connection:
        tokens = connection.execute(text("SELECT access_token FROM wechat_tokens")).scalars().all()
        credentials = connection.execute(text("SELECT value FROM wechat_credentials")).scalars().all()
    return [value for value in (*tokens, *credentials) if value is not None]


def save(store: TokenStore, key: str = "wx_app") -> None:
    store.ensure(key)
    assert store.take_lease(key, "me", NOW, NOW + timedelta(seconds=30), rejected=None)
    store.save(key, "me", StoredToken(ACCESS, NOW + timedelta(hours=2), NOW + timedelta(hours=1)), NOW)
    store.put_credential(f"refresh:{key}", REFRESH, NOW)


def test_tokens_are_sealed_in_the_database_and_read_back(engine: Engine) -> None:
    store = TokenStore(session_factory(engine), Sealer(NEW_KEY))
    save(store)
    raw = stored(engine)
    assert len(raw) == 2 and all(value.startswith(PREFIX) for value in raw)
    assert not any(ACCESS in value or REFRESH in value for value in raw)
    token = store.get("wx_app")
    assert token is not None and token.value == ACCESS
    assert store.credential("refresh:wx_app") == REFRESH


def test_a_rejected_sealed_token_still_lets_one_replica_refresh(engine: Engine) -> None:
    store = TokenStore(session_factory(engine), Sealer(NEW_KEY))
    save(store)
    assert not store.take_lease("wx_app", "other", NOW, NOW + timedelta(seconds=30), rejected=None)  # still fresh
    assert store.take_lease("wx_app", "other", NOW, NOW + timedelta(seconds=30), rejected=ACCESS)
    assert not store.take_lease("wx_app", "third", NOW, NOW + timedelta(seconds=30), rejected=ACCESS)  # leased


def test_key_rotation_new_key_first_then_the_old_one_dropped(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    save(TokenStore(session_factory(engine), Sealer(OLD_KEY)))
    before = stored(engine)
    rotating = TokenStore(session_factory(engine), Sealer(f"{NEW_KEY},{OLD_KEY}"))
    assert rotating.credential("refresh:wx_app") == REFRESH  # both keys open
    assert rotating.reseal() == 2
    assert set(stored(engine)).isdisjoint(before)
    assert rotating.reseal() == 0  # done: nothing sealed under the old key any more
    rotated = TokenStore(session_factory(engine), Sealer(NEW_KEY))  # the old key dropped
    token = rotated.get("wx_app")
    assert token is not None and token.value == ACCESS and rotated.credential("refresh:wx_app") == REFRESH
    stale = TokenStore(session_factory(engine), Sealer(OLD_KEY))  # a replica left on the old key alone
    assert stale.get("wx_app") is None and stale.credential("refresh:wx_app") is None
    assert "cannot be opened with TOKEN_ENCRYPTION_KEY" in caplog.text
    assert ACCESS not in caplog.text and REFRESH not in caplog.text


def test_tokens_stored_before_a_key_was_set_are_sealed_by_the_next_start(engine: Engine) -> None:
    save(TokenStore(session_factory(engine)))
    assert sorted(stored(engine)) == sorted([ACCESS, REFRESH])  # in clear: what the issue found
    store = TokenStore(session_factory(engine), Sealer(NEW_KEY))
    assert store.credential("refresh:wx_app") == REFRESH  # still readable before the reseal
    assert store.reseal() == 2
    assert all(value.startswith(PREFIX) and ACCESS not in value for value in stored(engine))
    token = store.get("wx_app")
    assert token is not None and token.value == ACCESS


@pytest.mark.parametrize("keys", ["not-a-key", f"{NEW_KEY},short", " , "])
def test_a_malformed_key_is_refused_without_echoing_it(keys: str) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "signing-secret-value", "SANDBOX": "true"}
    env["TOKEN_ENCRYPTION_KEY"] = keys
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEY is malformed") as raised:
        load_settings(env)
    assert "not-a-key" not in str(raised.value) and NEW_KEY not in str(raised.value)


def test_the_keys_are_among_the_secrets_kept_out_of_logs() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "signing-secret-value",
        "SANDBOX": "true",
        "TOKEN_ENCRYPTION_KEY": f"{NEW_KEY}, {OLD_KEY}",
    }
    assert {NEW_KEY, OLD_KEY} <= set(load_settings(env).secrets())


def test_logging_at_debug_shows_no_token_while_sealing(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    save(TokenStore(session_factory(engine), Sealer(NEW_KEY)))
    assert ACCESS not in caplog.text and REFRESH not in caplog.text
