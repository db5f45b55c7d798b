"""Posts to one channel paced under Slack's limit: chat.postMessage allows about one message per second per
channel, with short bursts above it (docs.slack.dev/reference/methods/chat.postMessage, "Rate limiting").

One approval records several steps within a few milliseconds, and a repair after an outage posts a whole thread:
sent as fast as they come, they would meet HTTP 429s and wait out `Retry-After` anyway, after a refused call. A
generic cell rate algorithm per channel spaces them instead. It paces one process; replicas each pace their own
posts, and the client's RateLimitErrorRetryHandler still waits out a 429 that several replicas together earn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

PER_SECOND = 1.0
BURST = 3  # posts that may go out back to back before the spacing applies


class ChannelPacer:
    def __init__(
        self,
        per_second: float = PER_SECOND,
        burst: int = BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / per_second
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._due: dict[str, float] = {}  # per channel: when the next post is due at the steady rate
        self._lock = threading.Lock()

    def wait_turn(self, channel: str) -> float:
        """Wait until a post to `channel` keeps within the limit; returns how long it waited."""
        with self._lock:
            now = self._clock()
            due = max(self._due.get(channel, now), now)
            wait = max(0.0, due - now - self._tolerance)
            self._due[channel] = due + self._interval  # the turn is taken now, so others queue behind it
            if len(self._due) > 1000:  # channels gone quiet hold nothing back: forget them
                self._due = {c: t for c, t in self._due.items() if t > now}
        if wait:
            self._sleep(wait)
        return wait


CHANNELS = ChannelPacer()  # one per process: Slack counts the app's posts, whichever thread makes them
