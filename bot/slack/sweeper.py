"""Expire pending requests at their deadline, settle approvals whose process stopped answering, and make the
planned reads that verify an outcome, rewriting their messages without waiting for a click.

Every replica runs one; the compare-and-set in the workflow makes sure each request is settled once.
"""

from __future__ import annotations

import logging
import threading

from bot.rollback.programs import Programs
from bot.slack.delivery import Delivery
from bot.slack.directory import SlackPeople

log = logging.getLogger(__name__)


class ExpirySweeper:
    def __init__(
        self, programs: Programs, delivery: Delivery, interval_seconds: float, people: SlackPeople | None = None
    ) -> None:
        self._programs = programs
        self._people = people
        self._reader: threading.Thread | None = None
        self._delivery = delivery
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
        """Settle what is due, then bring every request's message and thread up to the record: what this sweep
        settled, and whatever an earlier failure (Slack down, rate-limited, a dropped connection) left behind."""
        swept = 0
        for workflow in self._programs:
            swept += len(workflow.settler.sweep())
        swept += len(self._programs.expire_orphans())
        self._delivery.repair()
        self._read_ahead()
        return swept

    def _read_ahead(self) -> None:
        """The named approvers read ahead of any click, in a thread of their own: a large approver group, read at
        Slack's pace, must not hold up reminders, expiry and delivery."""
        people = self._people
        if people is None or (self._reader is not None and self._reader.is_alive()) or not people.read_ahead_due():
            return

        def read() -> None:
            try:
                named = [name for workflow in self._programs for name in workflow.policy.named_approvers()]
                people.read_ahead(named, self._stop.wait)
            except Exception:
                log.exception("reading the approvers ahead failed; retried in half an hour")

        self._reader = threading.Thread(target=read, name="approvers-read-ahead", daemon=True)
        self._reader.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sweep()
            except Exception:  # a failed sweep is retried at the next tick
                log.exception("expiry sweep failed")
