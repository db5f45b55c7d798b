"""What the audit chain vouches for about a request: the fields `history`, `status`, App Home and the export show.

Every event carries them, as they stand once the event is written (`rollback_events.request_state`, covered by
the event's hash), so a request row edited behind the bot's back no longer matches the newest of its events and
`audit verify` says so. The bookkeeping of delivery, leases and re-reads (message_ts, owner, lease_until,
recheck_at, revision...) changes without events and is not shown as a fact about the request: it is left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.store.models import RequestRow

AUDITED_FIELDS = (
    "kind",  # what an approval sends: revertcoderelease or revertgrayrelease
    "appid",
    "requester_id",
    "reason",
    "online_version",
    "target_app_version",
    "target_user_version",
    "target_user_desc",
    "target_commit_time",
    "target_plan_status",  # a stop's plan as shown, as facts (None before revision 0012, and for a rollback)
    "target_plan_percentage",
    "state",
    "created_at",
    "expires_at",
    "decided_by",
    "decided_at",
    "finished_at",
    "wechat_errcode",
    "wechat_errmsg",
    "outcome",
    "outcome_cause",
    "verified",
    "decision_note",
    "stale",  # why it went stale, as facts (JSON; None before revision 0010)
    "policy_bypass",
    "approvals_required",
    "approvals",
    "paged",
    "reminders",
    "reminded_at",
    "escalated_to",
)


def request_state(values: Mapping[Any, Any] | RequestRow) -> str:
    """The canonical JSON of a request's audited fields: keys sorted, no spaces, times as ISO-8601 UTC."""
    get = values.get if isinstance(values, Mapping) else lambda name: getattr(values, name)
    return json.dumps(
        {name: _plain(get(name)) for name in AUDITED_FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )


def differences(recorded: str | Mapping[str, Any], row: Mapping[Any, Any]) -> list[str]:
    """The audited fields whose value in `row` is not the one its events recorded (a field none recorded: None)."""
    then = json.loads(recorded) if isinstance(recorded, str) else recorded
    now = json.loads(request_state(row))
    return [name for name in AUDITED_FIELDS if then.get(name) != now.get(name)]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite gives back UTC wall time without its zone
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    raise TypeError(f"an audited request field holds a {type(value).__name__}")
