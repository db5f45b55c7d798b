"""Assemble the bot from its settings: database, each mini program's workflow, and the Bolt app."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import Settings
from bot.metrics import Metrics
from bot.rollback.programs import Programs
from bot.slack.app import build_bolt_app
from bot.slack.delivery import Delivery
from bot.slack.directory import SlackPeople, SlackUserGroups
from bot.slack.retries import CLIENT_TIMEOUT, retry_handlers
from bot.slack.sandbox import SandboxWebClient
from bot.slack.sweeper import ExpirySweeper
from bot.slack.watcher import WatchAnnouncer
from bot.store.database import create_schema, is_reachable, make_engine, session_factory
from bot.store.delivery_store import DeliveryStore
from bot.store.request_store import RequestStore
from bot.store.submission_store import SubmissionStore
from bot.store.token_store import TokenStore
from bot.wechat.tokens.shared import SharedTokenCache
from bot.wiring import wire_programs

# Bolt runs each listener, its ack included, on this pool, and a listener then holds its thread while WeChat
# answers (seconds). With too few threads, a burst of commands leaves later ones waiting for a thread until
# Slack's 3 s are gone (bench/ measured 404s from the 17th of 50 commands with 16 threads). Threads are made
# only when needed; this many keeps acks immediate for bursts well beyond what an incident channel sends.
LISTENER_THREADS = 128

Report = dict[str, object]
UNREACHABLE: Report = {"database": "unreachable", "wechat_tokens": "unknown"}
NOT_CONNECTED = "not connected yet"

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class _OneAtATime:
    """Runs a check in a thread of its own and waits for it a bounded time. Callers that come while one is
    running wait for that one, so probes every few seconds during a stall never pile up threads or connections."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: Future[Report] | None = None

    def result(self, check: Callable[[], Report], within: float) -> Report | None:
        """The check's report, or None when it has not finished within `within` seconds."""
        with self._lock:
            running = self._running
            if running is None or running.done():
                running = self._running = Future()
                threading.Thread(target=self._run, args=(check, running), name="readiness", daemon=True).start()
        try:
            return running.result(timeout=within)
        except TimeoutError:
            return None

    @staticmethod
    def _run(check: Callable[[], Report], running: Future[Report]) -> None:
        try:
            running.set_result(check())
        except BaseException as error:
            running.set_exception(error)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    programs: Programs
    bolt: App
    listeners: ThreadPoolExecutor
    sweeper: ExpirySweeper
    tokens: dict[str, SharedTokenCache]  # by alias
    token_store: TokenStore
    metrics: Metrics  # this bot's own registry, served at /metrics
    # Where the connection to Slack stands, for /readyz: "ok" once start() ran, else what start-up waits for.
    slack: str = NOT_CONNECTED
    _readiness: _OneAtATime = field(default_factory=_OneAtATime, init=False, repr=False)
    _lifecycle: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    def start(self) -> None:
        """Once Slack answers: background work every replica does (expiring requests on time, telling Slack)."""
        with self._lifecycle:
            if self._closed:  # stopped while Slack was still being reached
                return
            self.slack = "ok"
            self.sweeper.start()

    def readiness(self) -> Report:
        """/readyz's report: {"database": "ok", "wechat_tokens": {alias: state}}, or UNREACHABLE.

        Answered within the database timeout even while the database stalls: the check runs in a thread of its
        own and is given up on after that long (the check itself ends later, bounded by the engine's timeouts).
        """
        report = self._readiness.result(self._check_readiness, within=self.settings.database_timeout_seconds)
        return {**(dict(UNREACHABLE) if report is None else report), "slack": self.slack}

    def ready(self) -> bool:
        return is_ready(self.readiness())

    def _check_readiness(self) -> Report:
        # No access token yet is still ready: the first WeChat call fetches one.
        if not is_reachable(self.engine):
            return dict(UNREACHABLE)
        try:
            report: Report = {"database": "ok", "wechat_tokens": self.token_states()}
            if notices := self.notice_states():
                report["watch_notices"] = notices
            return report
        except Exception:
            log.warning("readiness: reading the token cache failed", exc_info=True)
            return dict(UNREACHABLE)

    def token_states(self) -> dict[str, str]:
        """Each mini program's shared WeChat access token, for /readyz: "fresh", "stale" (due for refresh),
        "none yet", or "simulated" in the sandbox."""
        states = {}
        for workflow in self.programs:
            cache = self.tokens.get(workflow.alias)
            if cache is None:
                states[workflow.alias] = "simulated"
                continue
            stored = self.token_store.get(cache.key)
            # The cache's own clock and rule: wire_programs gives it the real time.
            states[workflow.alias] = (
                "none yet" if stored is None else "fresh" if utc_now() < stored.refresh_after else "stale"
            )
        return states

    def notice_states(self) -> dict[str, str]:
        """The version watch's notices Slack has not taken (refused, or no answer), by mini program: for /readyz,
        which stays ready (the watch reads on; an operator fixes the channel)."""
        states = {}
        for workflow in self.programs:
            watch = workflow.watch
            waiting = watch.notices.waiting() if watch is not None else []
            if waiting and waiting[0].failures:  # the oldest holds the rest back: notices go out in order
                first = waiting[0]
                states[workflow.alias] = (
                    f"{len(waiting)} change notice(s) not posted, the oldest seen "
                    f"{first.seen_at.strftime('%Y-%m-%d %H:%M UTC')}, {first.failures} tries: {first.last_error}"
                )
        return states

    def close(self) -> None:
        """Finish the work already accepted (an approved rollback must record its outcome), then let go."""
        with self._lifecycle:
            self._closed = True
        self.sweeper.stop()
        self.listeners.shutdown(wait=True)
        self.engine.dispose()


def is_ready(report: Report) -> bool:
    """Ready: the database answers and Slack was reached."""
    return report["database"] == "ok" and report.get("slack") == "ok"


def build_runtime(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Runtime:
    """The database, migrated, and every part wired; nothing asks Slack yet (see bot.startup.SlackConnection)."""
    engine = make_engine(settings.database_url, settings.database_timeout_seconds)
    create_schema(engine)
    metrics = Metrics()
    slack = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=CLIENT_TIMEOUT,
        retry_handlers=retry_handlers(metrics.observe_slack),
    )
    if settings.sandbox:
        slack = SandboxWebClient.like(slack)  # the sweeper's messages are stamped too
    people = SlackPeople(slack)
    wired = wire_programs(settings, engine, clock, directory=SlackUserGroups(slack), people=people, metrics=metrics)
    _seal_tokens(settings, wired.token_store)
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    delivery_store = DeliveryStore(session_factory(engine))
    delivery = Delivery(delivery_store, slack, wired.programs)
    metrics.read_database(RequestStore(session_factory(engine)).open_counts, delivery_store.backlog)
    submissions = SubmissionStore(session_factory(engine))
    bolt = build_bolt_app(settings, wired.programs, slack, listeners, delivery, submissions)
    watch = WatchAnnouncer(wired.programs, slack, delivery)
    sweeper = ExpirySweeper(wired.programs, delivery, settings.expiry_sweep_seconds, people, watch)
    return Runtime(settings, engine, wired.programs, bolt, listeners, sweeper, wired.tokens, wired.token_store, metrics)


def _seal_tokens(settings: Settings, tokens: TokenStore) -> None:
    """WeChat tokens at rest: sealed with the first TOKEN_ENCRYPTION_KEY (those stored before it, or under an older
    key, are sealed anew now), or one warning that they are stored in clear."""
    if settings.sandbox:
        return  # the simulated WeChat hands out no real token
    if settings.token_encryption_key is None:
        log.warning(
            "TOKEN_ENCRYPTION_KEY is not set: WeChat access tokens and refresh tokens are stored in the database in "
            "clear; set it to seal them (see the README's Security section)"
        )
        return
    sealed = tokens.reseal()
    if sealed:
        log.info("sealed %d stored WeChat token(s) with the first TOKEN_ENCRYPTION_KEY", sealed)
