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
from bot.slack.watcher import WatchAnnouncer

log = logging.getLogger(__name__)


class ExpirySweeper:
    def __init__(
        self,
        programs: Programs,
        delivery: Delivery,
        interval_seconds: float,
        people: SlackPeople | None = None,
        watch: WatchAnnouncer | None = None,
    ) -> None:
        """`people`: the approvers are read ahead in a thread of their own; `watch`: the version watch, run on a
        thread of its own at its own pace (it may wait on WeChat)."""
        self._programs = programs
        self._people = people
        self._reader: threading.Thread | None = None
        self._delivery = delivery
        self._interval = interval_seconds
        self._watch = watch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="expiry-sweeper", daemon=True)
        self._watch_thread = threading.Thread(target=self._run_watch, name="version-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if self._watch is not None and self._watch.tick_seconds is not None:
            self._watch_thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._watch_thread):
            if thread.is_alive():
                thread.join(timeout=10)

    def _run_watch(self) -> None:
        assert self._watch is not None and self._watch.tick_seconds is not None
        tick = self._watch.tick_seconds
        while not self._stop.wait(tick):
            try:
                self._watch.run()
            except Exception:  # retried at the next tick
                log.exception("version watch failed")

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
