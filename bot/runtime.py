"""Assemble the bot from its settings: database, WeChat client, workflow and the Bolt app."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import ComponentTokenConfig, ServiceTokenConfig, Settings, StableTokenConfig
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.app import build_bolt_app
from bot.slack.directory import SlackUserGroups
from bot.slack.sweeper import ExpirySweeper
from bot.store.database import create_schema, is_reachable, make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.store.token_store import TokenStore
from bot.wechat.client import WeChatClient
from bot.wechat.http import Transport
from bot.wechat.tokens.shared import SharedTokenCache
from bot.wechat.tokens.sources import build_token_source

# Listeners wait on WeChat for seconds at a time; Bolt's default of 5 threads would queue clicks behind them.
LISTENER_THREADS = 16


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    workflow: RollbackWorkflow
    bolt: App
    listeners: ThreadPoolExecutor
    sweeper: ExpirySweeper
    tokens: SharedTokenCache
    token_store: TokenStore

    def start(self) -> None:
        """Background work every replica does: expiring requests on time."""
        self.sweeper.start()

    def ready(self) -> bool:
        return is_reachable(self.engine)

    def token_state(self) -> str:
        """The shared WeChat access token, for /readyz: "fresh", "stale" (due for refresh) or "none yet"."""
        stored = self.token_store.get(self.tokens.key)
        if stored is None:
            return "none yet"
        # The cache's own clock and rule: build_token_source is given utc_now.
        return "fresh" if utc_now() < stored.refresh_after else "stale"

    def close(self) -> None:
        """Finish the work already accepted (an approved rollback must record its outcome), then let go."""
        self.sweeper.stop()
        self.listeners.shutdown(wait=True)
        self.engine.dispose()


def build_runtime(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Runtime:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    sessions = session_factory(engine)
    slack = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    hosts = [settings.wechat_api_base, *([settings.wechat_api_fallback] if settings.wechat_api_fallback else [])]
    transport = Transport(hosts, read_timeout=settings.wechat_timeout_seconds)
    token_store = TokenStore(sessions)
    tokens = build_token_source(settings.wechat_token, settings.wechat_appid, transport, token_store, engine, utc_now)
    workflow = RollbackWorkflow(
        appid=settings.wechat_appid,
        store=RequestStore(sessions),
        wechat=WeChatClient(transport, tokens),
        policy=ApprovalPolicy(
            approvers=settings.approver_user_ids,
            approver_group=settings.approver_usergroup_id,
            channels=settings.allowed_channel_ids,
            break_glass=settings.break_glass_enabled,
            directory=SlackUserGroups(slack),
        ),
        ttl=timedelta(seconds=settings.approval_ttl_seconds),
        clock=clock,
        # Longer than any rollback can take: the reads around it retry, each bounded by the timeout.
        stuck_after=timedelta(seconds=10 * settings.wechat_timeout_seconds + 60),
    )
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    bolt = build_bolt_app(settings, workflow, slack, listeners)
    sweeper = ExpirySweeper(workflow, slack, settings.expiry_sweep_seconds)
    return Runtime(settings, engine, workflow, bolt, listeners, sweeper, tokens, token_store)


def secrets_of(settings: Settings) -> list[str]:
    """Everything that must never appear in a log line."""
    values = [settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token]
    match settings.wechat_token:
        case StableTokenConfig(appsecret=secret):
            values.append(secret)
        case ComponentTokenConfig():
            values += [settings.wechat_token.component_appsecret, settings.wechat_token.authorizer_refresh_token]
        case ServiceTokenConfig():
            pass
    return [value for value in values if value]
