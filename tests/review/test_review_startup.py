"""Review of #16: start-up and command-line failures, each one line naming the setting and what to do, and start-up
lines that say what they say. Real processes, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store.database import create_schema, make_engine
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import bot_env
from tests.support.processes import ROOT, free_port, start_app, stop, wait_healthy

UNREACHABLE_POSTGRES = "postgresql+psycopg://rollback:pw-review-1@127.0.0.1:1/rollback"


def _cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "WECHAT_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cli_names_database_url_and_what_to_do_when_postgresql_does_not_answer(tmp_path: Path) -> None:
    """The bot says 'DATABASE_URL postgresql+psycopg://rollback:***@… did not answer (…): check that the database
    runs…'; `miniprogram-rollback history` says only 'database error: connection failed: …'."""
    done = _cli(tmp_path, "history", DATABASE_URL=UNREACHABLE_POSTGRES)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "DATABASE_URL" in lines[0], lines[0]
    assert "check" in lines[0], lines[0]  # what to do
    assert "pw-review-1" not in done.stderr


def test_a_missing_driver_for_another_database_is_not_told_to_install_postgresql(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    """DATABASE_URL=mysql://… stops start-up with 'pip install -e ".[postgres]" (or psycopg[binary]) for
    PostgreSQL': the one line should say the bot supports SQLite and PostgreSQL, not install psycopg."""
    env = bot_env(slack, wechat, "mysql://rollback:pw-review-1@127.0.0.1:1/rollback", PORT=str(free_port()))
    process = start_app(env, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    [line] = stderr.strip().splitlines()
    assert "DATABASE_URL" in line
    assert "psycopg" not in line, line


def test_ordinary_query_values_of_a_token_service_url_do_not_garble_the_log(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    """Every value in WECHAT_TOKEN_SERVICE_URL's query is taken for a secret and scrubbed from every line: with
    `?scheme=sqlite&cache=health` the start-up lines read 'database [redacted]:///…' and '[redacted] checks on
    http://0.0.0.0:3000/[redacted]z'. Only values under a secret-looking name (key=, sig=, token=…, which the
    patterns already scrub) should be, or a value the bot cannot tell from prose should be refused at start-up."""
    port = free_port()
    service = f"{wechat.base_url}/token?scheme=sqlite&cache=health"
    env = bot_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", PORT=str(port))
    del env["WECHAT_APPSECRET"]
    env.update(WECHAT_TOKEN_SOURCE="service", WECHAT_TOKEN_SERVICE_URL=service)
    process = start_app(env, tmp_path)
    try:
        assert wait_healthy(process, port).status_code == 200
        slack.wait_for(lambda s: s.calls_to("auth.test"), 30)
    finally:
        stderr = stop(process)
    assert f"health checks on http://0.0.0.0:{port}/healthz and /readyz" in stderr, stderr
    assert "database sqlite:///" in stderr, stderr


def test_status_of_one_program_asks_only_for_that_programs_secret(wechat: FakeWeChat, tmp_path: Path) -> None:
    """`miniprogram-rollback status --app shop` uses shop's AppSecret alone, yet refuses to run until every other
    program's secrets are set too ('programs.games.appsecret_env names GAMES_APPSECRET, which is not set')."""
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(database)
    create_schema(engine)
    engine.dispose()
    (tmp_path / "rollback.toml").write_text(
        f'[programs.shop]\nappid = "{wechat.APPID}"\nappsecret_env = "SHOP_APPSECRET"\n\n'
        '[programs.games]\nappid = "wx89abcdef01234567"\nappsecret_env = "GAMES_APPSECRET"\n'
    )
    done = _cli(
        tmp_path,
        "status",
        "--app",
        "shop",
        DATABASE_URL=database,
        ROLLBACK_CONFIG="rollback.toml",
        SHOP_APPSECRET=wechat.SECRET,
        WECHAT_API_BASE=wechat.base_url,
        WECHAT_API_FALLBACK="off",
    )
    assert "GAMES_APPSECRET" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr


def _start_up_line(slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path, database_url: str) -> tuple[int, str]:
    process = start_app(bot_env(slack, wechat, database_url, PORT=str(free_port())), tmp_path)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def test_a_database_url_with_a_port_that_is_not_a_number_names_database_url(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    """Start-up prints 'could not start: ValueError: invalid literal for int() with base 10: 'badport'', naming no
    setting; the command line prints a whole traceback."""
    url = "postgresql+psycopg://rollback:pw-review-1@db.internal:badport/rollback"
    code, stderr = _start_up_line(slack, wechat, tmp_path, url)
    assert code != 0
    [line] = stderr.strip().splitlines()
    assert "DATABASE_URL" in line, line
    done = _cli(tmp_path, "history", DATABASE_URL=url)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    [cli_line] = done.stderr.strip().splitlines()
    assert "DATABASE_URL" in cli_line, cli_line


def test_a_password_holding_an_at_sign_is_not_shown_in_part(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    """A password with an unescaped '@' (`rollback:pw@Review9@127.0.0.1`) is shown as `rollback:***@Review9@…` and
    again in the driver's 'failed to resolve host 'Review9@127.0.0.1'': half the password on stderr. Say that the
    password must be URL-encoded (%40), and show none of it."""
    url = "postgresql+psycopg://rollback:pw@Review9@127.0.0.1:1/rollback"
    code, stderr = _start_up_line(slack, wechat, tmp_path, url)
    assert code != 0
    assert "Review9" not in stderr, stderr
    done = _cli(tmp_path, "history", DATABASE_URL=url)
    assert done.returncode != 0
    assert "Review9" not in done.stderr, done.stderr


def test_an_sqlite_url_with_a_query_fails_in_one_line_without_a_library_warning(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    """`sqlite:///…?mode=ro` prints SQLAlchemy's two-line SAWarning (a source path and a code line) before the one
    line of the failure."""
    code, stderr = _start_up_line(slack, wechat, tmp_path, f"sqlite:///{tmp_path / 'no' / 'x.db'}?mode=ro")
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1, stderr


def test_a_short_secret_named_by_the_file_names_the_variable_to_fix(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    """`appsecret_env = "SHOP_APPSECRET"` with SHOP_APPSECRET=abc stops start-up with 'programs.shop.appsecret is
    too short': a key the file does not have (and may not have: secrets in the file are refused). The line should
    name SHOP_APPSECRET, the variable to fix, as the 'not set' error does."""
    (tmp_path / "rollback.toml").write_text(
        f'[programs.shop]\nappid = "{wechat.APPID}"\nappsecret_env = "SHOP_APPSECRET"\n'
    )
    env = bot_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", PORT=str(free_port()))
    for name in ("WECHAT_APPID", "WECHAT_APPSECRET", "VERSION_WATCH_SECONDS"):
        del env[name]
    process = start_app({**env, "ROLLBACK_CONFIG": "rollback.toml", "SHOP_APPSECRET": "abc"}, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    [line] = stderr.strip().splitlines()
    assert "too short" in line
    assert "SHOP_APPSECRET" in line, line
