"""Slack's Web API rate limits, on by default: a token bucket per method (per method and channel for
chat.postMessage), refilled at the method's documented rate.

docs.slack.dev/apis/web-api/rate-limits: limits apply "per API method per workspace/team per app"; over one, Slack
answers HTTP 429 with a `Retry-After` header (whole seconds) and `{"ok": false, "error": "ratelimited"}`.

- Tier 1, "1+ per minute", "a small amount of burst behavior is tolerated": 1 a minute, 5 at once (our choice).
- Tier 2, "20+ per minute", "occasional bursts": 20 a minute, up to 20 at once.
- Tier 3, "50+ per minute", "sporadic bursts are welcome": 50 a minute, up to 50 at once.
- Tier 4, "100+ per minute", "generous burst behavior": 100 a minute, up to 100 at once.
- Special: chat.postMessage "generally allows posting one message per second per channel" with "short bursts >1
  allowed" (docs.slack.dev/reference/methods/chat.postMessage#rate-limiting): 1 a second per channel, 5 at once
  (our choice of "short burst"); the workspace-wide limit Slack keeps "while also" is not modelled.
  auth.test and chat.getPermalink are Special too, "hundreds of requests per minute": 600 a minute here.

Each method's tier is the one on its reference page (docs.slack.dev/reference/methods/<method>, "Rate limits").
Tests tune it: `FakeSlack(rate_limits={"chat.update": RateLimit(10, 2)})`, `fake.set_rate_limit(method, limit)`,
`fake.set_rate_limit(method, None)` (no limit for that method) or `fake.disable_rate_limits()`; and
`fake.rate_limit_next(method, retry_after, times)` still refuses the next calls outright.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RateLimit:
    per_minute: float  # the sustained rate
    burst: int  # how many calls may come at once after a quiet spell (the bucket's size)
    per_channel: bool = False  # a bucket per `channel` argument, as chat.postMessage has


TIER_1 = RateLimit(per_minute=1, burst=5)
TIER_2 = RateLimit(per_minute=20, burst=20)
TIER_3 = RateLimit(per_minute=50, burst=50)
TIER_4 = RateLimit(per_minute=100, burst=100)
HUNDREDS_PER_MINUTE = RateLimit(per_minute=600, burst=600)
ONE_PER_SECOND_PER_CHANNEL = RateLimit(per_minute=60, burst=5, per_channel=True)

DEFAULT_RATE_LIMITS: Mapping[str, RateLimit] = {
    "apps.connections.open": TIER_1,
    "auth.test": HUNDREDS_PER_MINUTE,
    "chat.postMessage": ONE_PER_SECOND_PER_CHANNEL,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "chat.getPermalink": HUNDREDS_PER_MINUTE,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,  # internal apps; commercially distributed ones have far less (2025)
    "views.open": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
    "usergroups.users.list": TIER_2,
    "users.info": TIER_4,
}


class _Bucket:
    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.at = now

    def take(self, now: float) -> int | None:
        """None if a call may go now (and it is counted), else the whole seconds until one may."""
        per_second = self.limit.per_minute / 60
        self.tokens = min(float(self.limit.burst), self.tokens + max(0.0, now - self.at) * per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / per_second))


class RateLimiter:
    """Not thread-safe on its own: FakeSlack calls it under its lock."""

    def __init__(self, limits: Mapping[str, RateLimit | None], clock: Callable[[], float]) -> None:
        self._limits: dict[str, RateLimit | None] = dict(limits)
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._queued: defaultdict[str, deque[int]] = defaultdict(deque)  # rate_limit_next's refusals

    def set(self, method: str, limit: RateLimit | None) -> None:
        self._limits[method] = limit
        self._buckets = {key: bucket for key, bucket in self._buckets.items() if key[0] != method}

    def disable(self) -> None:
        self._limits = {}
        self._buckets.clear()

    def refuse_next(self, method: str, retry_after: int, times: int) -> None:
        self._queued[method].extend([retry_after] * times)

    def check(self, method: str, args: Mapping[str, Any]) -> int | None:
        """None if the call may go ahead, else its Retry-After in seconds."""
        if self._queued[method]:
            return self._queued[method].popleft()
        limit = self._limits.get(method)
        if limit is None:
            return None
        channel = args.get("channel") if limit.per_channel else ""
        key = (method, channel if isinstance(channel, str) else "")
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None or bucket.limit != limit:
            bucket = self._buckets[key] = _Bucket(limit, now)
        return bucket.take(now)
