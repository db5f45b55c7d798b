"""A request body over 1 MiB is refused with 413 before anything reads it: before, one unsigned 150 MiB POST to
/slack/events grew the bot by 300 MiB (Bolt reads the whole body before it checks the signature; waitress
allowed 1 GiB)."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.web import EVENTS_PATH, MAX_BODY_BYTES, wsgi_app
from tests.fakes.slack import FakeSlack
from tests.support.harness import RunningBot


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Nothing here touches storage: one backend is enough."""
    return sqlite_url


def http(bot: RunningBot, head: bytes, body: Iterable[bytes] = ()) -> bytes:
    """A raw exchange: the request's head, then body pieces until the server answers and closes."""
    address = urlsplit(bot.url)
    with socket.create_connection((address.hostname or "", address.port or 80), timeout=30) as conn:
        conn.sendall(head)
        try:
            for piece in body:
                conn.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and stopped listening: what is being tested
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


def post_head(length: str = "", chunked: bool = False) -> bytes:
    framing = "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {length}\r\n"
    return (
        f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"{framing}Connection: close\r\n\r\n"
    ).encode()


def test_a_declared_150_mib_body_is_refused_before_any_of_it_is_sent(bot: RunningBot) -> None:
    answer = http(bot, post_head(str(150 * 1024 * 1024)))  # the head alone: not one byte of the body
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_chunked_body_is_cut_off_at_the_limit(bot: RunningBot) -> None:
    chunk = b"a" * 65536
    pieces = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(150 * 16))  # 150 MiB, if it were all read
    answer = http(bot, post_head(chunked=True), pieces)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_body_of_exactly_1_mib_still_reaches_the_signature_check(bot: RunningBot) -> None:
    answer = http(bot, post_head(str(MAX_BODY_BYTES)), iter([b"a" * MAX_BODY_BYTES]))
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]  # unsigned: Bolt's refusal, not the size's


def test_the_application_refuses_by_the_declared_length_without_reading(bot: RunningBot) -> None:
    """Under another WSGI server, the application itself refuses: the body is never read."""

    class Unreadable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the body was read")

    statuses: list[str] = []
    environ: dict[str, Any] = {
        "PATH_INFO": EVENTS_PATH,
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": Unreadable(),
    }
    body = b"".join(wsgi_app(bot.runtime)(environ, lambda status, headers, *_: statuses.append(status)))
    assert statuses == ["413 Request Entity Too Large"] and body == b"request too large\n"


def test_the_bot_still_answers_slack_after_the_refusals(bot: RunningBot, slack: FakeSlack) -> None:
    http(bot, post_head(str(150 * 1024 * 1024)))
    response, _ = bot.sender.command("help", user="UALICE")
    assert response.status_code == 200 and "lists the versions" in response.json()["text"]
