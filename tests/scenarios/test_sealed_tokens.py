"""The running bot seals the WeChat access tokens it stores when TOKEN_ENCRYPTION_KEY is set, and says once at
start-up when it is not."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.store.database import make_engine
from bot.store.sealing import PREFIX
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import open_picker
from tests.support.harness import Clock, RunningBot, bot_env

UNSEALED = "TOKEN_ENCRYPTION_KEY is not set"


def stored_tokens(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT access_token FROM wechat_tokens")).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def sealed_env(slack: FakeSlack, wechat: FakeWeChat, database_url: str) -> dict[str, str]:
    return bot_env(slack, wechat, database_url, TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode())


def test_with_a_key_the_stored_token_is_sealed(
    sealed_env: dict[str, str],
    slack: FakeSlack,
    wechat: FakeWeChat,
    database_url: str,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = RunningBot(sealed_env, slack, clock)
    try:
        open_picker(bot, slack)  # the first WeChat call fetches a token, and stores it
        tokens = stored_tokens(database_url)
        assert tokens and all(token.startswith(PREFIX) for token in tokens)
        assert not any(wechat.issued(token) for token in tokens)
        assert not any(wechat.issued(token.removeprefix(PREFIX)) for token in tokens)
        open_picker(bot, slack)  # read back and used
    finally:
        bot.stop()
    assert UNSEALED not in caplog.text


def test_without_a_key_start_up_warns_once(bot: RunningBot, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    open_picker(bot, slack)
    warnings = [r for r in caplog.get_records("setup") + caplog.records if UNSEALED in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
