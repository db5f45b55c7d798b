"""Start-up as an operator meets it: every failure one line naming the setting or service and what to do, and the
health endpoints answering before Slack is reached."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import make_url

from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy

PREFIX = "miniprogram-rollback: could not start: "


def _failed(env: dict[str, str], cwd: Path) -> str:
    """The one line a failed start-up prints (and that it exits 1, without a traceback)."""
    process = start_app(env, cwd)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    failures = [line for line in stderr.splitlines() if line.startswith("miniprogram-rollback:")]
    assert len(failures) == 1, stderr
    assert stderr.rstrip().endswith(failures[0])
    return failures[0]


@pytest.fixture
def silent_slack() -> Iterator[str]:
    """A Slack API URL whose server takes connections and never answers: Slack unreachable, as a firewall does."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(64)
        yield f"http://127.0.0.1:{listening.getsockname()[1]}/api/"


def test_slack_refusing_connections_is_one_line_naming_slack_api_url(
    slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    env = {**bot_env(slack, wechat, sqlite_url), "SLACK_API_URL": closed, "PORT": str(free_port())}
    assert _failed(env, tmp_path) == (
        f"{PREFIX}Slack did not answer at SLACK_API_URL {closed} ([Errno 111] Connection refused): check this "
        "host's network access to Slack (a proxy goes in HTTPS_PROXY) or SLACK_API_URL"
    )


def test_slack_refusing_the_bot_token_names_it(
    slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path
) -> None:
    env = {**bot_env(slack, wechat, sqlite_url), "SLACK_BOT_TOKEN": "xoxb-0-0-revoked0token", "PORT": str(free_port())}
    line = _failed(env, tmp_path)
    assert line.startswith(f"{PREFIX}Slack refused SLACK_BOT_TOKEN (invalid_auth): copy it again")
    assert "revoked0token" not in line


def test_an_unreachable_database_is_one_line_naming_database_url(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    url = f"postgresql+psycopg://rollback:hunter2-password@127.0.0.1:{free_port()}/rollback"
    line = _failed({**bot_env(slack, wechat, url), "PORT": str(free_port())}, tmp_path)
    assert line.startswith(f"{PREFIX}DATABASE_URL postgresql+psycopg://rollback:***@127.0.0.1:")
    assert "Connection refused" in line and line.endswith(
        "check that the database runs and is reachable from here, or DATABASE_URL (and DATABASE_TIMEOUT_SECONDS)"
    )
    assert "hunter2" not in line


def test_a_database_that_refuses_the_bot_says_to_check_the_user_and_database(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path, postgres_url: str
) -> None:
    """PostgreSQL answers, but the role does not exist: not "did not answer", which sends people after the network."""
    url = make_url(postgres_url).set(username="no_such_role_here", password=None).render_as_string(False)
    line = _failed({**bot_env(slack, wechat, url), "PORT": str(free_port())}, tmp_path)
    assert line.startswith(f"{PREFIX}DATABASE_URL {url}")
    assert "does not exist" in line and line.endswith("check the user, password and database name in it")


def test_a_sqlite_file_that_cannot_be_opened_says_so(slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-directory' / 'bot.db'}"
    assert _failed({**bot_env(slack, wechat, url), "PORT": str(free_port())}, tmp_path) == (
        f"{PREFIX}DATABASE_URL {url} cannot be opened (unable to open database file): check that its directory "
        "exists and is writable by this user"
    )


def test_a_missing_postgresql_driver_says_what_to_install(slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path) -> None:
    # psycopg hidden from this process, as on an install without the [postgres] extra
    hidden = tmp_path / "no-psycopg" / "psycopg"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    env = {
        **bot_env(slack, wechat, "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        "PYTHONPATH": str(hidden.parent),
        "PORT": str(free_port()),
    }
    assert _failed(env, tmp_path) == (
        f"{PREFIX}DATABASE_URL postgresql+psycopg://postgres@127.0.0.1:5432/postgres needs a database driver that is "
        "not installed (No module named 'psycopg'): pip install -e \".[postgres]\" (or 'psycopg[binary]') for "
        "PostgreSQL"
    )


def test_healthz_answers_before_slack_does_and_readyz_says_what_it_waits_for(
    silent_slack: str, slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {**bot_env(slack, wechat, sqlite_url), "SLACK_API_URL": silent_slack, "PORT": str(port)}
    process = start_app(env, tmp_path)
    try:
        assert wait_healthy(process, port).status_code == 200
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["database"] == "ok"
        assert ready.json()["slack"] == f"waiting for Slack to answer auth.test at {silent_slack}"
    finally:
        stderr = stop(process)
    assert process.returncode == 0, stderr


def test_readyz_is_ready_once_slack_answered(
    slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    process = start_app({**bot_env(slack, wechat, sqlite_url), "PORT": str(port)}, tmp_path)
    try:
        wait_healthy(process, port)
        slack.wait_for(lambda s: s.calls_to("auth.test"))
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        while ready.json()["slack"] != "ok":  # auth.test answered; the bot records it right after
            time.sleep(0.05)
            ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json() == {"database": "ok", "wechat_tokens": {wechat.APPID: "none yet"}, "slack": "ok"}
        assert _healthcheck(port) == 0  # the Docker image's HEALTHCHECK
    finally:
        stderr = stop(process)
    assert process.returncode == 0, stderr
    assert _healthcheck(port) == 1
    info = [line for line in stderr.splitlines() if " INFO " in line]
    assert len(info) <= 4, stderr  # a few lines: the database, the health checks, Slack; no Alembic steps
    assert not [line for line in stderr.splitlines() if "alembic" in line], stderr
    assert "slack_bolt" not in stderr, stderr  # Bolt's "`token` will be unused" is expected, not worth a line


def test_help_prints_the_usage_and_the_settings_and_exits_0(tmp_path: Path) -> None:
    process = start_app({}, tmp_path, "--help")  # no setting at all is needed to ask
    stdout, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (0, "")
    assert stdout.startswith("usage: python app.py [--sandbox] [--help]\n")
    assert "  SLACK_BOT_TOKEN " in stdout and "  DATABASE_URL " in stdout


def _healthcheck(port: int) -> int:
    env = {**os.environ, "PORT": str(port)}
    checked = subprocess.run([sys.executable, "-m", "bot.healthcheck"], env=env, capture_output=True, timeout=30)
    return checked.returncode
