"""HTTP plumbing: the loopback server, and Web API arguments decoded the way Slack accepts them (form-encoded,
multipart or JSON bodies, query strings; docs.slack.dev/apis/web-api/#post-bodies)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs

from tests.fakes.slack.records import SlackError

# Form-encoded bodies carry these as JSON strings; decode them so recorded args always hold Python objects.
JSON_FIELDS = ("blocks", "view", "attachments", "metadata")


class Handles(Protocol):
    def handle_http(
        self, verb: str, path: str, content_type: str, auth: str | None, body: bytes
    ) -> tuple[int, dict[str, str], bytes]: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: Handles) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up early is no news; anything else is a bug in the fake worth seeing.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.fake.handle_http(
            self.command, self.path, self.headers.get("Content-Type", ""), self.headers.get("Authorization"), body
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def decode_args(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    args = _form(query)
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(parsed, dict):
            raise SlackError("invalid_json")
        args.update(parsed)
    elif kind == "multipart/form-data":
        args.update(_multipart(content_type, body))
    elif body:
        args.update(_form(body.decode("utf-8", errors="replace")))
    for key in JSON_FIELDS:
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                raise SlackError(f"invalid_{key}_format" if key == "blocks" else "invalid_arguments") from None
    return args


def _form(text: str) -> dict[str, Any]:
    return {key: values[0] if len(values) == 1 else values for key, values in parse_qs(text, True).items()}


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    args: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        args[str(name)] = data if part.get_filename() else data.decode("utf-8", errors="replace")
    return args


def required(args: dict[str, Any], key: str, error: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise SlackError(error)
    return value


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))
