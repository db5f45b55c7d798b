"""Review of issue 16 (a newcomer's first hour): each test here failed on the commit reviewed."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.config import ConfigError, load_settings
from bot.logs import WithholdBodies, redact
from tests.fakes.slack import FakeSlack
from tests.support.flow import click, request_rollback, wait_state
from tests.support.harness import RunningBot
from tests.support.processes import ROOT, free_port

CAPABILITY = "AbCdEfGhIjKlMnOpQrStUvWx"
BOT_TOKEN = "xoxb-1234-5678-abcdefghijklmnop"
SIGNING_SECRET = "abcdef0123456789abcdef0123456789"


def _clean_env(**settings: str) -> dict[str, str]:
    keep = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "VIRTUAL_ENV")}
    return {**keep, **settings}


def _run(argv: list[str], cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=_clean_env(**settings), capture_output=True, text=True, timeout=60)


def _app(cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    base = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:1/api/",  # never reached: the database fails first
        "SANDBOX": "true",
        "PORT": str(free_port()),
    }
    return _run([sys.executable, str(ROOT / "app.py")], cwd, **{**base, **settings})


# --- Redaction: a response_url as it really appears in Slack's bodies ---------------------------------------------


def test_a_json_escaped_response_url_is_redacted() -> None:
    """Slack's Web API escapes '/' in JSON ("https:\\/\\/hooks.slack.com\\/..."): views.open's answer echoes the
    modal's private_metadata, which holds the response_url, and slack_sdk logs that answer's body at DEBUG."""
    line = '{"private_metadata":"{\\"response_url\\":\\"https:\\\\/\\\\/hooks.slack.com\\\\/actions\\\\/T0123ABC'
    line += f'\\\\/4567890123\\\\/{CAPABILITY}\\"}}"}} and "https:\\/\\/hooks.slack.com\\/commands\\/T0123ABC'
    line += f'\\/4567890123\\/{CAPABILITY}"'
    assert CAPABILITY not in redact(line)


def test_a_url_encoded_response_url_is_redacted() -> None:
    """A form-encoded Slack request body (slash command, interaction payload) carries it percent-encoded."""
    line = f"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0123ABC%2F4567890123%2F{CAPABILITY}&x=1"
    assert CAPABILITY not in redact(line)


def test_token_fields_in_a_python_repr_are_redacted() -> None:
    """slack_sdk logs json_body / body_params as Python reprs (single quotes): the JSON-only pattern misses them,
    e.g. a Slack request's verification token or a WeChat token in a dict printed by a library at DEBUG."""
    line = f"json_body: {{'token': '{CAPABILITY}', 'access_token': '{CAPABILITY}'}}"
    assert CAPABILITY not in redact(line)


def test_query_values_of_the_token_service_url_do_not_become_secrets() -> None:
    """Every query value of WECHAT_TOKEN_SERVICE_URL is taken for a secret: an ordinary `?appid=wx...` (or
    `?region=shanghai`) then blanks the AppID (that word) out of every log line and message."""
    appid = "wx0123456789abcdef"
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "WECHAT_APPID": appid,
            "WECHAT_TOKEN_SOURCE": "service",
            "WECHAT_TOKEN_SERVICE_URL": f"https://tokens.internal/token?appid={appid}&region=shanghai",
        }
    )
    assert appid not in settings.secrets() and "shanghai" not in settings.secrets()


# --- The whole flow at DEBUG: what people typed and Slack's one-time ids stay out ---------------------------------


def test_typed_reason_and_trigger_id_stay_out_of_the_debug_log(
    bot: RunningBot, slack: FakeSlack, logged: Callable[[list[str]], io.StringIO]
) -> None:
    """slack_sdk.web.base_client logs every Web API call's json_body and every answer's body at DEBUG: the reason
    the requester typed (chat.postMessage, chat.update), views.open's trigger_id and the modal's private_metadata
    all land in the log. _BODY_LOGGERS covers slack_bolt and slack_sdk.socket_mode only."""
    stream = logged([])
    typed = "typed-reason-nobody-should-log-zq9"
    request = request_rollback(bot, slack, "1.1.0", reason=typed)
    click(bot, request, "rollback.approve", "UBOB")
    wait_state(bot, slack, request.id, "succeeded", "failed", "unknown")
    log = stream.getvalue()
    assert typed not in log
    assert "trigger_id" not in log
    assert "private_metadata" not in log


# --- Start-up failures about DATABASE_URL ----------------------------------------------------------------------


def test_a_database_password_in_the_query_is_not_printed(tmp_path: Path) -> None:
    """libpq takes the password as ?password=...; the failure line shows DATABASE_URL unredacted (only the
    userinfo password is hidden by render_as_string)."""
    result = _app(tmp_path, DATABASE_URL="postgresql+psycopg://bot@127.0.0.1:1/rollback?password=hunter2secretpw")
    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr
    assert "hunter2secretpw" not in result.stderr


def test_a_database_url_with_a_bad_port_names_database_url(tmp_path: Path) -> None:
    """Prints `could not start: ValueError: invalid literal for int() with base 10: 'fivefour'`: no setting."""
    result = _app(tmp_path, DATABASE_URL="postgresql+psycopg://bot:pw@127.0.0.1:fivefour/rollback")
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1
    assert "DATABASE_URL" in lines[0]


def test_cli_history_with_a_bad_database_port_is_one_line(tmp_path: Path) -> None:
    """`miniprogram-rollback history` with the same URL ends in a Python traceback."""
    cli = [sys.executable, "-m", "bot.cli", "history"]
    result = _run(cli, tmp_path, DATABASE_URL="postgresql+psycopg://bot:pw@127.0.0.1:fivefour/rollback")
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and "DATABASE_URL" in lines[0]


def test_cli_history_database_failure_names_the_setting(tmp_path: Path) -> None:
    """`history` against an unreachable PostgreSQL prints `database error: connection failed: ...`: it names
    neither DATABASE_URL nor what to check (app.py's start-up line does both)."""
    cli = [sys.executable, "-m", "bot.cli", "history"]
    result = _run(cli, tmp_path, DATABASE_URL="postgresql+psycopg://bot@127.0.0.1:1/rollback")
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1
    assert "DATABASE_URL" in lines[0]


# --- The CLI asks only for what it uses ------------------------------------------------------------------------


@pytest.mark.parametrize("unused", [{"PORT": "abc"}, {"APPROVAL_TTL_SECONDS": "5"}, {"LOG_FORMAT": "xml"}])
def test_cli_status_does_not_refuse_settings_it_does_not_use(tmp_path: Path, unused: dict[str, str]) -> None:
    """status talks to WeChat (and reads the token store); it refuses a malformed PORT, approval TTL or
    LOG_FORMAT before getting anywhere. Here it should get as far as the missing database."""
    cli = [sys.executable, "-m", "bot.cli", "status"]
    wechat = {"WECHAT_APPID": "wx0123456789abcdef", "WECHAT_APPSECRET": "abcdefghijkl"}
    result = _run(cli, tmp_path, **wechat, **unused)
    name = next(iter(unused))
    assert name not in result.stderr, result.stderr


# --- Bolt's and Socket Mode's lines the body filter does not recognise -----------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_suggestion", "block_id": "b", "action_id": "a", "value": "typed-suggestion-zq9"},
        {"type": "dialog_submission", "callback_id": "c", "submission": {"why": "typed-suggestion-zq9"}},
    ],
)
def test_an_unhandled_request_does_not_log_what_was_typed(
    bot: RunningBot, logged: Callable[[list[str]], io.StringIO], payload: dict[str, object]
) -> None:
    """Bolt's WARNING `Unhandled request ({...})` carries a block_suggestion's typed `value` and a dialog's
    `submission`: no pattern in _BOLT_BODIES matches that shape."""
    stream = logged([])
    body = {**payload, "team": {"id": FakeSlack.TEAM_ID}, "user": {"id": "UALICE"}, "token": "verification-zq9"}
    bot.sender.post(urlencode({"payload": json.dumps(body)}).encode())
    log = stream.getvalue()
    assert "Unhandled request" in log  # the line is there
    assert "typed-suggestion-zq9" not in log


@pytest.mark.parametrize(
    "line",
    [
        'Failed to send a message (session id: s1, error: gone, message: {"envelope_id": "e1", "payload": '
        '{"text": "typed-zq9"}}) as the underlying connection was replaced. Retrying the same request only one time...',
        'Failed to parse a payload (data: \'{"payload": {"text": "typed-zq9"\', error: Expecting value)',
    ],
)
def test_socket_mode_lines_with_a_body_are_withheld(line: str) -> None:
    """slack_sdk's Socket Mode client logs these two (at DEBUG) with the envelope in them; the filter's patterns
    want `message: ...)` or `payload: ...)` at the very end of the line."""
    record = logging.LogRecord("slack_sdk.socket_mode.builtin.client", logging.DEBUG, __file__, 1, line, (), None)
    WithholdBodies().filter(record)
    assert "typed-zq9" not in record.getMessage()


def test_cli_history_refuses_an_alias_the_configuration_file_does_not_name(tmp_path: Path) -> None:
    """With ROLLBACK_CONFIG set, `--app` takes an alias: a typo (`--app shpo`) answers `no rollback requests for
    shpo`, exit 0, as if the program had an empty record, instead of naming the aliases the file configures."""
    (tmp_path / "rollback.toml").write_text((ROOT / "rollback.example.toml").read_text())
    migrate = [sys.executable, "-m", "bot.store.migrate"]
    database = {"DATABASE_URL": "sqlite:///records.db"}
    assert _run(migrate, tmp_path, **database).returncode == 0
    cli = [sys.executable, "-m", "bot.cli", "history", "--app", "shpo"]
    result = _run(cli, tmp_path, ROLLBACK_CONFIG="rollback.toml", **database)
    assert result.returncode != 0
    assert "shop" in result.stderr  # the aliases it knows


def test_an_unsupported_database_is_named_as_such(tmp_path: Path) -> None:
    """`DATABASE_URL=mysql://...` is told to `pip install -e ".[postgres]" ... for PostgreSQL` (the driver line
    assumes PostgreSQL): the line should say the bot takes SQLite or PostgreSQL."""
    result = _app(tmp_path, DATABASE_URL="mysql://bot@127.0.0.1/rollback")
    assert result.returncode == 1
    assert "postgres]" not in result.stderr and "SQLite" in result.stderr


@pytest.mark.parametrize("value", ["xoxb-1234-5678-abcdefghij # the bot", '"xoxb-1234-5678-abcdefghij"'])
def test_a_token_with_an_inline_comment_or_quotes_is_refused_with_a_hint(value: str) -> None:
    """`docker run --env-file` keeps an inline comment and quotes in the value (python-dotenv strips both): a token
    with ` # ...` passes every check and reaches Slack; a quoted one is told `it starts with 'xoxb-'`, which is
    what the person believes they wrote. Both should be refused naming the quotes / the comment."""
    with pytest.raises(ConfigError, match=r"(?i)quote|comment|space"):
        load_settings({"SLACK_BOT_TOKEN": value, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SANDBOX": "true"})
