"""Plain domain objects for tests of pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.rollback.model import RollbackRequest, State, Target

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def make_request(**changes: Any) -> RollbackRequest:
    request = RollbackRequest(
        id=7,
        appid="wx_app",
        channel_id="CINCIDENT",
        message_ts="1700000000.000100",
        requester_id="UALICE",
        reason="checkout broken <since> 1.2.0 & more",
        online_version="1.2.0",
        target=Target(app_version=101, user_version="1.1.0", user_desc="stable build", commit_time=1_700_000_000),
        state=State.PENDING,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=15),
        decided_by=None,
        decided_at=None,
        finished_at=None,
        wechat_errcode=None,
        wechat_errmsg=None,
        outcome=None,
        verified=None,
    )
    return replace(request, **changes)
