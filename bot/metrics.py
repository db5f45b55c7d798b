"""The operator's numbers, served at GET /metrics in Prometheus's text format.

Each bot owns its registry (never prometheus_client's global one): every replica exposes its own counts, and tests
running several bots in one process keep theirs apart. The workflow never sees this module: the edges report to it
(the WeChat transport, the token cache, the request store's state changes, the Slack client's retry handlers), and
what lives in the database (open requests, delivery backlog) is read from it at scrape time, so that those gauges
are right across replicas and restarts.

Labels stay few and never carry a secret or a person's words: WeChat paths from a fixed set, errcodes as numbers,
Slack method names and error codes as Slack spells them, request states and kinds.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.rollback.model import OPEN_STATES, RequestKind, RollbackRequest, State
from bot.wechat.errors import CATALOGUE

# A `*_created` series beside every counter doubles the series and tells nobody anything an alert uses.
disable_created_metrics()

log = logging.getLogger(__name__)

PREFIX = "miniprogram_rollback"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Every path the bot calls; anything else is counted as "other", so a label never grows with input.
WECHAT_PATHS = frozenset(
    {
        "/wxa/revertcoderelease",
        "/wxa/revertcoderelease?action=get_history_version",  # the history read shares the rollback's path
        "/wxa/getversioninfo",
        "/wxa/getgrayreleaseplan",
        "/wxa/revertgrayrelease",
        "/cgi-bin/openapi/quota/get",
        "/cgi-bin/stable_token",
        "/cgi-bin/component/api_component_token",
        "/cgi-bin/component/api_authorizer_token",
    }
)
NO_ANSWER = "none"  # the errcode label of a call WeChat did not answer (unreachable, timeout, HTTP error)
_SLACK_WORD = re.compile(r"[A-Za-z0-9_.]{1,64}")
# Errcodes and Slack's error words come from the other side. Those WeChat and Slack document (the ones the bot
# explains or meets) are labels of their own; of the rest, the first few distinct ones are, and any later one is
# "other": a hostile or broken peer cannot grow the series without bound.
UNLISTED_VALUES = 5
SLACK_ERRORS = frozenset(
    {
        "ratelimited", "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed",
        "account_inactive", "token_revoked", "token_expired", "missing_scope", "internal_error", "fatal_error",
        "request_timeout", "service_unavailable", "expired_trigger_id", "invalid_trigger_id", "message_not_found",
        "cant_update_message", "user_not_found", "user_not_visible", "msg_too_long", "invalid_blocks",
        "restricted_action", "no_permission", "view_too_large", "duplicate_external_id", "not_found",
    }
)  # fmt: skip
_OWN_WORD = re.compile(r"http_[0-9]{3}|[A-Z][A-Za-z]{1,63}")  # an HTTP status, or the exception type of our side
OUTCOMES = (State.SUCCEEDED, State.FAILED, State.UNKNOWN)

# Seconds: an approval waits minutes (the default TTL is 15), a rollback's outcome comes in seconds.
WAIT_BUCKETS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
OUTCOME_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900)
WECHAT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30)

CountOpen = Callable[[], Mapping[State, int]]
CountBacklog = Callable[[], int]


class Metrics:
    """One bot's registry and its metrics; the `observe_*` methods are what the edges call."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.rollbacks = Counter(
            f"{PREFIX}_rollbacks",
            "Approved requests that reached an outcome, by kind and outcome (succeeded, failed, unknown)",
            ["kind", "outcome"],
            registry=r,
        )
        self.requests = Counter(
            f"{PREFIX}_requests_finished",
            "Requests that left the open states, by kind and the state they reached",
            ["kind", "state"],
            registry=r,
        )
        self.approval_wait = Histogram(
            f"{PREFIX}_approval_wait_seconds",
            "From the request to its decision (approved, rejected)",
            ["decision"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.outcome_time = Histogram(
            f"{PREFIX}_approve_to_outcome_seconds",
            "From the approval to the outcome recorded",
            ["outcome"],
            buckets=OUTCOME_BUCKETS,
            registry=r,
        )
        self.wechat_calls = Counter(
            f"{PREFIX}_wechat_calls",
            f"WeChat API calls by path and errcode ({NO_ANSWER}: no answer)",
            ["path", "errcode"],
            registry=r,
        )
        self.wechat_latency = Histogram(
            f"{PREFIX}_wechat_call_duration_seconds",
            "WeChat API calls' duration, answered or not",
            ["path"],
            buckets=WECHAT_BUCKETS,
            registry=r,
        )
        self.token_fetches = Counter(
            f"{PREFIX}_wechat_token_fetches",
            "New WeChat access tokens fetched by this replica, by source and result",
            ["source", "result"],
            registry=r,
        )
        self.slack_errors = Counter(
            f"{PREFIX}_slack_api_errors",
            "Slack Web API attempts that failed (retried or not), by method and Slack's error",
            ["method", "error"],
            registry=r,
        )
        self.slack_retries = Counter(
            f"{PREFIX}_slack_api_retries",
            "Slack Web API calls repeated (rate limit, dropped connection), by method",
            ["method"],
            registry=r,
        )

        self._errcodes = _Bounded(UNLISTED_VALUES)
        self._slack_words = _Bounded(UNLISTED_VALUES)
        self._waited: set[int] = set()  # requests whose approval wait was observed (one handed back is not again)
        self._zero()

    def _zero(self) -> None:
        """Every series an alert reads exists at 0 from the start: `increase()` sees no rise in a series whose first
        sample is already 1, so a replica's first failed rollback would otherwise never page."""
        for kind in RequestKind:
            for outcome in OUTCOMES:
                self.rollbacks.labels(kind.value, outcome.value)
            for state in State:
                if state.is_final:
                    self.requests.labels(kind.value, state.value)
        for path in WECHAT_PATHS:
            self.wechat_calls.labels(path, "0")

    def serve(self) -> bytes:
        return generate_latest(self.registry)

    def read_database(self, count_open: CountOpen, count_backlog: CountBacklog) -> None:
        """The gauges read from the database at each scrape."""
        self.registry.register(_DatabaseGauges(count_open, count_backlog))

    def observe_wechat(self, path: str, errcode: int | None, seconds: float) -> None:
        shown = path if path in WECHAT_PATHS else "other"
        if errcode is None:
            code = NO_ANSWER
        elif errcode == 0 or errcode in CATALOGUE:
            code = str(errcode)
        else:
            code = self._errcodes.shown(str(errcode))
        self.wechat_calls.labels(shown, code).inc()
        self.wechat_latency.labels(shown).observe(seconds)

    def observe_token_fetch(self, key: str, ok: bool) -> None:
        # The key is "<source>:<appid>": only the source is a label.
        source = key.split(":", 1)[0]
        self.token_fetches.labels(source if _SLACK_WORD.fullmatch(source) else "other", "ok" if ok else "error").inc()

    def observe_slack(self, method: str, error: str | None, retry: bool, ours: bool = False) -> None:
        """`ours`: the error is our side's word (an HTTP status, an exception type), not one Slack answered: a word
        from Slack shaped like ours is still Slack's, and bounded like the rest."""
        shown = method if _SLACK_WORD.fullmatch(method) else "other"
        if error is not None:
            if error in SLACK_ERRORS or (ours and _OWN_WORD.fullmatch(error)):
                word = error
            else:
                word = self._slack_words.shown(error) if _SLACK_WORD.fullmatch(error) else "other"
            self.slack_errors.labels(shown, word).inc()
        if retry:
            self.slack_retries.labels(shown).inc()

    def observe_transition(self, expected: tuple[State, ...], written: RollbackRequest) -> None:
        """A state change the store wrote (after its commit), and the states the row left. Counted when it leaves an
        open state: a late answer over an `unknown` another replica wrote left `unknown`, and is not counted again."""
        if written.state.is_final and any(state in OPEN_STATES for state in expected):
            self.requests.labels(written.kind.value, written.state.value).inc()
            if State.APPROVING in expected or State.SENDING in expected:
                self.rollbacks.labels(written.kind.value, written.state.value).inc()
                _observe_between(self.outcome_time.labels(written.state.value), written.decided_at, written.finished_at)
        if State.PENDING in expected and written.state in (State.APPROVING, State.REJECTED):
            if written.id in self._waited:
                return  # an approval handed back (WeChat could not be read) and decided again: one wait, not two
            if len(self._waited) > 100_000:
                self._waited.clear()
            self._waited.add(written.id)
            decision = "approved" if written.state is State.APPROVING else "rejected"
            _observe_between(self.approval_wait.labels(decision), written.created_at, written.decided_at)


class _Bounded:
    """Values shown as themselves until `limit` distinct ones were seen; later new ones are "other"."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def shown(self, value: str) -> str:
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        return "other"


def _observe_between(histogram: Histogram, start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None:
        histogram.observe(max(0.0, (end - start).total_seconds()))


class _DatabaseGauges(Collector):
    """Open requests and the delivery backlog, as the database has them now: the same on every replica (alert on
    max(), not sum()). A database that does not answer leaves them out of the scrape, which still answers."""

    def __init__(self, count_open: CountOpen, count_backlog: CountBacklog) -> None:
        self._count_open = count_open
        self._count_backlog = count_backlog
        # One read at a time: during a database stall a burst of scrapes would otherwise hold every server thread
        # (the port Slack posts to) for the database's timeout. Scrapes meanwhile get the last values read.
        self._reading = threading.Lock()
        self._last: tuple[Mapping[State, int], int] | None = None

    def describe(self) -> Iterable[Metric]:
        return []  # not described: the registry would otherwise read the database when this is registered

    def collect(self) -> Iterable[Metric]:
        if self._reading.acquire(blocking=False):
            try:
                self._last = (self._count_open(), self._count_backlog())
            except Exception as error:
                log.warning("metrics: reading the database failed (%s)", type(error).__name__)
                self._last = None
                return
            finally:
                self._reading.release()
        if self._last is None:
            return
        counts, backlog = self._last
        opened = GaugeMetricFamily(
            f"{PREFIX}_open_requests", "Requests open now (pending, approving, sending), all replicas", labels=["state"]
        )
        for state in OPEN_STATES:
            opened.add_metric([state.value], counts.get(state, 0))
        yield opened
        yield GaugeMetricFamily(
            f"{PREFIX}_slack_delivery_backlog",
            "Requests whose Slack message or thread is behind the database, all replicas",
            value=backlog,
        )
