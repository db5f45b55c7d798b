import io
import json
import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import pytest
from slack_sdk.webhook import WebhookClient

from bot.logs import REDACTED, JsonFormatter, RedactingFormatter, configure_logging, redact
from tests.fakes.slack import FakeSlack
from tests.support.flow import open_picker
from tests.support.harness import RunningBot


def test_redacts_tokens_in_urls_and_bodies() -> None:
    line = (
        "GET /wxa/revertcoderelease?access_token=ABC.def-123&app_version=7 "
        '{"access_token": "XYZ987", "secret": "s3cr3t", "component_verify_ticket": "tick3t"} xoxb-1-2-abc xapp-1-A-2'
    )
    cleaned = redact(line)
    for secret in ("ABC.def-123", "XYZ987", "s3cr3t", "tick3t", "xoxb-1-2-abc", "xapp-1-A-2"):
        assert secret not in cleaned
    assert "app_version=7" in cleaned
    assert cleaned.count(REDACTED) == 6


def test_formatter_redacts_known_secrets_and_exception_text() -> None:
    formatter = RedactingFormatter("%(message)s", ["the-app-secret"])
    try:
        raise RuntimeError("failed with the-app-secret in it")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", ("?access_token=tok123",), None)
        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert "the-app-secret" not in text
    assert "tok123" not in text
    assert "RuntimeError" in text


def _json_line(formatter: logging.Formatter, record: logging.LogRecord) -> dict[str, object]:
    line = formatter.format(record)
    assert "\n" not in line  # one object per line, tracebacks included
    parsed = json.loads(line)
    assert isinstance(parsed, dict)
    return parsed


def test_json_lines_carry_the_fields_and_the_extra_ones() -> None:
    record = logging.LogRecord("bot.web", logging.INFO, __file__, 1, "POST %s %d", ("/slack/events", 200), None)
    record.__dict__.update(request_id="1700000000-ab12", duration_ms=12, method="POST", status=200)
    entry = _json_line(JsonFormatter([]), record)
    assert entry["level"] == "INFO" and entry["logger"] == "bot.web"
    assert entry["message"] == "POST /slack/events 200"
    assert entry["request_id"] == "1700000000-ab12" and entry["duration_ms"] == 12 and entry["status"] == 200
    assert abs(datetime.fromisoformat(str(entry["ts"])) - datetime.now(UTC)).total_seconds() < 60
    assert "args" not in entry and "msg" not in entry and "exception" not in entry


def test_json_lines_are_redacted_everywhere_and_stay_json() -> None:
    formatter = JsonFormatter(["the-app-secret", 'quo"te\\secret'])
    try:
        raise RuntimeError('failed with the-app-secret and {"access_token": "tok456"}')
    except RuntimeError:
        record = logging.LogRecord(
            "urllib3", logging.DEBUG, __file__, 1, '"GET /wxa/x?access_token=%s HTTP/1.1" 200', ("tok123",), None
        )
        record.exc_info = sys.exc_info()
    record.__dict__.update(
        url="https://h/p?access_token=tok789",
        component_verify_ticket=["anything"],
        nested={"secret": 42, "note": 'quo"te\\secret xoxb-1-2-abc'},
    )
    line = formatter.format(record)
    for secret in ("the-app-secret", "tok123", "tok456", "tok789", "anything", "quo", "xoxb-1-2-abc"):
        assert secret not in line
    entry = json.loads(line)
    assert entry["message"] == '"GET /wxa/x?access_token=[redacted] HTTP/1.1" 200'
    assert "RuntimeError" in str(entry["exception"]) and REDACTED in str(entry["exception"])
    assert entry["component_verify_ticket"] == REDACTED
    assert entry["nested"] == {"secret": REDACTED, "note": f"{REDACTED} xoxb-{REDACTED}"}


def test_configure_logging_picks_the_format_and_level(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    try:
        configure_logging(["the-app-secret"], "WARNING", "json")
        logging.getLogger("bot.test").info("not shown")
        logging.getLogger("bot.test").warning("shown with the-app-secret", extra={"path": "/x"})
        lines = stream.getvalue().splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0])["message"] == f"shown with {REDACTED}"
        assert json.loads(lines[0])["path"] == "/x"
        configure_logging([], logging.INFO, "text")
        logging.getLogger("bot.test").info("plain")
        assert stream.getvalue().splitlines()[-1].endswith("INFO bot.test: plain")
        with pytest.raises(ValueError, match="log format"):
            configure_logging([], logging.INFO, "xml")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_a_response_url_never_reaches_the_log_at_debug(
    slack: FakeSlack, logged: Callable[[list[str]], io.StringIO]
) -> None:
    """slack_sdk's WebhookClient logs the URL it posts to at DEBUG, and so does urllib3: a response_url is a
    capability (anyone holding it may answer in the channel for 30 minutes)."""
    url = slack.new_response_url(channel="CINCIDENT", from_command=True)
    capability = url.rsplit("/", 1)[1]
    stream = logged([])
    assert WebhookClient(url).send(text="hello", response_type="ephemeral").status_code == 200
    log = stream.getvalue()
    assert f"/commands/{FakeSlack.TEAM_ID}/" in log and "[redacted]" in log
    assert capability not in log


@pytest.mark.parametrize(
    "line",
    [
        "connecting to wss://wss-primary.slack.com/link/?ticket=0f6c1a2b-3c4d&app_id=A0123",
        "POST https://hooks.slack.com/actions/T0123ABC/4567890123/AbCdEfGhIjKlMnOp",
        "POST https://hooks.slack.com/services/T0123ABC/B0123ABC/AbCdEfGhIjKlMnOp",
        "GET https://tokens.internal/token?appid=wx1&api_key=AbCdEfGhIjKlMnOp HTTP/1.1",
        "GET https://tokens.internal/token?SIG=AbCdEfGhIjKlMnOp",
    ],
)
def test_credential_bearing_urls_are_redacted(line: str) -> None:
    assert "AbCdEfGhIjKlMnOp" not in redact(line) and "0f6c1a2b-3c4d" not in redact(line)


def test_no_request_body_or_response_url_reaches_the_log_at_debug(
    bot: RunningBot, slack: FakeSlack, logged: Callable[[list[str]], io.StringIO]
) -> None:
    """Bolt logs a badly signed request's whole body at INFO, and the body of every answer it sends at DEBUG: a
    body holds the response_url (a capability), what people typed, their ids. None of it may reach the log."""
    stream = logged([])
    typed = "an-incident-reason-nobody-should-log"
    response_url = slack.new_response_url(channel="CINCIDENT", from_command=True)
    fields = {"command": "/miniprogram-rollback", "text": typed, "user_id": "UALICE", "response_url": response_url}
    body = urlencode(fields).encode()
    assert bot.sender.post(body, signature="v0=" + "0" * 64).status_code == 401
    assert bot.sender.post(body, timestamp=1).status_code == 401  # stale: a replay
    open_picker(bot, slack)  # and a request Bolt answers, at DEBUG
    log = stream.getvalue()
    assert "Invalid request signature detected (signature: v0=" in log  # Bolt's lines are there, without the body
    assert re.search(r"Responding with status: 200 body: \[withheld\] \(\d+ millis\)", log)
    capability = response_url.rsplit("/", 1)[1]
    for leaked in (typed, capability, quote(response_url, safe=""), "trigger_id"):
        assert leaked not in log, leaked
