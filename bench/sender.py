"""The load generator's Slack requests: signed as Slack signs them, built ahead of a burst, each timed from just
before it is sent until its HTTP response (for Slack, the ack) arrives. Bursts are sent from a process of their
own (bench/loadgen.py); single requests from this one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from bench.loadgen import Timing, load_generator, post
from tests.fakes.slack import FakeSlack
from tests.support.harness import SIGNING_SECRET
from tests.support.slack_requests import SlackSender


@dataclass(frozen=True)
class Prepared:
    body: bytes  # form-encoded, as Slack sends it
    response_url: str  # where the bot's ephemeral answers to this request go


class TimedSender(SlackSender):
    """SlackSender that records, per thread, how long each HTTP request took to be answered (a new connection
    each time, as SlackSender makes)."""

    def __init__(self, events_url: str, fake: FakeSlack) -> None:
        super().__init__(events_url, SIGNING_SECRET, fake)
        self._local = threading.local()

    def post(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        captured = getattr(self._local, "capture", None)
        if captured is not None:
            captured.append(body)
            unsent = requests.Response()
            unsent.status_code = 200
            return unsent
        # Signed and labelled exactly as SlackSender.post does, but sent with http.client: with 50 threads on a
        # small machine, requests' own CPU cost (about half the floor) would be counted as the bot's.
        headers = self.headers(body, content_type, timestamp=timestamp, signature=signature)
        self._local.last, content = post(self.events_url, body, headers)
        response = requests.Response()
        response.status_code, response._content = self._local.last.status, content
        return response

    def prepare(self, make: Callable[[], tuple[Any, str]]) -> Prepared:
        """Build a request with one of SlackSender's methods without sending it, so that a burst sends only
        ready bodies (signed as they go out) and the load generator's own work does not spread the burst."""
        captured: list[bytes] = []
        self._local.capture = captured
        try:
            _, response_url = make()
        finally:
            del self._local.capture
        if len(captured) != 1:
            raise RuntimeError(f"expected one request, built {len(captured)}")
        return Prepared(captured[0], response_url)

    def send(self, prepared: Prepared) -> Timing:
        """One request from this process, timed."""
        self.post(prepared.body)
        return self.last

    def send_together(self, prepared: list[Prepared], signature: str | None = None) -> list[Timing]:
        """A burst: every request at once, each from a thread of its own in the load generator's own process
        (bench/loadgen.py), signed now (or with `signature`)."""
        content_type = "application/x-www-form-urlencoded"
        signed = [(p.body, self.headers(p.body, content_type, signature=signature)) for p in prepared]
        return load_generator().burst(self.events_url, signed)

    @property
    def last(self) -> Timing:
        """The timing of this thread's latest request."""
        timing: Timing = self._local.last
        return timing
