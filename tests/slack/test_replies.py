"""Telling one person, and what the bot's Web API client repeats, against the fake Slack over real HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.replies import tell
from bot.slack.retries import retry_handlers
from tests.fakes.slack import FakeSlack
from tests.support.processes import free_port


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def test_an_unreachable_response_url_falls_back_to_an_ephemeral(slack: FakeSlack) -> None:
    client = WebClient(token=slack.BOT_TOKEN, base_url=slack.api_url)
    dead = Respond(response_url=f"http://127.0.0.1:{free_port()}/response/gone")
    tell("already approved", respond=dead, client=client, channel_id="CINCIDENT", user_id="UBOB")
    (told,) = slack.calls_to("chat.postEphemeral")
    assert (told.args["user"], told.args["channel"], told.args["text"]) == ("UBOB", "CINCIDENT", "already approved")


class DroppingServer:
    """Reads each request, then closes the connection without answering: Slack may or may not have applied it."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/api/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with connection:
                self.received.append(connection.recv(65536).split(b"\r\n", 1)[0])

    def close(self) -> None:
        self._listener.close()


@pytest.mark.parametrize(("method", "repeated"), [("chat.postMessage", False), ("chat.update", True)])
def test_a_dropped_connection_repeats_only_calls_safe_to_repeat(method: str, repeated: bool) -> None:
    server = DroppingServer()
    client = WebClient(token="xoxb-test", base_url=server.url, retry_handlers=retry_handlers())
    try:
        with pytest.raises((SlackApiError, OSError)):
            client.api_call(method, json={"channel": "C1", "ts": "1.2", "text": "hi"})
    finally:
        server.close()
    assert len(server.received) == (2 if repeated else 1)
