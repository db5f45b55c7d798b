"""Tables. Every request and every step taken on it is a row; nothing lives only in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


OPEN = "state IN ('pending', 'approving', 'sending')"
STATES = (
    "state IN ('pending', 'approving', 'sending', 'succeeded', 'failed', 'unknown', 'rejected', 'cancelled', 'expired')"
)


class RequestRow(Base):
    __tablename__ = "rollback_requests"
    __table_args__ = (
        # At most one open request per mini program, enforced by the database for every replica.
        Index(
            "uq_rollback_requests_one_open",
            "appid",
            unique=True,
            sqlite_where=text(OPEN),
            postgresql_where=text(OPEN),
        ),
        # An older bot's `executing` is refused: it cannot approve anything once the lease migration has run.
        CheckConstraint(STATES, name="ck_rollback_requests_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appid: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    requester_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    online_version: Mapped[str | None] = mapped_column(String(64))
    target_app_version: Mapped[int] = mapped_column(Integer)
    target_user_version: Mapped[str] = mapped_column(String(64))
    target_user_desc: Mapped[str] = mapped_column(Text)
    target_commit_time: Mapped[int] = mapped_column(Integer)
    # A stop's phased release as the requester saw it (Target.plan_status, plan_percentage); None before 0012.
    target_plan_status: Mapped[int | None] = mapped_column(Integer)
    target_plan_percentage: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wechat_errcode: Mapped[int | None] = mapped_column(Integer)
    wechat_errmsg: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    # Why an outcome was not sent, as facts (JSON, bot.rollback.model.OutcomeCause); None before migration 0011.
    outcome_cause: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(Text)  # a reject reason or a break-glass justification
    stale: Mapped[str | None] = mapped_column(Text)  # why it went stale, as facts: JSON (staleness.Staleness)
    policy_bypass: Mapped[bool] = mapped_column(default=False)  # approved by break-glass, not by a second person
    owner: Mapped[str | None] = mapped_column(String(64))  # the process whose approval claimed the request
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the owner's claim holds until then
    recheck_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # next read-back of the outcome
    rechecks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Delivery to Slack (bot/slack/delivery.py): what the channel shows, against what is recorded.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # one more per state change
    shown_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # what the message shows
    last_event_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the newest event
    posted_through: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the newest in the thread
    delivery_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a replica delivering holds it until then
    posting_event_id: Mapped[int | None] = mapped_column(Integer)  # a reply sent whose answer never came
    # Approvals and reminders (bot/rollback/decisions.py, reminders.py).
    approvals_required: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    approvals: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))  # user IDs, space-separated
    paged: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))  # who it pages, space-separated
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # one more per reminder
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_to: Mapped[str | None] = mapped_column(String(32))  # the user group the reminders escalated to
    # What the request asks WeChat for (bot/rollback/model.py RequestKind): a rollback, or stopping a phased release.
    kind: Mapped[str] = mapped_column(String(16), default="rollback", server_default=text("'rollback'"))


class EventRow(Base):
    """One step of one request: the audit log. Rows are only ever appended, each linked to the one before.

    `hash` is SHA-256 over `prev_hash` and the row's content (see `bot.store.audit`); `prev_hash` is the hash
    of the row before, 64 zeros for the first. No two rows can claim the same predecessor: the chain cannot fork.
    """

    __tablename__ = "rollback_events"
    __table_args__ = (
        Index("ix_rollback_events_request", "request_id", "id"),
        Index("uq_rollback_events_prev_hash", "prev_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None for what concerns no request: a change made outside the bot, seen by the version watch.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("rollback_requests.id"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    appid: Mapped[str] = mapped_column(String(64))
    app_version: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str | None] = mapped_column(Text)
    # The request's audited fields just after this event (`bot.store.request_audit`); None before migration 0008.
    request_state: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHeadRow(Base):
    """The one row naming the newest event of the audit chain.

    Every append locks it first (an UPDATE: SQLite's write lock, PostgreSQL's row lock), so appends from any
    number of threads and replicas take turns and each links to the one before.
    """

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="ck_audit_chain_head_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int | None] = mapped_column(Integer)  # None while the log is empty
    last_hash: Mapped[str] = mapped_column(String(64))


class ReleaseWatchRow(Base):
    """What the version watch last saw of one mini program (bot/rollback/watch.py), with the lease that lets one
    replica at a time read WeChat for it, and the notice of a change not yet posted to Slack."""

    __tablename__ = "release_watch"

    appid: Mapped[str] = mapped_column(String(64), primary_key=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never read yet
    online_version: Mapped[str | None] = mapped_column(String(64))
    online_time: Mapped[int | None] = mapped_column(Integer)  # release_time of the online version
    gray_status: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gray_percentage: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gray_created: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_change: Mapped[str | None] = mapped_column(Text)  # the last change seen, in English words
    last_change_facts: Mapped[str | None] = mapped_column(Text)  # the same as facts, JSON (changes.SeenChange)
    last_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice: Mapped[str | None] = mapped_column(Text)  # unused since revision 0009 (watch_notices)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WatchNoticeRow(Base):
    """A change seen outside the bot, to be posted once in the notify channel (bot/slack/watcher.py): claimed by one
    replica at a time, `in_doubt` from right before its post until Slack's answer is recorded."""

    __tablename__ = "watch_notices"
    __table_args__ = (Index("ix_watch_notices_appid", "appid", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appid: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)  # the change in English words
    facts: Mapped[str | None] = mapped_column(Text)  # the same as facts, JSON (changes.SeenChange)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_owner: Mapped[str | None] = mapped_column(String(64))
    claim_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WeChatTokenRow(Base):
    """The current access token of one token source, shared by every replica, with a refresh lease.

    Only the replica holding an unexpired lease fetches a new token, so replicas never replace each
    other's tokens and the number of fetches per token lifetime stays one.
    """

    __tablename__ = "wechat_tokens"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_after: Mapped[datetime | None] = mapped_column(UTCDateTime)  # fetch a new one from then on
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CredentialRow(Base):
    """A credential WeChat rotates, such as the newest authorizer_refresh_token: the latest value wins."""

    __tablename__ = "wechat_credentials"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ViewSubmissionRow(Base):
    """A modal submission the bot acted on, by Slack's view id and hash: a replay of the same signed submission
    (within Slack's five-minute window, to any replica) finds it here and changes nothing."""

    __tablename__ = "slack_view_submissions"

    view_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    view_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    acted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # rows a day old are pruned
