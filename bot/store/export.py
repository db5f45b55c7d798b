"""The audit export: every event with its request's context, as CSV for people or JSON for programs.

JSON is exact. CSV is opened in spreadsheets, which run a cell starting with `=`, `+`, `-` or `@` (and, in some,
a tab or a carriage return) as a formula: such a cell gets a leading `'`, OWASP's rule for CSV injection
(https://owasp.org/www-community/attacks/CSV_Injection), so a reason like `=HYPERLINK(...)` stays text.
Some spreadsheets trim leading spaces first, and East Asian ones take the full-width forms a Chinese input method
types (U+FF1D, U+FF0B, U+FF0D, U+FF20) for the ASCII ones: those count as well.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, select

from bot.store.audit import timestamp
from bot.store.database import read_snapshot
from bot.store.models import EventRow, RequestRow

EXPORT_FIELDS = (
    "event_id",
    "at",
    "kind",
    "actor_id",
    "detail",
    "errcode",
    "errmsg",
    "request_id",
    "appid",
    "requester_id",
    "online_version",
    "target_user_version",
    "target_app_version",
    "state",
    "prev_hash",
    "hash",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
LEADING_BLANKS = " \u3000\n"  # trimmed by some spreadsheets before they look for a formula (U+3000: ideographic)
Format = Literal["csv", "json"]


def export(engine: Engine, fmt: Format, since: datetime | None = None, appid: str | None = None) -> str:
    """Every event (at or after `since`, of `appid`) with its request's context, in id order: CSV or JSON."""
    return render(export_records(engine, since, appid), fmt)


def export_records(engine: Engine, since: datetime | None = None, appid: str | None = None) -> list[dict[str, Any]]:
    """The rows of `export`: EXPORT_FIELDS, `at` as ISO-8601 UTC; `state` is the request's state now (which
    `audit verify` checks against the request's newest event)."""
    query = (
        select(
            EventRow.id.label("event_id"),
            EventRow.at,
            EventRow.kind,
            EventRow.actor_id,
            EventRow.detail,
            EventRow.errcode,
            EventRow.errmsg,
            EventRow.request_id,
            EventRow.appid,
            RequestRow.requester_id,
            RequestRow.online_version,
            RequestRow.target_user_version,
            RequestRow.target_app_version,
            RequestRow.state,
            EventRow.prev_hash,
            EventRow.hash,
        )
        .outerjoin(RequestRow, RequestRow.id == EventRow.request_id)  # a change seen outside the bot has none
        .order_by(EventRow.id)
    )
    if since is not None:
        query = query.where(EventRow.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    if appid is not None:
        query = query.where(EventRow.appid == appid)
    with read_snapshot(engine) as connection:
        return [{**row._mapping, "at": timestamp(row.at)} for row in connection.execute(query)]


def render(records: list[dict[str, Any]], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}: expected csv or json")
    out = io.StringIO()
    # RFC 4180's CRLF: the writer quotes a field holding any character of the line ending, so a lone CR in a
    # reason stays inside its cell instead of starting a row.
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({name: neutralised(value) for name, value in record.items()} for record in records)
    return out.getvalue()


def neutralised(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made plain text; numbers and empty cells as they are."""
    if isinstance(value, str) and value.lstrip(LEADING_BLANKS).startswith(FORMULA_STARTS):
        return "'" + value
    return value
