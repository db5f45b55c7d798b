"""Sample data, in one home: the versions the sandbox's simulated WeChat starts with (and the message previews
show), the releases the tests' and bench's fake WeChat starts with, the mini programs and people of the previews,
and a plain request for tests of pure functions. Nothing here is read in production but the sandbox's versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.rollback.model import RollbackRequest, State, Target
from bot.wechat.types import GrayReleasePlan, HistoryVersion, Release

# --- the sandbox's mini program: times are ages, counted back from when it starts (or resets)

SANDBOX_APPID = "wx_sandbox_demo"
SANDBOX_ONLINE = ("2.4.1", "Checkout: new payment sheet, faster cart", timedelta(hours=3))
SANDBOX_TRIAL = ("2.5.0", "Trial: coupon centre redesign", timedelta(hours=1))
# Most recently released first: (app_version, user_version, description, age).
SANDBOX_VERSIONS = (
    (421, "2.4.0", "Order tracking map; iOS keyboard fix", timedelta(days=2, hours=5)),
    (415, "2.3.2", "Hotfix: login loop on Android 14", timedelta(days=6, hours=2)),
    (412, "2.3.1", "Membership points page", timedelta(days=11, hours=7)),
)

# --- the fake WeChat of the tests and bench/: released in this order, 1.2.0 online

FAKE_RELEASES = (
    ("1.0.0", "first release", 1_690_000_000),
    ("1.1.0", "stable build", 1_700_000_000),
    ("1.2.0", "new checkout", 1_710_000_000),
)

# --- a request, for tests of pure functions

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def sample_request(**changes: Any) -> RollbackRequest:
    """A pending rollback of `wx_app` from 1.2.0 to 1.1.0 (FAKE_RELEASES), with `changes` applied."""
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


# --- the message previews (docs/messages.md): fixed, so their output changes only when a builder does

ALICE, BOB, CAROL, DAVE = "U05ALICE01", "U05BOB0002", "U05CAROL03", "U05DAVE004"
APPROVER_GROUP = "S05ONCALL1"
ESCALATION_GROUP = "S05LEADS01"
CHANNEL = "C05INCIDNT"
NAMES = {
    ALICE: "alice",
    BOB: "bob",
    CAROL: "carol",
    DAVE: "dave",
    APPROVER_GROUP: "oncall-approvers",
    ESCALATION_GROUP: "incident-leads",
    CHANNEL: "incidents",
}

SHOP, SHOP_APPID = "shop", "wx8f3a2b1c4d5e6f70"
REWARDS, REWARDS_APPID = "rewards", "wx1b2c3d4e5f607182"
PROGRAMS = [(SHOP, SHOP_APPID), (REWARDS, REWARDS_APPID)]
SHOP_NAME = f"{SHOP} ({SHOP_APPID})"  # as the bot names a mini program when several are configured


def at(month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A moment of the previews' day (2024, UTC)."""
    return datetime(2024, month, day, hour, minute, second, tzinfo=UTC)


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


REQUESTED_AT = at(5, 14, 9, 12)
APPROVED_AT = REQUESTED_AT + timedelta(minutes=3)
FINISHED_AT = APPROVED_AT + timedelta(seconds=4)
TTL = timedelta(minutes=15)

ONLINE = Release("2.4.1", "Checkout redesign; new coupon flow", stamp(at(5, 13, 18, 30)))
TRIAL = Release("2.5.0-rc.2", "Order tracking map", stamp(at(5, 14, 8, 5)))
VERSIONS = [
    HistoryVersion(412, "2.4.0", "Spring sale banner; payment SDK 3.2", stamp(at(5, 6, 11, 40))),
    HistoryVersion(405, "2.3.7", "Fix address form on small screens", stamp(at(4, 29, 16, 2))),
    HistoryVersion(398, "2.3.6", "", stamp(at(4, 22, 10, 15))),
]
NO_GRAY = GrayReleasePlan(status=0, percentage=0)
RUNNING_GRAY = GrayReleasePlan(status=1, percentage=20, created=stamp(at(5, 14, 8, 40)), experiencer_first=True)

PENDING = RollbackRequest(
    id=42,
    appid=SHOP_APPID,
    channel_id=CHANNEL,
    message_ts="1715677920.001200",
    requester_id=ALICE,
    reason="Checkout fails for about 8% of iOS users since 2.4.1 went out (INC-2291).",
    online_version="2.4.1",
    target=Target(412, "2.4.0", "Spring sale banner; payment SDK 3.2", stamp(at(5, 6, 11, 40))),
    state=State.PENDING,
    created_at=REQUESTED_AT,
    expires_at=REQUESTED_AT + TTL,
    decided_by=None,
    decided_at=None,
    finished_at=None,
    wechat_errcode=None,
    wechat_errmsg=None,
    outcome=None,
    verified=None,
    paged=(APPROVER_GROUP,),
)
