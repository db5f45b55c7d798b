"""Acknowledge first, work after. Slack gives every request 3 seconds to be acknowledged; in a burst (fifty
people pressing Approve at once) the acknowledgements still to be sent compete for the interpreter with the work
of the clicks already acknowledged. So a listener's work, once it has acknowledged, waits until no Slack request
in this process is still waiting for its acknowledgement (never longer than `PATIENCE`: a steady stream of
requests must not starve the work)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PATIENCE = 0.5  # seconds a listener's work yields to unacknowledged requests, at most
ACK_TIMEOUT = 3.0  # Slack's own: a request not acknowledged within 3 seconds has failed for the user


class AckFirst:
    def __init__(self, patience: float = PATIENCE) -> None:
        self._patience = patience
        self._quiet = threading.Condition()
        self._unanswered = 0

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around one Slack request, from its arrival to its answer."""
        self.arrived()
        try:
            yield
        finally:
            self.answered()

    def arrived(self) -> None:
        with self._quiet:
            self._unanswered += 1

    def answered(self) -> None:
        """Once the answer is written, not merely made: the server's thread still has to send it, and the work
        let go at this moment would compete with that thread for the interpreter."""
        with self._quiet:
            self._unanswered -= 1
            if self._unanswered == 0:
                self._quiet.notify_all()

    def yield_to_acks(self) -> None:
        with self._quiet:
            self._quiet.wait_for(lambda: self._unanswered == 0, timeout=self._patience)


ACKS = AckFirst()  # one per process: every request and every listener of the process share the interpreter


class AckThenYield:
    """Bolt's `ack`, which also says it was called (`acked`: the request's answer can go) and then lets the
    requests still unanswered go first."""

    def __init__(self, ack: Any, acked: threading.Event, acks: AckFirst = ACKS) -> None:
        self._ack = ack
        self._acked = acked
        self._acks = acks

    @property
    def response(self) -> Any:
        return self._ack.response

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        answer = self._ack(*args, **kwargs)
        self._acked.set()
        self._acks.yield_to_acks()
        return answer
