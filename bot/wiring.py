"""One mini program's workflow over the database and WeChat, built the same way by the bot and the command line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot import i18n
from bot.config import ProgramConfig, Settings
from bot.metrics import Metrics
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.ports import ApproverDirectory, PeopleDirectory, WeChatGateway
from bot.rollback.programs import Programs
from bot.rollback.reminders import ReminderRules
from bot.rollback.workflow import RollbackWorkflow
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from bot.store.sealing import Sealer
from bot.store.token_store import TokenStore
from bot.store.watch_store import WatchStore
from bot.wechat.client import WeChatClient
from bot.wechat.http import Transport
from bot.wechat.tokens.shared import SharedTokenCache
from bot.wechat.tokens.sources import build_token_source

log = logging.getLogger(__name__)

SANDBOX_LATENCY_SECONDS = 0.3  # the simulated WeChat answers about as fast as the real one
SANDBOX_RELEASE_AFTER = timedelta(minutes=2)  # then the sample release ships again, to try once more


@dataclass(frozen=True)
class Wired:
    programs: Programs
    tokens: dict[str, SharedTokenCache]  # by alias; none in the sandbox
    token_store: TokenStore


def wire_programs(
    settings: Settings,
    engine: Engine,
    clock: Callable[[], datetime],
    directory: ApproverDirectory | None = None,
    people: PeopleDirectory | None = None,
    token_clock: Callable[[], datetime] | None = None,
    metrics: Metrics | None = None,
) -> Wired:
    """`clock` decides deadlines (tests move it); tokens expire by `token_clock`, the real time by default.
    `metrics`: the bot's, told of WeChat calls, token fetches and state changes (none from the command line)."""
    i18n.configure(settings.bot_language, {program.appid: program.language for program in settings.programs})
    sessions = session_factory(engine)
    store = RequestStore(sessions, observe=metrics.observe_transition if metrics else None)
    token_store = TokenStore(sessions, Sealer(settings.token_encryption_key))
    watch_store = WatchStore(sessions)
    hosts = [settings.wechat_api_base, *([settings.wechat_api_fallback] if settings.wechat_api_fallback else [])]
    transport = Transport(
        hosts, read_timeout=settings.wechat_timeout_seconds, observe=metrics.observe_wechat if metrics else None
    )
    tokens: dict[str, SharedTokenCache] = {}
    workflows = []
    for program in settings.programs:
        if program.break_glass_enabled and program.approvals_required > 1:
            # Deliberate (one person may act alone in an emergency), but a two-person rule should know it.
            log.warning(
                "%s: break-glass is on, so a requester may roll back alone, without the %d approvals required; "
                "each use is announced in the channel and recorded as a policy bypass",
                program.alias,
                program.approvals_required,
            )
        gateway: WeChatGateway
        if settings.sandbox or program.token is None:
            gateway = _simulated(program, clock)
        else:
            cache = build_token_source(
                program.token,
                program.appid,
                transport,
                token_store,
                engine,
                token_clock or _utc_now,
                observe=metrics.observe_token_fetch if metrics else None,
            )
            tokens[program.alias] = cache
            gateway = WeChatClient(transport, cache)
        workflows.append(
            RollbackWorkflow(
                appid=program.appid,
                alias=program.alias,
                store=store,
                wechat=gateway,
                policy=_policy(program, directory, people),
                ttl=timedelta(seconds=program.approval_ttl_seconds),
                clock=clock,
                lease=approval_lease(settings),
                reminders=reminder_rules(program),
                watch=watch_store,
                watch_every=timedelta(seconds=program.version_watch_seconds) if program.version_watch_seconds else None,
                notify_channel=program.notify_channel_id,
            )
        )
    return Wired(Programs(workflows), tokens, token_store)


def approval_lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.approval_lease_seconds)


def reminder_rules(program: ProgramConfig) -> ReminderRules:
    remind = program.remind_after_seconds
    return ReminderRules(
        remind_after=timedelta(seconds=remind) if remind else None,
        escalation_group=program.escalation_usergroup_id,
        escalate_after=timedelta(seconds=program.escalate_after_seconds),
    )


def _policy(
    program: ProgramConfig, directory: ApproverDirectory | None, people: PeopleDirectory | None
) -> ApprovalPolicy:
    policy = ApprovalPolicy(
        approvers=program.approver_user_ids,
        approver_group=program.approver_usergroup_id,
        channels=program.allowed_channel_ids,
        break_glass=program.break_glass_enabled,
        approvals_required=program.approvals_required,
        allow_guests=program.allow_guest_approvers,
        channel_mention=program.channel_mention,
    )
    if directory is not None:
        policy = replace(policy, directory=directory)
    return policy if people is None else replace(policy, people=people)


def _simulated(program: ProgramConfig, clock: Callable[[], datetime]) -> WeChatGateway:
    from bot.sandbox.wechat import SimulatedWeChat

    return SimulatedWeChat(
        latency_seconds=SANDBOX_LATENCY_SECONDS, clock=clock, appid=program.appid, release_after=SANDBOX_RELEASE_AFTER
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)
