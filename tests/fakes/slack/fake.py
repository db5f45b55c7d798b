"""FakeSlack: a real local HTTP server for the Web API and for response_url posts, recording what it gets."""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from tests.fakes import configured, issued
from tests.fakes.slack.channels import Channel, ChannelKind, Channels
from tests.fakes.slack.messages import MessageStore
from tests.fakes.slack.methods import METHODS, check_token
from tests.fakes.slack.rate_limits import DEFAULT_RATE_LIMITS, RateLimit, RateLimiter
from tests.fakes.slack.records import JSON_TYPE, ApiCall, ResponseUrlPost, SlackError, SocketModeLinks, short
from tests.fakes.slack.response_urls import RESPONSE_URL_POST_LIMIT, ResponseUrls
from tests.fakes.slack.triggers import TriggerIds
from tests.fakes.slack.users import Guest, user_object
from tests.fakes.slack.wire import Server, decode_args

T = TypeVar("T")
_RESPONSE_URL_PATH = re.compile(r"/(?:commands|actions)/[A-Z0-9]+/[0-9]+/([0-9a-f]+)")


class FakeSlack:
    BOT_TOKEN = "xoxb-fake-bot-token"
    APP_TOKEN = "xapp-1-AFAKEAPP-1700000000000-fakeappleveltoken0123"  # app-level, for Socket Mode
    BOT_USER_ID = "UBOT"
    BOT_ID = "BFAKE"
    TEAM_ID = "T0FAKE"
    APP_ID = "AFAKEAPP"
    RESPONSE_URL_POST_LIMIT = RESPONSE_URL_POST_LIMIT

    def __init__(
        self,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        *,
        rate_limits: Mapping[str, RateLimit | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`rate_limits` replaces the documented limit of the methods it names (None: no limit); `clock` (seconds,
        monotonic) times rate limits and trigger_ids, so a test can move it instead of waiting."""
        self.bot_token = configured(bot_token)
        self.app_token = configured(app_token)
        self.socket_mode: SocketModeLinks | None = None  # answers apps.connections.open when set
        self.usergroup_members: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # users.info answers, by user id (see add_user)
        self.channels = Channels()
        self.store = MessageStore()
        self.triggers = TriggerIds(clock)
        self.views: dict[str, dict[str, Any]] = {}
        self._limiter = RateLimiter({**DEFAULT_RATE_LIMITS, **(rate_limits or {})}, clock)
        self._response_urls = ResponseUrls(self.store)
        self._response_url_count = 0
        self._lock = threading.RLock()
        self._calls: list[ApiCall] = []
        self._failures: defaultdict[str, deque[str]] = defaultdict(deque)
        self._down = False
        self._spared: frozenset[str] = frozenset()
        self._answers_lost: defaultdict[str, int] = defaultdict(int)
        self._answers_held: defaultdict[str, deque[threading.Event]] = defaultdict(deque)
        self._calls_held: defaultdict[str, deque[threading.Event]] = defaultdict(deque)
        self._log: list[str] = []  # one line per request, for wait_for's timeout report
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeSlack:
        if self._server is None:
            self._server = Server(self)
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

    # ---- the workspace, set up by tests

    def add_channel(
        self, channel_id: str, kind: ChannelKind | None = None, *, bot_member: bool = True, archived: bool = False
    ) -> Channel:
        """Declare a conversation (see channels.py); `kind` defaults from the id: D im, G mpim, C public."""
        with self._lock:
            return self.channels.add(channel_id, kind, bot_member=bot_member, archived=archived)

    def archive(self, channel_id: str) -> None:
        with self._lock:
            self.channels.archive(channel_id)

    def unarchive(self, channel_id: str) -> None:
        with self._lock:
            self.channels.unarchive(channel_id)

    def add_user(
        self,
        user_id: str,
        *,
        guest: Guest = False,
        external: bool = False,
        stranger: bool = False,
        deleted: bool = False,
        is_bot: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """What users.info answers for `user_id` from now on (see users.py for each flag)."""
        user = user_object(
            user_id, self.TEAM_ID, guest=guest, external=external, stranger=stranger, deleted=deleted, is_bot=is_bot,
            **fields,
        )  # fmt: skip
        with self._lock:
            self.users[user_id] = user
        return dict(user)

    def new_trigger_id(self) -> str:
        """A trigger_id as Slack sends with an interaction: views.open takes it once, within 3 seconds."""
        with self._lock:
            return self.triggers.issue()

    def deliver_late(self, late: bool) -> None:
        """Each interaction from now on reaches the bot after its trigger_id's 3 seconds (or, False, in time)."""
        with self._lock:
            self.triggers.late = late

    def expire_trigger_ids(self) -> None:
        """Every trigger_id issued so far is past its 3 seconds."""
        with self._lock:
            self.triggers.expire_all()

    def new_response_url(
        self, channel: str | None = None, message_ts: str | None = None, *, from_command: bool = False
    ) -> str:
        """A response_url for an interaction on the message (channel, message_ts), or for a slash command in
        `channel` with `from_command` (which Slack never lets replace anything)."""
        with self._lock:
            key = issued(self._response_urls.issue(channel, message_ts, from_command))
            self._response_url_count += 1
            number = 1_000_000 + self._response_url_count
        # Slack's shape (https://hooks.slack.com/commands/T…/…/SECRET, /actions/…): the last part is the
        # capability, which must never reach a log line (tests/conftest.py checks it, as an issued secret).
        kind = "commands" if from_command else "actions"
        return f"{self.base_url}/{kind}/{self.TEAM_ID}/{number}/{key}"

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
            return list(self._response_urls.posts)

    def posts_to(self, response_url: str) -> list[ResponseUrlPost]:
        key = urlsplit(response_url).path.rsplit("/", 1)[-1]
        with self._lock:
            return [post for post in self._response_urls.posts if post.key == key]

    def messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        with self._lock:
            return {key: dict(value) for key, value in self.store.by_key.items()}

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            try:
                return dict(self.store.by_key[(channel, ts)])
            except KeyError:
                raise KeyError(f"no message ({channel!r}, {ts!r}); have {sorted(self.store.by_key)}") from None

    def new_ts(self) -> str:
        with self._lock:
            return self.store.new_ts()

    def wait_for(self, predicate: Callable[[FakeSlack], T | Literal[False, ""] | None], timeout: float = 10.0) -> T:
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

    # ---- faults

    def fail_next(self, method: str, error: str) -> None:
        with self._lock:
            self._failures[method].append(error)

    def expire_response_urls(self) -> None:
        """Every response_url issued so far is past Slack's 30 minutes: posts to it answer 404."""
        with self._lock:
            self._response_urls.expire_all()

    def outage(self, sparing: tuple[str, ...] = ()) -> None:
        """Slack is down: every Web API call answers HTTP 503 until `restore()` (status.slack.com's "outage";
        slack_sdk raises for it and retries nothing). `sparing` names methods that keep answering: Slack's
        incidents are often partial (status.slack.com reports each feature on its own)."""
        with self._lock:
            self._down = True
            self._spared = frozenset(sparing)

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def lose_answer_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out, and the connection drops before the answer: what a
        client sees when Slack is slower than its timeout or a proxy resets the connection. The bot cannot tell
        such a call from one Slack never got."""
        with self._lock:
            self._answers_lost[method] += times

    def hold_answer_next(self, method: str, until: threading.Event) -> None:
        """The next call of `method` is carried out (and recorded), and its answer held back until `until` is set:
        a caller stalled mid-call, or paused (SIGSTOP) while the answer is on its way. A bound of two minutes keeps
        a test that never sets it from hanging the fake."""
        with self._lock:
            self._answers_held[method].append(until)

    def hold_call_next(self, method: str, until: threading.Event) -> None:
        """The next call of `method` is received and held, not carried out, until `until` is set (then carried out
        and answered): a request slow on its way to Slack. Bounded by two minutes, as `hold_answer_next`."""
        with self._lock:
            self._calls_held[method].append(until)

    def calls_held(self, method: str) -> int:
        """How many calls of `method` `hold_call_next` still waits to hold."""
        with self._lock:
            return len(self._calls_held[method])

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer as Slack does over a rate limit: HTTP 429, a `Retry-After`
        header in seconds and `{"ok": false, "error": "ratelimited"}` (docs.slack.dev/apis/web-api/rate-limits)."""
        with self._lock:
            self._limiter.refuse_next(method, retry_after, times)

    def set_rate_limit(self, method: str, limit: RateLimit | None) -> None:
        """Replace `method`'s documented limit (rate_limits.py); None lets every call of it through."""
        with self._lock:
            self._limiter.set(method, limit)

    def disable_rate_limits(self) -> None:
        """No method is rate limited from now on (rate_limit_next still refuses)."""
        with self._lock:
            self._limiter.disable()

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

    def handle_http(
        self, verb: str, path: str, content_type: str, auth: str | None, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(path)
        if url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
            with self._lock:
                waiting = self._calls_held[method].popleft() if self._calls_held[method] else None
            if waiting is not None:
                waiting.wait(timeout=120)
            status, headers, answer = self._api(method, url.query, content_type, auth, body)
            with self._lock:
                lost = status == 200 and answer.get("ok") is True and self._answers_lost[method] > 0
                self._answers_lost[method] -= lost
                carried_out = status == 200 and answer.get("ok") is True and self._answers_held[method]
                held = self._answers_held[method].popleft() if carried_out else None
            if held is not None:
                held.wait(timeout=120)
            if lost:
                raise ConnectionResetError(f"{method} carried out; its answer lost on the way back")
            if status == 503:
                return 503, {"Content-Type": "text/html"}, b"<html>503 Service Unavailable</html>"
            return status, {**JSON_TYPE, **headers}, json.dumps(answer).encode()
        response_url = _RESPONSE_URL_PATH.fullmatch(url.path)
        if response_url is not None and verb == "POST":
            key = response_url.group(1)
            with self._lock:
                status, text, posted = self._response_urls.post(key, body)
                self._log.append(f"POST response_url {key[:8]}…({short(posted)}) -> {status} {text}")
            return status, {"Content-Type": "text/html"}, text.encode()
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _api(
        self, method: str, query: str, content_type: str, auth: str | None, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            if self._down and method not in self._spared:
                down = {"ok": False, "error": "service_unavailable"}
                return 503, {}, self._record(ApiCall(method, {}, None, status=503), down)
        token = auth.removeprefix("Bearer ").strip() if auth and auth.startswith("Bearer ") else None
        try:
            args = decode_args(query, content_type, body)
        except SlackError as error:
            args = {"_raw": body[:200].decode(errors="replace")}
            return 200, {}, self._record(ApiCall(method, args, token), error.response())
        in_header = token is not None
        if token is None and isinstance(args.get("token"), str):
            token = args["token"]
        with self._lock:
            retry_after = self._limiter.check(method, args)
            if retry_after is not None:
                limited = {"ok": False, "error": "ratelimited"}
                self._record(ApiCall(method, args, token, status=429), limited)
                return 429, {"Retry-After": str(retry_after)}, limited
            call = ApiCall(method, args, token)
            try:
                if not token:
                    raise SlackError("not_authed")
                check_token(self, method, token, in_header)
                handler = METHODS.get(method)
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
            return 200, {}, self._record(call, answer)

    def _record(self, call: ApiCall, answer: dict[str, Any]) -> dict[str, Any]:
        call.response = answer
        outcome = "ok" if answer.get("ok") else answer.get("error")
        with self._lock:
            self._calls.append(call)
            self._log.append(f"{call.method}({short(call.args)}) -> {outcome}")
        return answer
