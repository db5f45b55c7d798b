"""Expire pending requests at their deadline, settle approvals whose process stopped answering, and make the
planned reads that verify an outcome, rewriting their messages without waiting for a click.

Every replica runs one; the compare-and-set in the workflow makes sure each request is settled once.
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot.rollback.model import Decision
from bot.rollback.programs import Programs
from bot.slack.replies import post_timeline, show_request

log = logging.getLogger(__name__)


class ExpirySweeper:
    def __init__(self, programs: Programs, client: WebClient, interval_seconds: float) -> None:
        self._programs = programs
        self._client = client
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="expiry-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def sweep(self) -> int:
        swept = 0
        for workflow in self._programs:
            settled = workflow.settler.sweep()
            for decision in settled:
                self._show(decision, break_glass=workflow.policy.break_glass, program=workflow.name)
            swept += len(settled)
        for decision in self._programs.expire_orphans():  # no policy left for them: no break-glass button
            self._show(decision)
            swept += 1
        return swept

    def _show(self, decision: Decision, *, break_glass: bool = False, program: str | None = None) -> None:
        """One request's message and thread; Slack failing for it (a dropped connection) leaves the rest shown."""
        assert decision.request is not None
        try:
            show_request(self._client, decision.request, break_glass=break_glass, program=program)
            post_timeline(self._client, decision.request, decision.events)
        except Exception:
            log.exception("could not show request %d's new state in Slack", decision.request.id)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sweep()
            except Exception:  # a failed sweep is retried at the next tick
                log.exception("expiry sweep failed")
