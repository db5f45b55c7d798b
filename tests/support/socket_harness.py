"""The real bot in Socket Mode, in this process, connected to the fake Socket Mode server on loopback."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import requests
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.config import load_settings
from bot.runtime import build_runtime
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode, SocketConnection
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import Clock, RunningBot, bot_env
from tests.support.slack_requests import SlackSender

# slack_sdk's Socket Mode client takes its proxy from these (ignoring NO_PROXY): blank means none.
NO_PROXY = {"HTTPS_PROXY": "", "https_proxy": "", "HTTP_PROXY": "", "http_proxy": ""}


def socket_env(slack: FakeSlack, wechat: FakeWeChat, database_url: str, **extra: str) -> dict[str, str]:
    """The HTTP harness's settings with an app-level token and no signing secret, which Socket Mode never uses."""
    env = bot_env(slack, wechat, database_url, SLACK_APP_TOKEN=slack.app_token, **extra)
    del env["SLACK_SIGNING_SECRET"]
    return env


class SocketSender(SlackSender):
    """SlackSender's payloads, delivered the way Slack delivers them in Socket Mode: as envelopes on the socket.

    Each step answers like its HTTP twin, with a 200 whose body is the acknowledgement's payload: in Socket Mode
    Slack reads that payload where it would read the HTTP response body.
    """

    def __init__(self, socket: FakeSocketMode, fake: FakeSlack) -> None:
        super().__init__(socket.base_url, signing_secret="", fake=fake)  # nothing is signed over the socket
        self.socket = socket

    def post(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        kind, payload = envelope_of(body, content_type)
        answer = self.socket.request(kind, payload)
        response = requests.Response()
        response.status_code = 200
        response.url = self.socket.base_url
        if answer is not None:
            response.headers["Content-Type"] = "application/json"
        response._content = b"" if answer is None else json.dumps(answer).encode()
        return response


def envelope_of(body: bytes, content_type: str) -> tuple[str, dict[str, Any]]:
    """The Socket Mode envelope type and payload for what Slack would have POSTed over HTTP."""
    if content_type.split(";", 1)[0].strip() == "application/json":
        return "events_api", json.loads(body)
    fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
    if "payload" in fields:
        return "interactive", json.loads(fields["payload"])
    return "slash_commands", fields  # Slack sends a command's form fields as a JSON object


class RunningSocketBot(RunningBot):
    """What `python app.py` runs when SLACK_APP_TOKEN is set: Bolt's SocketModeHandler, connected with connect()
    (non-blocking) instead of start(). To tests/support/flow.py it is a RunningBot whose requests go over the socket.
    """

    def __init__(self, env: dict[str, str], slack: FakeSlack, socket: FakeSocketMode, clock: Clock) -> None:
        # No super().__init__(): that starts the HTTP server, which Socket Mode has no use for.
        self.runtime = build_runtime(load_settings(env), clock=clock)
        self.runtime.start()
        known = len(socket.connections)
        self.handler = SocketModeHandler(self.runtime.bolt, env["SLACK_APP_TOKEN"])
        self.handler.connect()
        self.connection: SocketConnection = socket.wait_for_connection(known + 1)
        self.sender = SocketSender(socket, slack)

    def stop(self) -> None:
        self.handler.close()
        self.runtime.close()
