"""Review of issue 14: the version watch's lease is the approval lease (APPROVAL_LEASE_SECONDS, 60 s by default), so a
replica killed mid-check (SIGKILL while it waits on WeChat) keeps the surviving replica from reading WeChat until
that lease runs out: a console release is posted up to a minute past "the watch interval plus a few seconds" that the
issue promises with two replicas. The watch holds a lease of its own (WATCH_LEASE, 20 s), renewed between its two
reads of WeChat."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.rollback.watch import WATCH_LEASE
from bot.store.database import make_engine, session_factory
from bot.store.models import ReleaseWatchRow, WatchNoticeRow
from bot.store.watch_store import WatchStore
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.records import ApiCall
from tests.fakes.wechat import GRAY_PLAN, FakeWeChat, Fault
from tests.support.harness import bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy

WATCH = "CWATCH"
INTERVAL = 2
APPROVAL_LEASE = timedelta(seconds=60)  # APPROVAL_LEASE_SECONDS by default: what the watch held before


def _posts(slack: FakeSlack) -> list[ApiCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == WATCH and c.response.get("ok")]


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def test_a_replica_killed_mid_check_does_not_hold_the_watch_for_the_approval_lease(
    postgres_url: str, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    env = {"VERSION_WATCH_SECONDS": str(INTERVAL), "NOTIFY_CHANNEL_ID": WATCH}
    ports = [free_port(), free_port()]
    processes = [start_app(bot_env(slack, wechat, postgres_url, PORT=str(port), **env), tmp_path) for port in ports]
    engine = make_engine(postgres_url)
    watched = WatchStore(session_factory(engine))
    hold = threading.Event()
    try:
        for process, port in zip(processes, ports, strict=True):
            assert wait_healthy(process, port).status_code == 200
        slack.wait_for(lambda _: _checked(watched, wechat.APPID), 30)
        reads = len(wechat.calls_to(GRAY_PLAN))
        wechat.fail_next(GRAY_PLAN, Fault(hold=hold))  # the next check waits on WeChat
        slack.wait_for(lambda _: len(wechat.calls_to(GRAY_PLAN)) > reads, 30)
        read_at = datetime.now(UTC)
        with engine.connect() as connection:
            row = connection.execute(
                select(ReleaseWatchRow.lease_owner, ReleaseWatchRow.lease_until).where(
                    ReleaseWatchRow.appid == wechat.APPID
                )
            ).one()
        owner, lease_until = row
        assert owner is not None and lease_until is not None
        holder = next(p for p in processes if owner.startswith(f"{p.pid}-"))
        os.kill(holder.pid, signal.SIGKILL)  # killed mid-check, its lease held
        holder.wait()
        killed_at = datetime.now(UTC)
        hold.set()
        wechat.release("1.3.0", "hotfix from the console")
        slack.wait_for(_posts, 120)

        def recorded(_: FakeSlack) -> datetime | None:  # the post reaches Slack before the replica records it
            with engine.connect() as connection:
                found: datetime | None = connection.execute(
                    select(WatchNoticeRow.posted_at).where(WatchNoticeRow.appid == wechat.APPID)
                ).scalar_one()
                return found

        posted_at = slack.wait_for(recorded, 30)
    finally:
        hold.set()
        errors = [stop(p) for p in processes if p.poll() is None]
        engine.dispose()
    assert posted_at is not None
    # The dead replica held the watch for the watch's own short lease, not the approval lease...
    assert lease_until - read_at <= WATCH_LEASE, (lease_until, read_at)
    # ...so the survivor checked and posted well before the approval lease would have let it.
    assert posted_at < killed_at + APPROVAL_LEASE, (posted_at, killed_at, lease_until, errors)
