"""A fake WeChat code-management API: a real HTTP server on loopback with the documented semantics.

Kept faithful to ../shared/wechat-api.md: a listing call needs `action` (which wins over `app_version`),
a bare call performs a rollback, only five versions are kept, no second rollback until a new release,
a running phased release refuses the rollback, and stable_token does not invalidate other tokens.
As a third-party platform it needs the current component_verify_ticket for a component token, which is
good only for fetching authorizer tokens, and each authorizer token fetch rotates the refresh token.

A slow WeChat: `latency` maps a path (keyed like `fail_next`: LIST_KEY for listings, ANY_CALL for every path
not listed) to seconds to wait before every answer to it, for as long as it is set; `set_latency` sets it.
Unlike a Fault it is not consumed, so many concurrent calls are all slow. Empty by default: nothing waits.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes import configured, issued

ERRMSG = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40097: "invalid args",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    48001: "api unauthorized",
    61003: "component is not authorized by this account",
    61005: "component ticket is expired",
    61006: "invalid component ticket",
    61007: "api is unauthorized to component",
    61023: "invalid refresh_token",
    87011: "wxa has a gray release plan, forbid revert release",
    87012: "forbid revert this version release",
}
STABLE_TOKEN = "/cgi-bin/stable_token"
PLAIN_TOKEN = "/cgi-bin/token"
COMPONENT_TOKEN = "/cgi-bin/component/api_component_token"
AUTHORIZER_TOKEN = "/cgi-bin/component/api_authorizer_token"
TOKEN_PATHS = (STABLE_TOKEN, PLAIN_TOKEN, COMPONENT_TOKEN, AUTHORIZER_TOKEN)  # no access_token needed
REVERT = "/wxa/revertcoderelease"
LIST_KEY = REVERT + "#list"  # fault key for listing calls, which share the rollback's path
ANY_CALL = "*"  # latency key for every path without a latency of its own
KEPT_VERSIONS = 5
DAILY_LIMIT = 1000

# Token states: a replaced token answers 40001 ("not latest"), an expired one 42001.
_VALID, _REPLACED, _EXPIRED = "valid", "replaced", "expired"

Answer = dict[str, Any] | bytes  # a dict is sent as JSON, bytes as a raw non-JSON body


@dataclass
class FakeVersion:
    app_version: int
    user_version: str
    user_desc: str
    commit_time: int


@dataclass
class Fault:
    """One injected fault, consumed by the next matching call."""

    errcode: int | None = None  # answer this errcode (with its real errmsg) instead
    apply: bool = False  # for a rollback: perform it anyway, then answer the fault (a lost response)
    delay: float = 0.0  # seconds to wait before answering
    status: int | None = None  # answer this HTTP status with a non-JSON body
    body: str | None = None  # answer this raw body with status 200


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float


class FakeWeChat:
    APPID = "wx_fake_appid"
    SECRET = "fake-secret-value-0123456789"
    COMPONENT_APPID = "wx_fake_component"
    COMPONENT_SECRET = "fake-component-secret-0123"

    def __init__(
        self,
        appid: str = APPID,
        secret: str = SECRET,
        component_appid: str = COMPONENT_APPID,
        component_secret: str = COMPONENT_SECRET,
    ) -> None:
        self.appid = appid
        self.secret = configured(secret)
        self.component_appid = component_appid
        self.component_secret = configured(component_secret)
        self.verify_ticket = issued(f"ticket@@@{secrets.token_urlsafe(24)}")  # the one WeChat pushed last
        self._expired_tickets: set[str] = set()
        # authorizer AppID -> its one valid refresh token; WeChat replaces it on every authorizer token fetch.
        self.authorizer_refresh_tokens: dict[str, str] = {appid: configured(f"refresh-{secrets.token_urlsafe(24)}")}
        self.component_token_fetches = 0
        self.authorizer_token_fetches = 0
        self._component_tokens: dict[str, str] = {}  # component token -> _VALID / _EXPIRED
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.online: FakeVersion | None = None
        self.history: list[FakeVersion] = []  # rollback-eligible, most recent first
        self.rolled_back = False  # the online version came from a rollback: no second one
        self.gray_status = 0
        self.gray_percentage = 0
        self.gray_created = 0
        self.token_fetches = 0
        self._tokens: dict[str, str] = {}  # token -> _VALID / _REPLACED / _EXPIRED
        self._stable: str | None = None  # the token stable_token hands out in normal mode
        self._plain: set[str] = set()  # tokens from cgi-bin/token, which only replace each other
        self._next_app_version = 100
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
    def release(self, user_version: str, user_desc: str = "", commit_time: int | None = None) -> FakeVersion:
        with self._lock:
            when = int(time.time()) if commit_time is None else commit_time
            version = FakeVersion(self._next_app_version, user_version, user_desc, when)
            self._next_app_version += 1
            if self.online is not None:
                # WeChat keeps the most recently released or rolled-back versions, newest first.
                self.history = [self.online, *(v for v in self.history if v.app_version != self.online.app_version)]
            del self.history[KEPT_VERSIONS:]
            self.online = version
            self.rolled_back = False
            return version

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

    def set_gray_release(self, status: int, percentage: int = 10) -> None:
        with self._lock:
            self.gray_status, self.gray_percentage = status, percentage
            self.gray_created = int(time.time())

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, _EXPIRED)

    def expire_component_tokens(self) -> None:
        with self._lock:
            self._component_tokens = dict.fromkeys(self._component_tokens, _EXPIRED)

    def expire_ticket(self) -> str:
        """WeChat pushes a new ticket; the old one now answers 61005. Returns the new one."""
        with self._lock:
            self._expired_tickets.add(self.verify_ticket)
            self.verify_ticket = issued(f"ticket@@@{secrets.token_urlsafe(24)}")
            return self.verify_ticket

    def issue_token(self) -> str:
        """A new access token valid for the /wxa/ calls, as a central token service would hand out."""
        with self._lock:
            return self._issue()

    @property
    def valid_component_tokens(self) -> set[str]:
        with self._lock:
            return {token for token, state in self._component_tokens.items() if state == _VALID}

    @property
    def valid_tokens(self) -> set[str]:
        with self._lock:
            return {token for token, state in self._tokens.items() if state == _VALID}

    def issued(self, token: str | None) -> bool:
        """Whether this fake ever issued the access token, valid or not."""
        with self._lock:
            return token in self._tokens

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.path == path]

    def rollback_calls(self) -> list[Call]:
        return [call for call in self.calls_to(REVERT) if "action" not in call.query]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

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

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any, raw: bytes) -> tuple[int, Answer]:
        routes: dict[tuple[str, str], Callable[[], Answer]] = {
            ("POST", STABLE_TOKEN): lambda: self._stable_token(body if isinstance(body, dict) else {}),
            ("GET", PLAIN_TOKEN): lambda: self._plain_token(query),
            ("POST", COMPONENT_TOKEN): lambda: self._component_token(body if isinstance(body, dict) else {}),
            ("POST", AUTHORIZER_TOKEN): lambda: self._authorizer_token(query, body if isinstance(body, dict) else {}),
            ("GET", REVERT): lambda: self._revert(query),
            ("POST", "/wxa/getversioninfo"): lambda: self._version_info(raw),
            ("GET", "/wxa/getgrayreleaseplan"): self._gray_plan,
            ("GET", "/wxa/revertgrayrelease"): self._revert_gray,
            ("POST", "/cgi-bin/openapi/quota/get"): lambda: self._quota(body),
        }
        run = routes.get((method, path))
        if run is None:
            return 404, b"<html>404 Not Found</html>"
        is_listing = path == REVERT and "action" in query
        with self._lock:
            latency = self.latency.get(LIST_KEY if is_listing else path, self.latency.get(ANY_CALL, 0.0))
        if latency > 0:
            time.sleep(latency)  # outside the lock: other requests keep being served
        if path not in TOKEN_PATHS:
            # The token is checked before anything else, so a queued fault waits for an authorised call.
            with self._lock:
                refused = self._check_token(query.get("access_token"))
            if refused:
                return 200, refused
        fault = self._take_fault(LIST_KEY if is_listing else path)
        if fault is None:
            return 200, run()
        return self._faulty(fault, run, is_rollback=path == REVERT and not is_listing)

    def _faulty(self, fault: Fault, run: Callable[[], Answer], *, is_rollback: bool) -> tuple[int, Answer]:
        # apply=True: the rollback happens before the delay, as when the client times out on an applied change.
        applied = run() if (fault.apply and is_rollback) else None
        if fault.delay:
            time.sleep(fault.delay)  # outside the lock: other requests keep being served
        if fault.status is not None:
            return fault.status, f"<html>{fault.status} Bad Gateway</html>".encode()
        if fault.body is not None:
            return 200, fault.body.encode()
        if fault.errcode is not None:
            return 200, _error(fault.errcode)
        return 200, applied if applied is not None else run()

    def _take_fault(self, key: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(key)
            return queue.popleft() if queue else None

    # --- tokens
    def _credentials_error(self, appid: Any, secret: Any, grant_type: Any) -> dict[str, Any] | None:
        if grant_type != "client_credential":
            return _error(40002)
        if appid != self.appid:
            return _error(40013)
        if secret != self.secret:
            return _error(40125)
        return None

    def _issue(self) -> str:
        token = issued(secrets.token_urlsafe(48))  # 64 chars, like WeChat's long opaque tokens
        self._tokens[token] = _VALID
        self.token_fetches += 1
        return token

    def _stable_token(self, body: dict[str, Any]) -> dict[str, Any]:
        error = self._credentials_error(body.get("appid"), body.get("secret"), body.get("grant_type"))
        if error:
            return error
        with self._lock:
            # Normal mode hands back the current token; force_refresh makes a new one and the old stays valid.
            current = self._stable
            if body.get("force_refresh") is True or current is None or self._tokens.get(current) != _VALID:
                self._stable = self._issue()
            return {"access_token": self._stable, "expires_in": 7200}

    def _plain_token(self, query: dict[str, str]) -> dict[str, Any]:
        error = self._credentials_error(query.get("appid"), query.get("secret"), query.get("grant_type"))
        if error:
            return error
        with self._lock:
            # cgi-bin/token replaces its own earlier tokens (the multi-replica trap); stable ones are separate.
            for token in self._plain:
                if self._tokens[token] == _VALID:
                    self._tokens[token] = _REPLACED
            token = self._issue()
            self._plain.add(token)
            return {"access_token": token, "expires_in": 7200}

    def _component_token(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if body.get("component_appid") != self.component_appid:
                return _error(40013)
            if body.get("component_appsecret") != self.component_secret:
                return _error(40125)
            ticket = body.get("component_verify_ticket")
            if ticket in self._expired_tickets:
                return _error(61005)
            if ticket != self.verify_ticket:
                return _error(61006)
            token = issued(secrets.token_urlsafe(48))
            self._component_tokens[token] = _VALID
            self.component_token_fetches += 1
            return {"component_access_token": token, "expires_in": 7200}

    def _authorizer_token(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            component_token = query.get("component_access_token")
            if not component_token:
                return _error(41001)
            state = self._component_tokens.get(component_token)
            if state == _EXPIRED:
                return _error(42001)
            if state != _VALID:
                return _error(40001)
            if body.get("component_appid") != self.component_appid:
                return _error(40013)
            authorizer = body.get("authorizer_appid")
            if not isinstance(authorizer, str) or authorizer not in self.authorizer_refresh_tokens:
                return _error(61003)
            if body.get("authorizer_refresh_token") != self.authorizer_refresh_tokens[authorizer]:
                return _error(61023)
            # Rotated: the refresh token just used is no longer accepted.
            refresh = issued(f"refresh-{secrets.token_urlsafe(24)}")
            self.authorizer_refresh_tokens[authorizer] = refresh
            self.authorizer_token_fetches += 1
            token = self._issue()
            return {"authorizer_access_token": token, "expires_in": 7200, "authorizer_refresh_token": refresh}

    def _check_token(self, token: str | None) -> dict[str, Any] | None:
        if not token:
            return _error(41001)
        state = self._tokens.get(token)
        if state == _EXPIRED:
            return _error(42001)
        if state != _VALID:
            return _error(40001)
        return None

    # --- code management
    def _revert(self, query: dict[str, str]) -> dict[str, Any]:
        action = query.get("action")
        with self._lock:
            if action == "get_history_version":  # action wins over app_version: nothing is rolled back
                versions = [] if self.rolled_back else self.history
                return {
                    "errcode": 0,
                    "errmsg": "ok",
                    "version_list": [
                        {
                            "app_version": v.app_version,
                            "user_version": v.user_version,
                            "user_desc": v.user_desc,
                            "commit_time": v.commit_time,
                        }
                        for v in versions
                    ],
                }
            if action is not None:
                return _error(40097)
            return self._rollback(query.get("app_version"))

    def _rollback(self, app_version: str | None) -> dict[str, Any]:
        wanted: int | None = None
        if app_version is not None:
            try:
                wanted = int(app_version)
            except ValueError:
                return _error(40097)
        if self.gray_status in (1, 2):
            return _error(87011)
        if self.online is None or not self.history or self.rolled_back:
            return _error(87012)
        found = [v for v in self.history if wanted is None or v.app_version == wanted]
        if not found:
            return _error(87012)
        target = found[0]
        # The version rolled away from is dropped; the target is online now, so no longer eligible history.
        self.history = [v for v in self.history if v.app_version != target.app_version]
        self.online = target
        self.rolled_back = True
        return _error(0)

    def _version_info(self, raw: bytes) -> dict[str, Any]:
        if not raw:
            return _error(44002)
        with self._lock:
            answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
            if self.online is not None:
                answer["release_info"] = {
                    "release_time": self.online.commit_time,
                    "release_version": self.online.user_version,
                    "release_desc": self.online.user_desc,
                }
            return answer

    def _gray_plan(self) -> dict[str, Any]:
        with self._lock:
            plan = {
                "status": self.gray_status,
                "create_timestamp": self.gray_created,
                "gray_percentage": self.gray_percentage,
            }
            return {"errcode": 0, "errmsg": "ok", "gray_release_plan": plan}

    def _revert_gray(self) -> dict[str, Any]:
        with self._lock:
            self.gray_status = 4
        return _error(0)

    def _quota(self, body: Any) -> dict[str, Any]:
        path = body.get("cgi_path") if isinstance(body, dict) else None
        if not isinstance(path, str) or not path:
            return _error(40097)
        used = len(self.rollback_calls()) if path == REVERT else 0
        quota = {"daily_limit": DAILY_LIMIT, "used": used, "remain": DAILY_LIMIT - used}
        return {"errcode": 0, "errmsg": "ok", "quota": quota}


def _error(errcode: int) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "unknown error")}
