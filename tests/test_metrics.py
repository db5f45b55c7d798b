"""The metrics' rules on their own: which state changes count where, and labels that stay bounded and secret-free.
(tests/scenarios/test_metrics.py scrapes a running bot.)"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import PREFIX, Metrics
from bot.rollback.model import RequestKind, State
from tests.support.factories import T0, make_request


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(metrics.serve().decode())
        for sample in family.samples
    }


def labels_of(metrics: Metrics, name: str) -> list[dict[str, str]]:
    """The label sets of a metric's samples that counted something (every alerted series exists at 0 from the
    start), in a stable order."""
    found = [
        dict(labels) for (found, labels), value in samples(metrics).items() if found == f"{PREFIX}_{name}" and value
    ]
    return sorted(found, key=lambda labels: sorted(labels.items()))


def test_an_approval_then_its_outcome_count_once_each_with_their_times() -> None:
    metrics = Metrics()
    approved = make_request(state=State.APPROVING, decided_at=T0 + timedelta(seconds=90))
    metrics.observe_transition((State.PENDING,), approved)
    metrics.observe_transition((State.APPROVING,), make_request(state=State.SENDING, decided_at=approved.decided_at))
    done = make_request(
        state=State.SUCCEEDED, decided_at=approved.decided_at, finished_at=T0 + timedelta(seconds=93), verified=False
    )
    metrics.observe_transition((State.SENDING, State.UNKNOWN), done)
    metrics.observe_transition((State.SUCCEEDED,), make_request(state=State.SUCCEEDED, verified=True))  # verified

    found = samples(metrics)
    assert found[(f"{PREFIX}_rollbacks_total", frozenset({("kind", "rollback"), ("outcome", "succeeded")}))] == 1
    assert found[(f"{PREFIX}_requests_finished_total", frozenset({("kind", "rollback"), ("state", "succeeded")}))] == 1
    assert found[(f"{PREFIX}_approval_wait_seconds_sum", frozenset({("decision", "approved")}))] == 90
    assert found[(f"{PREFIX}_approve_to_outcome_seconds_sum", frozenset({("outcome", "succeeded")}))] == 3


def test_a_rejected_or_expired_request_is_finished_but_no_rollback() -> None:
    metrics = Metrics()
    rejected = make_request(state=State.REJECTED, decided_at=T0 + timedelta(seconds=30), finished_at=T0)
    metrics.observe_transition((State.PENDING,), rejected)
    metrics.observe_transition((State.PENDING,), make_request(state=State.EXPIRED, kind=RequestKind.STOP_GRAY))
    assert labels_of(metrics, "requests_finished_total") == [
        {"kind": "rollback", "state": "rejected"},
        {"kind": "stop_gray", "state": "expired"},
    ]
    assert labels_of(metrics, "rollbacks_total") == []
    assert labels_of(metrics, "approval_wait_seconds_count") == [{"decision": "rejected"}]


def test_labels_come_from_fixed_sets_and_never_carry_what_callers_pass_through() -> None:
    metrics = Metrics()
    metrics.observe_wechat("/wxa/revertcoderelease?access_token=SECRET-abc", 0, 0.2)  # never passed so, but bounded
    metrics.observe_wechat("/cgi-bin/somewhere/else", 40001, 0.1)
    metrics.observe_wechat("/wxa/getversioninfo", None, 3.0)
    metrics.observe_wechat("/wxa/getversioninfo", 10**12, 0.1)
    metrics.observe_slack("chat.postMessage", "an error with <spaces> and SECRET-abc", retry=True)
    metrics.observe_slack("https://evil/xoxb-SECRET", "ratelimited", retry=False)
    metrics.observe_token_fetch("authorizer:wx635bc1af70048235:wx6d3ff39d38d9f54b", ok=True)
    metrics.observe_token_fetch("stable:wx6d3ff39d38d9f54b", ok=False)

    assert labels_of(metrics, "wechat_calls_total") == [
        {"path": "other", "errcode": "0"},
        {"path": "/wxa/getversioninfo", "errcode": "1000000000000"},  # one of the few unlisted ones shown as such
        {"path": "other", "errcode": "40001"},
        {"path": "/wxa/getversioninfo", "errcode": "none"},
    ]
    assert labels_of(metrics, "slack_api_errors_total") == [
        {"method": "chat.postMessage", "error": "other"},
        {"method": "other", "error": "ratelimited"},
    ]
    assert labels_of(metrics, "slack_api_retries_total") == [{"method": "chat.postMessage"}]
    assert labels_of(metrics, "wechat_token_fetches_total") == [
        {"source": "stable", "result": "error"},
        {"source": "authorizer", "result": "ok"},
    ]
    text = metrics.serve().decode()
    assert "SECRET" not in text and "wx6d3ff39d38d9f54b" not in text


def test_each_bot_has_a_registry_of_its_own() -> None:
    first, second = Metrics(), Metrics()  # the same names twice: no "Duplicated timeseries" error
    first.observe_wechat("/wxa/getversioninfo", 0, 0.1)
    assert labels_of(first, "wechat_calls_total") == [{"path": "/wxa/getversioninfo", "errcode": "0"}]
    assert labels_of(second, "wechat_calls_total") == []
