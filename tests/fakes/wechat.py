"""A fake WeChat code-management API: a real HTTP server on loopback with the documented semantics.

Kept true to WeChat's documentation (developers.weixin.qq.com) and ../shared/wechat-api.md:
- Code management (tests/fakes/wechat_code.py): revertcoderelease (listing OLDEST FIRST by commit_time, as the
  API page's example shows; `action` wins over `app_version`; five versions kept; one rollback per release;
  87011 during a phased release), getversioninfo, getgrayreleaseplan, and revertgrayrelease, which is an
  error when no phased release runs (its errcode is undocumented: NO_GRAY_PLAN is the fake's choice).
- Every error answer carries WeChat's errmsg and its ` rid: <hex>-<hex>-<hex>` suffix (tests/fakes/wechat_errors.py).
- An unknown path answers HTTP 200 with errcode 40066 ("invalid url": "请检查API的URL是否与文档一致"), a known
  path with the wrong method 43001/43002 (global error codes: doc/oplatform/developers/errCode/errCode.html,
  doc/store/API/basics/commErrCode.html); never an HTML 404.
- Tokens (tests/fakes/wechat_tokens.py): stable_token, cgi-bin/token and the third-party platform's component
  and authorizer tokens, with their lifetimes, replacement grace and forced-refresh limits on a clock that
  `advance()` moves forward.

Test controls: `fail_next` queues a Fault for a path (LIST_KEY for listings); `latency` maps a path (LIST_KEY
for listings, ANY_CALL for every path not listed) to seconds to wait before every answer to it, for as long as
it is set (`set_latency`). Unlike a Fault it is not consumed, so many concurrent calls are all slow. Empty by
default: nothing waits.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.wechat_code import KEPT_VERSIONS, NO_GRAY_PLAN, REVERT, FakeMiniProgram, FakeVersion
from tests.fakes.wechat_errors import ERRMSG, error
from tests.fakes.wechat_tokens import FakeTokenIssuer

__all__ = [
    "ERRMSG",
    "GRAY_PLAN",
    "KEPT_VERSIONS",
    "NO_GRAY_PLAN",
    "REVERT",
    "REVERT_GRAY",
    "FakeVersion",
    "FakeWeChat",
    "Fault",
]

STABLE_TOKEN = "/cgi-bin/stable_token"
PLAIN_TOKEN = "/cgi-bin/token"
COMPONENT_TOKEN = "/cgi-bin/component/api_component_token"
AUTHORIZER_TOKEN = "/cgi-bin/component/api_authorizer_token"
TOKEN_PATHS = (STABLE_TOKEN, PLAIN_TOKEN, COMPONENT_TOKEN, AUTHORIZER_TOKEN)  # no access_token needed
LIST_KEY = REVERT + "#list"  # fault key for listing calls, which share the rollback's path
REVERT_GRAY = "/wxa/revertgrayrelease"
GRAY_PLAN = "/wxa/getgrayreleaseplan"
ANY_CALL = "*"  # latency key for every path without a latency of its own
UNKNOWN_PATH, REQUIRE_GET, REQUIRE_POST = 40066, 43001, 43002

Answer = dict[str, Any] | bytes  # a dict is sent as JSON, bytes as a raw non-JSON body


@dataclass
class Fault:
    """One injected fault, consumed by the next matching call."""

    errcode: int | None = None  # answer this errcode (with its real errmsg and a rid) instead
    apply: bool = False  # for a rollback or revertgrayrelease: perform it anyway, then answer the fault (lost answer)
    delay: float = 0.0  # seconds to wait before answering
    status: int | None = None  # answer this HTTP status with a non-JSON body
    body: str | None = None  # answer this raw body with status 200
    hold: threading.Event | None = None  # wait until the test sets it before answering (after apply, if any)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float


class FakeWeChat(FakeMiniProgram):
    """One mini program's WeChat: the code-management state of FakeMiniProgram, served over HTTP, with tokens."""

    APPID = "wxfa4e0000000000a1"
    SECRET = "fake-secret-value-0123456789"
    COMPONENT_APPID = "wxc0a90e0000000002"
    COMPONENT_SECRET = "fake-component-secret-0123"

    def __init__(
        self,
        appid: str = APPID,
        secret: str = SECRET,
        component_appid: str = COMPONENT_APPID,
        component_secret: str = COMPONENT_SECRET,
    ) -> None:
        super().__init__()
        self.appid = appid
        self.component_appid = component_appid
        self.tokens = FakeTokenIssuer(appid, secret, component_appid, component_secret)
        self.calls: list[Call] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.latency: dict[str, float] = {}  # path (or LIST_KEY, ANY_CALL) -> seconds before each answer
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    # --- life cycle
    def start(self) -> FakeWeChat:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet, and request lines hold tokens

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True  # a delayed answer must not hold up stop()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-wechat", daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- set-up and inspection
    def fail_next(self, path: str, fault: Fault) -> None:
        with self._lock:
            self._faults[path].append(fault)

    def set_latency(self, path: str, seconds: float) -> None:
        """Answer every call to `path` (LIST_KEY for listings, ANY_CALL for all others) `seconds` late; 0 clears it.

        The wait comes before anything else, so the call is recorded on arrival and takes effect when answered.
        """
        with self._lock:
            if seconds > 0:
                self.latency[path] = seconds
            else:
                self.latency.pop(path, None)

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.path == path]

    def rollback_calls(self) -> list[Call]:
        return [call for call in self.calls_to(REVERT) if "action" not in call.query]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # --- tokens: the controls of tests/fakes/wechat_tokens.py, under the names tests have always used
    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward: tokens expire and grace periods end without waiting."""
        self.tokens.clock.advance(seconds)

    def issue_token(self) -> str:
        """A new access token valid for the /wxa/ calls, as a central token service would hand out."""
        return self.tokens.issue_token()

    def expire_tokens(self) -> None:
        self.tokens.expire_tokens()

    def expire_component_tokens(self) -> None:
        self.tokens.expire_component_tokens()

    def expire_ticket(self) -> str:
        """WeChat pushes a new ticket; the old one now answers 61005. Returns the new one."""
        return self.tokens.expire_ticket()

    def reauthorize(self, appid: str | None = None) -> str:
        """The mini program authorizes the platform again: returns its new refresh token (the old one: 5 min)."""
        return self.tokens.reauthorize(appid)

    def issued(self, token: str | None) -> bool:
        """Whether this fake ever issued the access token, valid or not."""
        return self.tokens.issued(token)

    @property
    def secret(self) -> str:
        return self.tokens.secret

    @property
    def component_secret(self) -> str:
        return self.tokens.component_secret

    @property
    def verify_ticket(self) -> str:
        return self.tokens.verify_ticket

    @property
    def authorizer_refresh_tokens(self) -> dict[str, str]:
        return self.tokens.authorizer_refresh_tokens

    @property
    def token_fetches(self) -> int:
        return self.tokens.token_fetches

    @property
    def component_token_fetches(self) -> int:
        return self.tokens.component_token_fetches

    @property
    def authorizer_token_fetches(self) -> int:
        return self.tokens.authorizer_token_fetches

    @property
    def valid_tokens(self) -> set[str]:
        return self.tokens.valid_tokens

    @property
    def valid_component_tokens(self) -> set[str]:
        return self.tokens.valid_component_tokens

    # --- HTTP
    def _handle(self, http: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(http.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        raw = http.rfile.read(int(http.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")  # kept as text so tests can see what was sent
        with self._lock:
            self.calls.append(Call(method, url.path, query, body, time.monotonic()))
        status, answer = self._answer(method, url.path, query, body, raw)
        payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        http.send_response(status)
        http.send_header("Content-Type", "text/html" if isinstance(answer, bytes) else "application/json")
        http.send_header("Content-Length", str(len(payload)))
        http.end_headers()
        # The client may have given up waiting (a timeout test): that is the point, not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            http.wfile.write(payload)

    def _routes(self, query: dict[str, str], body: Any, raw: bytes) -> dict[tuple[str, str], Callable[[], Answer]]:
        json_body = body if isinstance(body, dict) else {}
        return {
            ("POST", STABLE_TOKEN): lambda: self.tokens.stable_token(json_body),
            ("GET", PLAIN_TOKEN): lambda: self.tokens.plain_token(query),
            ("POST", COMPONENT_TOKEN): lambda: self.tokens.component_token(json_body),
            ("POST", AUTHORIZER_TOKEN): lambda: self.tokens.authorizer_token(query, json_body),
            ("GET", REVERT): lambda: self.revert(query),
            ("POST", "/wxa/getversioninfo"): lambda: self.version_info(raw),
            ("GET", GRAY_PLAN): self.gray_plan,
            ("GET", REVERT_GRAY): self.revert_gray,
            ("POST", "/cgi-bin/openapi/quota/get"): lambda: self.quota(body, len(self.rollback_calls())),
        }

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any, raw: bytes) -> tuple[int, Answer]:
        routes = self._routes(query, body, raw)
        run = routes.get((method, path))
        if run is None:
            # WeChat answers JSON with HTTP 200 even here: a wrong method on a known path, or no such API.
            methods = {known for known, route in routes if route == path}
            if methods:
                return 200, error(REQUIRE_POST if "POST" in methods else REQUIRE_GET)
            return 200, error(UNKNOWN_PATH)
        is_listing = path == REVERT and "action" in query
        with self._lock:
            latency = self.latency.get(LIST_KEY if is_listing else path, self.latency.get(ANY_CALL, 0.0))
        if latency > 0:
            time.sleep(latency)  # outside the lock: other requests keep being served
        if path not in TOKEN_PATHS:
            # The token is checked before anything else, so a queued fault waits for an authorised call.
            refused = self.tokens.check_access_token(query.get("access_token"))
            if refused:
                return 200, refused
        fault = self._take_fault(LIST_KEY if is_listing else path)
        if fault is None:
            return 200, run()
        is_change = (path == REVERT and not is_listing) or path == REVERT_GRAY
        return self._faulty(fault, run, is_change=is_change)

    def _faulty(self, fault: Fault, run: Callable[[], Answer], *, is_change: bool) -> tuple[int, Answer]:
        # apply=True: the change (a rollback, stopping a phased release) happens before the delay, as when the
        # client times out on an applied change.
        applied = run() if (fault.apply and is_change) else None
        if fault.delay:
            time.sleep(fault.delay)  # outside the lock: other requests keep being served
        if fault.hold is not None:
            fault.hold.wait(timeout=120)  # bounded: a test that forgets to release does not hang the fake
        if fault.status is not None:
            return fault.status, f"<html>{fault.status} Bad Gateway</html>".encode()
        if fault.body is not None:
            return 200, fault.body.encode()
        if fault.errcode is not None:
            return 200, error(fault.errcode)
        return 200, applied if applied is not None else run()

    def _take_fault(self, key: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(key)
            return queue.popleft() if queue else None
