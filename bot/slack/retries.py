"""How the Web API client repeats a call, and what it remembers of Slack's rate limits.

An HTTP 429 means Slack did nothing: the call is repeated after `Retry-After`, when that is short. A long one is
not slept through inside a call (a delivery holds its lease meanwhile, a sweep would stall every other request):
the call fails, and the method is closed in `RATE_LIMITS` until then, so durable work waits for it instead of
calling again (docs.slack.dev/apis/web-api/rate-limits: "Retry-After ... seconds to wait"). A dropped
connection is repeated only for calls whose repeat changes nothing more.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)

LONGEST_WAIT_IN_A_CALL = 5  # seconds of Retry-After a call waits out itself
CLIENT_TIMEOUT = 15  # seconds for one call's answer (slack_sdk's default is 30): a delivery's lease outlasts a call

# A connection dropped after Slack applied a call looks like one dropped before: repeating chat.postMessage would
# post twice, so only calls whose repeat changes nothing more are repeated.
REPEATABLE = frozenset(
    {
        "auth.test",
        "chat.update",
        "chat.getPermalink",
        "conversations.history",
        "conversations.replies",
        "views.publish",
        "users.info",
        "usergroups.users.list",
    }
)


def method_of(request: HttpRequest) -> str:
    return urlsplit(request.url).path.rsplit("/", 1)[-1]


def limit_key(method: str, channel: str | None = None) -> str:
    """What one of Slack's limits counts: chat.postMessage is limited per channel, other methods per workspace."""
    return f"{method} {channel}" if method == "chat.postMessage" and channel else method


def _channel_of(request: HttpRequest) -> str | None:
    params = dict(request.body_params or {})
    if not params and request.data:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            loaded = json.loads(request.data)
            params = loaded if isinstance(loaded, dict) else {}
    channel = params.get("channel")
    return channel if isinstance(channel, str) else None


def retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values and str(values[0]).isdigit():
            return float(values[0])
    return 1.0


class RateLimits:
    """The methods Slack asked this process to leave alone, and until when (monotonic time)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def limited(self, key: str, seconds: float) -> None:
        """`key`: see `limit_key`."""
        with self._lock:
            self._until[key] = max(self._until.get(key, 0.0), self._clock() + seconds)

    def wait_for(self, key: str) -> float:
        """Seconds until what `key` names may be called again; 0 when it may now."""
        with self._lock:
            return max(0.0, self._until.get(key, 0.0) - self._clock())


RATE_LIMITS = RateLimits()  # one per process: Slack counts the app's calls, whichever thread makes them


class ShortRateLimitRetryHandler(RateLimitErrorRetryHandler):
    def __init__(self, max_retry_count: int = 3, limits: RateLimits = RATE_LIMITS) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._limits = limits

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response)
        self._limits.limited(limit_key(method_of(request), _channel_of(request)), wait)
        return wait <= LONGEST_WAIT_IN_A_CALL


class RepeatableCallRetryHandler(ConnectionErrorRetryHandler):
    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return method_of(request) in REPEATABLE and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


# Method, the failure (None: none), a repeat, and whether the failure is our side's word (an HTTP status, an exception
# type) rather than Slack's: only Slack's are bounded by how many distinct ones were seen.
SlackObserver = Callable[[str, str | None, bool, bool], None]


class ObservingRetryHandler(RetryHandler):
    """Repeats nothing: slack_sdk asks its handlers after every attempt, answered or not, so the first one in the
    list sees each attempt's method, its error and whether it was a repeat (the metrics)."""

    def __init__(self, observe: SlackObserver) -> None:
        super().__init__(max_retry_count=0)
        self._observe = observe

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        failure: str | None = None
        refused = _refusal(response) if response is not None else None
        if refused is not None:
            failure = refused  # Slack's own word ("ratelimited" on a 429)
        elif response is not None and response.status_code != 200:
            failure = f"http_{response.status_code}"
        elif error is not None:
            failure = type(error).__name__  # no answer: the connection failed
        ours = refused is None and failure is not None
        with contextlib.suppress(Exception):  # a number not counted must never fail the call
            self._observe(method_of(request), failure, state.current_attempt > 0, ours)
        return False


def _refusal(response: HttpResponse) -> str | None:
    """Slack's `error` when the answer says `"ok": false`; slack_sdk parses the body of a 200 only."""
    body = response.body
    if not body and response.data:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            body = json.loads(response.data)
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error") or "unknown")
    return None


def retry_handlers(observe: SlackObserver | None = None) -> list[RetryHandler]:
    """Bolt gives every listener's client the same handlers. `observe`: told of each attempt (see above)."""
    handlers: list[RetryHandler] = [RepeatableCallRetryHandler(), ShortRateLimitRetryHandler(max_retry_count=3)]
    return handlers if observe is None else [ObservingRetryHandler(observe), *handlers]
