"""A fake Slack: a real local HTTP server for the Web API and for response_url posts, recording what it gets.

Point `WebClient(base_url=fake.api_url)` at it; it answers with Slack's response shapes and refuses what real Slack
refuses (bad tokens, missing arguments, Block Kit over its limits), so tests catch those bugs before Slack does.
For Socket Mode, set `socket_mode` to a started FakeSocketMode (tests/fakes/socket_mode.py): apps.connections.open
then hands out its URLs, to the app-level token only.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import sys
import threading
import time
import traceback
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from tests.fakes import configured

T = TypeVar("T")

JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}

# Form-encoded bodies carry these as JSON strings; decode them so recorded args always hold Python objects.
JSON_FIELDS = ("blocks", "view", "attachments", "metadata")

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
KNOWN_BLOCK_TYPES = {
    "actions", "context", "divider", "file", "header", "image", "input", "markdown", "rich_text", "section", "video",
}  # fmt: skip


class SocketModeLinks(Protocol):
    """Where apps.connections.open sends the app: tests/fakes/socket_mode.py's FakeSocketMode."""

    def issue_url(self) -> str: ...


@dataclass
class ApiCall:
    method: str  # e.g. "chat.postMessage"
    args: dict[str, Any]  # decoded body (+ query) arguments
    token: str | None  # bearer token used
    response: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    at: float = field(default_factory=time.monotonic)  # when it arrived; system-wide on Linux, so across processes


@dataclass
class ResponseUrlPost:
    key: str  # the id part of the response_url
    body: dict[str, Any]  # the JSON posted
    at: float = field(default_factory=time.monotonic)  # when it was accepted


class SlackError(Exception):
    """An `{"ok": false}` answer, raised inside a method handler."""

    def __init__(self, error: str, problems: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.problems = problems or []

    def response(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"ok": False, "error": self.error}
        if self.problems:
            # Slack's own shape for Block Kit errors.
            answer["errors"] = self.problems
            answer["response_metadata"] = {"messages": [f"[ERROR] {problem}" for problem in self.problems]}
        return answer


@dataclass
class _ResponseUrl:
    channel: str | None  # where the payload came from, so replace_original/in_channel posts can change messages
    message_ts: str | None
    accepted: int = 0
    expired: bool = False  # Slack's response_urls last 30 minutes


class FakeSlack:
    BOT_TOKEN = "xoxb-fake-bot-token"
    APP_TOKEN = "xapp-1-AFAKEAPP-1700000000000-fakeappleveltoken0123"  # app-level, for Socket Mode
    BOT_USER_ID = "UBOT"
    BOT_ID = "BFAKE"
    TEAM_ID = "T0FAKE"
    APP_ID = "AFAKEAPP"
    RESPONSE_URL_POST_LIMIT = 5  # Slack accepts 5 posts per response_url

    def __init__(self, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token = configured(bot_token)
        self.app_token = configured(app_token)
        self.socket_mode: SocketModeLinks | None = None  # answers apps.connections.open when set
        self.usergroup_members: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # users.info overrides, by user id
        self._lock = threading.RLock()
        self._calls: list[ApiCall] = []
        self._response_posts: list[ResponseUrlPost] = []
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._failures: defaultdict[str, deque[str]] = defaultdict(deque)
        self._rate_limited: defaultdict[str, deque[int]] = defaultdict(deque)
        self._down = False
        self._log: list[str] = []  # one line per request, for wait_for's timeout report
        self._ts = 1_700_000_000_000_000  # microseconds: message ts values are unique and increasing
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeSlack:
        if self._server is None:
            self._server = _Server(self)
            # A short poll interval makes stop() quick: shutdown() waits for the serving loop to notice.
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.02,), name="fake-slack", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ---- what was received

    @property
    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    @property
    def response_posts(self) -> list[ResponseUrlPost]:
        with self._lock:
            return list(self._response_posts)

    def new_response_url(self, channel: str | None = None, message_ts: str | None = None) -> str:
        key = uuid.uuid4().hex
        with self._lock:
            self._response_urls[key] = _ResponseUrl(channel, message_ts)
        return f"{self.base_url}/response/{key}"

    def posts_to(self, response_url: str) -> list[ResponseUrlPost]:
        key = urlsplit(response_url).path.rsplit("/", 1)[-1]
        with self._lock:
            return [post for post in self._response_posts if post.key == key]

    def messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        with self._lock:
            return {key: dict(value) for key, value in self._messages.items()}

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            try:
                return dict(self._messages[(channel, ts)])
            except KeyError:
                raise KeyError(f"no message ({channel!r}, {ts!r}); have {sorted(self._messages)}") from None

    def new_ts(self) -> str:
        with self._lock:
            self._ts += 100
            return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def wait_for(self, predicate: Callable[[FakeSlack], T], timeout: float = 10.0) -> T:
        """Poll until predicate(self) is truthy; a LookupError or AssertionError from it means "not yet"."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                value = predicate(self)
            except (LookupError, AssertionError) as error:
                last_error = error
            else:
                if value:
                    return value
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(timeout, last_error))
            time.sleep(0.01)

    def fail_next(self, method: str, error: str) -> None:
        with self._lock:
            self._failures[method].append(error)

    def expire_response_urls(self) -> None:
        """Every response_url issued so far is past Slack's 30 minutes: posts to it answer 404
        (docs.slack.dev/interactivity/handling-user-interaction: "up to 5 times within 30 minutes")."""
        with self._lock:
            for target in self._response_urls.values():
                target.expired = True

    def outage(self) -> None:
        """Slack is down: every Web API call answers HTTP 503 until `restore()` (status.slack.com's "outage";
        slack_sdk raises for it and retries nothing)."""
        with self._lock:
            self._down = True

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer as Slack does over a rate limit: HTTP 429, a `Retry-After`
        header in seconds and `{"ok": false, "error": "ratelimited"}` (docs.slack.dev/apis/web-api/rate-limits)."""
        with self._lock:
            self._rate_limited[method].extend([retry_after] * times)

    def _timeout_report(self, timeout: float, last_error: Exception | None) -> str:
        with self._lock:
            recent = self._log[-20:]
        lines = [f"condition not met within {timeout:g}s"]
        if last_error is not None:
            lines.append(f"last error from the predicate: {last_error!r}")
        lines.append(f"recent requests to the fake ({len(recent)} shown):" if recent else "no request reached the fake")
        lines.extend(f"  {line}" for line in recent)
        return "\n".join(lines)

    # ---- HTTP dispatch (called from server threads)

    def _handle(
        self, verb: str, path: str, content_type: str, auth: str | None, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(path)
        if url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
            with self._lock:
                down = self._down
                retry_after = self._rate_limited[method].popleft() if self._rate_limited[method] else None
            if down:
                self._record(ApiCall(method, {}, None), {"ok": False, "error": "service_unavailable"})
                return 503, {"Content-Type": "text/html"}, b"<html>503 Service Unavailable</html>"
            if retry_after is not None:
                limited = {"ok": False, "error": "ratelimited"}
                self._record(ApiCall(method, {}, None), limited)
                return 429, {**JSON_TYPE, "Retry-After": str(retry_after)}, json.dumps(limited).encode()
            answer = self._api(method, url.query, content_type, auth, body)
            return 200, JSON_TYPE, json.dumps(answer).encode()
        if url.path.startswith("/response/") and verb == "POST":
            status, text = self._response_url(url.path.removeprefix("/response/"), body)
            return status, {"Content-Type": "text/html"}, text.encode()
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _api(self, method: str, query: str, content_type: str, auth: str | None, body: bytes) -> dict[str, Any]:
        token = auth.removeprefix("Bearer ").strip() if auth and auth.startswith("Bearer ") else None
        try:
            args = _decode_args(query, content_type, body)
        except SlackError as error:
            args = {"_raw": body[:200].decode(errors="replace")}
            return self._record(ApiCall(method, args, token), error.response())
        in_header = token is not None
        if token is None and isinstance(args.get("token"), str):
            token = args["token"]
        call = ApiCall(method, args, token)
        with self._lock:
            try:
                if not token:
                    raise SlackError("not_authed")
                self._check_token_type(method, token, in_header)
                handler = _METHODS.get(method)
                if handler is None:
                    raise SlackError("unknown_method")
                if self._failures[method]:
                    raise SlackError(self._failures[method].popleft())
                answer = handler(self, args)
            except SlackError as error:
                answer = error.response()
            except Exception as error:  # a bug in the fake must show up, not hang the bot's test
                traceback.print_exc()
                answer = {"ok": False, "error": "fatal_error", "detail": repr(error)}
            return self._record(call, answer)

    def _check_token_type(self, method: str, token: str, in_header: bool) -> None:
        """Slack's token rules: only the app-level token opens Socket Mode connections, and it does nothing else."""
        if method in _APP_TOKEN_METHODS:
            if token == self.bot_token:
                raise SlackError("not_allowed_token_type")
            if token != self.app_token:
                raise SlackError("invalid_auth")
            if not in_header:  # Slack: "passing it as a POST parameter will result in an error"
                raise SlackError("not_authed")
        elif token == self.app_token:
            raise SlackError("not_allowed_token_type")
        elif token != self.bot_token:
            raise SlackError("invalid_auth")

    def _record(self, call: ApiCall, answer: dict[str, Any]) -> dict[str, Any]:
        call.response = answer
        outcome = "ok" if answer.get("ok") else answer.get("error")
        with self._lock:
            self._calls.append(call)
            self._log.append(f"{call.method}({_short(call.args)}) -> {outcome}")
        return answer

    def _response_url(self, key: str, raw: bytes) -> tuple[int, str]:
        with self._lock:
            status, text, body = self._response_url_locked(key, raw)
            self._log.append(f"POST response_url {key[:8]}…({_short(body)}) -> {status} {text}")
            return status, text

    def _response_url_locked(self, key: str, raw: bytes) -> tuple[int, str, dict[str, Any]]:
        target = self._response_urls.get(key)
        if target is None:
            return 404, "no_service", {}
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, "invalid_payload", {}
        if not isinstance(body, dict):
            return 400, "invalid_payload", {}
        if target.accepted >= self.RESPONSE_URL_POST_LIMIT or target.expired:
            return 404, "used_url" if not target.expired else "expired_url", body
        deleting = _truthy(body.get("delete_original"))
        if not deleting and not (body.get("text") or body.get("blocks") or body.get("attachments")):
            return 400, "no_text", body
        if "blocks" in body and _block_problems(body["blocks"], MESSAGE_BLOCK_LIMIT):
            return 400, "invalid_blocks", body
        target.accepted += 1
        self._response_posts.append(ResponseUrlPost(key, body))
        self._apply_response_post(target, body, deleting)
        return 200, "ok", body

    def _apply_response_post(self, target: _ResponseUrl, body: dict[str, Any], deleting: bool) -> None:
        # What Slack does to a channel message the payload came from; ephemeral changes leave no trace here.
        content = {k: v for k, v in body.items() if k not in ("replace_original", "delete_original", "response_type")}
        if target.channel and target.message_ts and (target.channel, target.message_ts) in self._messages:
            origin = (target.channel, target.message_ts)
            if deleting:
                del self._messages[origin]
                return
            if _truthy(body.get("replace_original")):
                self._messages[origin] = {"channel": origin[0], "ts": origin[1], **content}
                return
        if not deleting and body.get("response_type") == "in_channel" and target.channel:
            ts = self.new_ts()
            self._messages[(target.channel, ts)] = {"channel": target.channel, "ts": ts, **content}

    # ---- Web API methods; each takes decoded args and returns the ok answer or raises SlackError

    def _apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode is None:
            raise RuntimeError("apps.connections.open: set FakeSlack.socket_mode to a started FakeSocketMode")
        return {"ok": True, "url": self.socket_mode.issue_url()}

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": args.get("text") or "",
            "user": self.BOT_USER_ID,
            "bot_id": self.BOT_ID,
            "app_id": self.APP_ID,
            "team": self.TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key):
                message[key] = args[key]
        return message

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "rollbackbot",
            "team_id": self.TEAM_ID,
            "user_id": self.BOT_USER_ID,
            "bot_id": self.BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        _check_message_content(args)
        ts = self.new_ts()
        self._messages[(channel, ts)] = {**args, "ts": ts}
        return {"ok": True, "channel": channel, "ts": ts, "message": self._bot_message(args, ts)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        ts = _required(args, "ts", "message_not_found")
        old = self._messages.get((channel, ts))
        if old is None:
            raise SlackError("message_not_found")
        _check_message_content(args)
        # Slack keeps the previous blocks/attachments when the update leaves them out.
        merged = {**old, **args, "ts": ts}
        self._messages[(channel, ts)] = merged
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": merged.get("text") or "",
            "message": self._bot_message(merged, ts),
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        ts = _required(args, "ts", "message_not_found")
        if self._messages.pop((channel, ts), None) is None:
            raise SlackError("message_not_found")
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        _required(args, "channel", "channel_not_found")
        _required(args, "user", "user_not_found")
        _check_message_content(args)
        return {"ok": True, "message_ts": self.new_ts()}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        ts = _required(args, "message_ts", "message_not_found")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        _required(args, "trigger_id", "invalid_trigger_id")
        return {"ok": True, "view": self._store_view(_view_arg(args), None)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _view_arg(args)
        view_id = args.get("view_id")
        if not view_id:
            external_id = args.get("external_id")
            if not external_id:
                raise SlackError("invalid_arguments")
            view_id = next((k for k, v in self._views.items() if v.get("external_id") == external_id), None)
        if view_id not in self._views:
            raise SlackError("not_found")
        return {"ok": True, "view": self._store_view(view, str(view_id))}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        _required(args, "user_id", "invalid_arguments")
        return {"ok": True, "view": self._store_view(_view_arg(args), None)}

    def _store_view(self, view: dict[str, Any], view_id: str | None) -> dict[str, Any]:
        view_id = view_id or "V" + uuid.uuid4().hex[:10].upper()
        stored = {
            **view,
            "id": view_id,
            "team_id": self.TEAM_ID,
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.APP_ID,
            "bot_id": self.BOT_ID,
        }
        self._views[view_id] = stored
        return stored

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup")
        if not group or group not in self.usergroup_members:
            raise SlackError("no_such_subteam")
        return {"ok": True, "users": list(self.usergroup_members[group])}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = _required(args, "user", "user_not_found")
        if user_id in self.users:
            return {"ok": True, "user": dict(self.users[user_id])}
        if user_id[:1] not in ("U", "W"):
            raise SlackError("user_not_found")
        name = user_id[1:].lower() or user_id.lower()
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "team_id": self.TEAM_ID,
                "name": name,
                "real_name": name.title(),
                "tz": "UTC",
                "tz_label": "Coordinated Universal Time",
                "tz_offset": 0,
                "deleted": False,
                "is_bot": user_id == self.BOT_USER_ID,
                "profile": {"real_name": name.title(), "display_name": name},
            },
        }


_METHODS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "apps.connections.open": FakeSlack._apps_connections_open,
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._chat_post_message,
    "chat.update": FakeSlack._chat_update,
    "chat.delete": FakeSlack._chat_delete,
    "chat.postEphemeral": FakeSlack._chat_post_ephemeral,
    "chat.getPermalink": FakeSlack._chat_get_permalink,
    "views.open": FakeSlack._views_open,
    "views.update": FakeSlack._views_update,
    "views.publish": FakeSlack._views_publish,
    "usergroups.users.list": FakeSlack._usergroups_users_list,
    "users.info": FakeSlack._users_info,
}


_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


# ---- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up early is no news; anything else is a bug in the fake worth seeing.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.fake._handle(
            self.command, self.path, self.headers.get("Content-Type", ""), self.headers.get("Authorization"), body
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


# ---- decoding and validation helpers


def _decode_args(query: str, content_type: str, body: bytes) -> dict[str, Any]:
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


def _required(args: dict[str, Any], key: str, error: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise SlackError(error)
    return value


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def _check_message_content(args: dict[str, Any]) -> None:
    if not (args.get("text") or args.get("blocks") or args.get("attachments")):
        raise SlackError("no_text")
    if "blocks" in args:
        problems = _block_problems(args["blocks"], MESSAGE_BLOCK_LIMIT)
        if problems:
            raise SlackError("invalid_blocks", problems)


def _view_arg(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", ["view must be an object [json-pointer:/view]"])
    problems = _block_problems(view.get("blocks", []), VIEW_BLOCK_LIMIT, "/view/blocks")
    if problems:
        raise SlackError("invalid_blocks", problems)
    problems = []
    if view.get("type") not in ("modal", "home"):
        problems.append("view type must be modal or home [json-pointer:/view/type]")
    if view.get("type") == "modal":
        problems += _text_problems(view.get("title"), 24, "/view/title", plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            problems += _text_problems(view[key], 24, f"/view/{key}", plain_only=True)
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("must be less than 256 characters [json-pointer:/view/callback_id]")
    if problems:
        raise SlackError("invalid_arguments", problems)
    return view


def _block_problems(blocks: Any, limit: int, where: str = "/blocks") -> list[str]:
    """Slack's Block Kit limits, as messages in Slack's own "[json-pointer:...]" style."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{where}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{where}]")
    action_ids: set[str] = set()
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        at = f"{where}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"must be an object with a type [json-pointer:{at}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not 0 < len(block_id) <= 255:
                problems.append(f"block_id must be 1 to 255 characters [json-pointer:{at}/block_id]")
            elif block_id in block_ids:
                problems.append(f"duplicate block_id {block_id!r} [json-pointer:{at}/block_id]")
            else:
                block_ids.add(block_id)
        kind = block["type"]
        if kind not in KNOWN_BLOCK_TYPES:
            problems.append(f"unknown block type {kind!r} [json-pointer:{at}/type]")
        elif kind == "section":
            problems += _section_problems(block, at, action_ids)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 25:
                problems.append(f"must hold 1 to 25 elements [json-pointer:{at}/elements]")
            else:
                for i, element in enumerate(elements):
                    problems += _element_problems(element, f"{at}/elements/{i}", action_ids)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 10:
                problems.append(f"must hold 1 to 10 elements [json-pointer:{at}/elements]")
        elif kind == "header":
            problems += _text_problems(block.get("text"), 150, f"{at}/text", plain_only=True)
        elif kind == "input":
            problems += _text_problems(block.get("label"), 2000, f"{at}/label", plain_only=True)
            problems += _element_problems(block.get("element"), f"{at}/element", action_ids)
    return problems


def _section_problems(block: dict[str, Any], at: str, action_ids: set[str]) -> list[str]:
    problems: list[str] = []
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        problems.append(f"section needs text or fields [json-pointer:{at}]")
    if text is not None:
        problems += _text_problems(text, 3000, f"{at}/text")
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > 10:
            problems.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
        else:
            for i, item in enumerate(fields):
                problems += _text_problems(item, 2000, f"{at}/fields/{i}")
    if "accessory" in block:
        problems += _element_problems(block["accessory"], f"{at}/accessory", action_ids)
    return problems


def _element_problems(element: Any, at: str, action_ids: set[str]) -> list[str]:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [f"must be an object with a type [json-pointer:{at}]"]
    problems: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or not 0 < len(action_id) <= 255:
            problems.append(f"action_id must be 1 to 255 characters [json-pointer:{at}/action_id]")
        elif action_id in action_ids:
            problems.append(f"duplicate action_id {action_id!r} [json-pointer:{at}/action_id]")
        else:
            action_ids.add(action_id)
    if element["type"] == "button":
        problems += _text_problems(element.get("text"), 75, f"{at}/text", plain_only=True)
        if len(str(element.get("value", ""))) > 2000:
            problems.append(f"must be less than 2001 characters [json-pointer:{at}/value]")
        if len(str(element.get("url", ""))) > 3000:
            problems.append(f"must be less than 3001 characters [json-pointer:{at}/url]")
        if "style" in element and element["style"] not in ("primary", "danger"):
            problems.append(f"style must be primary or danger [json-pointer:{at}/style]")
    if "confirm" in element:
        problems += _confirm_problems(element["confirm"], f"{at}/confirm")
    return problems


def _confirm_problems(confirm: Any, at: str) -> list[str]:
    if not isinstance(confirm, dict):
        return [f"must be an object [json-pointer:{at}]"]
    problems = _text_problems(confirm.get("title"), 100, f"{at}/title", plain_only=True)
    problems += _text_problems(confirm.get("text"), 300, f"{at}/text")
    problems += _text_problems(confirm.get("confirm"), 30, f"{at}/confirm", plain_only=True)
    problems += _text_problems(confirm.get("deny"), 30, f"{at}/deny", plain_only=True)
    if "style" in confirm and confirm["style"] not in ("primary", "danger"):
        problems.append(f"style must be primary or danger [json-pointer:{at}/style]")
    return problems


def _text_problems(text: Any, limit: int, at: str, *, plain_only: bool = False) -> list[str]:
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(text, dict) or text.get("type") not in kinds or not isinstance(text.get("text"), str):
        return [f"must be a {' or '.join(kinds)} text object [json-pointer:{at}]"]
    if not text["text"]:
        return [f"must be more than 0 characters [json-pointer:{at}/text]"]
    if len(text["text"]) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{at}/text]"]
    return []


def _short(args: dict[str, Any]) -> str:
    parts = []
    for key, value in args.items():
        if key == "token":
            continue
        if key == "blocks" and isinstance(value, list):
            shown = f"<{len(value)} blocks>"
        elif key == "view" and isinstance(value, dict):
            shown = f"<view {value.get('callback_id') or value.get('type')}>"
        else:
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
        parts.append(f"{key}={shown}")
    return ", ".join(parts)
