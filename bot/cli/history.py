"""`history`: the latest rollback requests as a table, newest first."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.cli.columns import when, width
from bot.cli.database import appid_of, database_url, open_database
from bot.i18n import _
from bot.rollback.model import RollbackRequest
from bot.slack.messages.notices import state_words
from bot.store.database import session_factory
from bot.store.request_store import RequestStore


def history(args: argparse.Namespace) -> int:
    engine = open_database(database_url(args))
    try:
        rows = RequestStore(session_factory(engine)).latest(args.limit, appid_of(args.app) if args.app else None)
    finally:
        engine.dispose()
    if not rows:
        print(_("no rollback requests for {app}").format(app=args.app) if args.app else _("no rollback requests"))
        return 0
    print(history_table(rows))
    return 0


def history_table(rows: Sequence[RollbackRequest]) -> str:
    header = (
        _("ID"),
        _("CREATED (UTC)"),
        _("APP"),
        _("REQUESTER"),
        _("FROM"),
        _("TO"),
        _("STATE"),
        _("DECIDED BY"),
        _("FINISHED (UTC)"),
    )
    lines = [
        (
            str(row.id),
            when(row.created_at),
            row.appid,
            row.requester_id,
            row.online_version or "?",
            _("stop phased release") if row.stops_gray else f"{row.target.user_version} ({row.target.app_version})",
            _("{state} (break-glass)").format(state=state_words(row.state))
            if row.policy_bypass
            else state_words(row.state),
            row.decided_by or "-",
            when(row.finished_at),
        )
        for row in rows
    ]
    widths = [max(width(cells[i]) for cells in (header, *lines)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell + " " * (room - width(cell)) for cell, room in zip(cells, widths, strict=True)).rstrip()
        for cells in (header, *lines)
    )
