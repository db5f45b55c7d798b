"""Review of #16: a response_url as real Slack writes it back. Slack's Web API escapes every '/' in its JSON answers
('https:\\/\\/hooks.slack.com\\/actions\\/…'), and slack_sdk logs each answer's body at DEBUG: the views.open answer
carries the modal's private_metadata, which holds the picker's response_url (a capability for 30 minutes)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from slack_sdk import WebClient

from bot.logs import redact

CAPABILITY = "Zq8xR2vN5tY7wK3mP9aB1cD4"
RESPONSE_URL = f"https://hooks.slack.com/actions/T0FAKE/1000002/{CAPABILITY}"
# What Slack answers to views.open, slashes escaped as Slack escapes them.
ANSWER = (
    '{"ok":true,"view":{"id":"V1","type":"modal","private_metadata":"{\\"response_url\\": \\"'
    + RESPONSE_URL.replace("/", "\\\\/")
    + '\\"}"}}'
)


class _SlackLike(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = ANSWER.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slack_like() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlackLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/"
    server.shutdown()
    server.server_close()


def test_a_response_url_slack_echoes_json_escaped_never_reaches_the_debug_log(
    slack_like: str, logged: Callable[[list[str]], io.StringIO]
) -> None:
    stream = logged([])
    answer = WebClient(token="xoxb-1-2-reviewtoken", base_url=slack_like).views_open(
        trigger_id="1.2.3", view={"type": "modal"}
    )
    assert answer["ok"] and CAPABILITY in str(answer["view"]["private_metadata"])  # Slack's answer as sent
    log = stream.getvalue()
    assert "Received the following response" in log  # slack_sdk's DEBUG line is there
    assert CAPABILITY not in log


@pytest.mark.parametrize(
    "line",
    [
        '"response_url":"' + RESPONSE_URL.replace("/", "\\/") + '"',  # Slack's JSON
        "response_url=" + quote(RESPONSE_URL, safe=""),  # a form body, URL-encoded
        '"response_url": "' + RESPONSE_URL.replace("/", "\\\\/") + '"',  # JSON in a JSON string
    ],
)
def test_every_spelling_of_a_response_url_is_redacted(line: str) -> None:
    assert CAPABILITY not in redact(line)
