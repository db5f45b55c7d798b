"""Assemble the bot from its settings: database, each mini program's workflow, and the Bolt app."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import Settings
from bot.rollback.programs import Programs
from bot.slack.app import build_bolt_app
from bot.slack.directory import SlackUserGroups
from bot.slack.sandbox import SandboxWebClient
from bot.slack.sweeper import ExpirySweeper
from bot.store.database import create_schema, is_reachable, make_engine
from bot.store.token_store import TokenStore
from bot.wechat.tokens.shared import SharedTokenCache
from bot.wiring import wire_programs

# Bolt runs each listener, its ack included, on this pool, and a listener then holds its thread while WeChat
# answers (seconds). With too few threads, a burst of commands leaves later ones waiting for a thread until
# Slack's 3 s are gone (bench/ measured 404s from the 17th of 50 commands with 16 threads). Threads are made
# only when needed; this many keeps acks immediate for bursts well beyond what an incident channel sends.
LISTENER_THREADS = 128


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    programs: Programs
    bolt: App
    listeners: ThreadPoolExecutor
    sweeper: ExpirySweeper
    tokens: dict[str, SharedTokenCache]  # by alias
    token_store: TokenStore

    def start(self) -> None:
        """Background work every replica does: expiring requests on time."""
        self.sweeper.start()

    def ready(self) -> bool:
        return is_reachable(self.engine)

    def token_states(self) -> dict[str, str]:
        """Each mini program's shared WeChat access token, for /readyz: "fresh", "stale" (due for refresh),
        "none yet", or "simulated" in the sandbox."""
        states = {}
        for workflow in self.programs:
            cache = self.tokens.get(workflow.alias)
            if cache is None:
                states[workflow.alias] = "simulated"
                continue
            stored = self.token_store.get(cache.key)
            # The cache's own clock and rule: wire_programs gives it the real time.
            states[workflow.alias] = (
                "none yet" if stored is None else "fresh" if utc_now() < stored.refresh_after else "stale"
            )
        return states

    def close(self) -> None:
        """Finish the work already accepted (an approved rollback must record its outcome), then let go."""
        self.sweeper.stop()
        self.listeners.shutdown(wait=True)
        self.engine.dispose()


def build_runtime(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Runtime:
    engine = make_engine(settings.database_url, settings.database_timeout_seconds)
    create_schema(engine)
    slack = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    if settings.sandbox:
        slack = SandboxWebClient.like(slack)  # the sweeper's messages are stamped too
    wired = wire_programs(settings, engine, clock, directory=SlackUserGroups(slack))
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    bolt = build_bolt_app(settings, wired.programs, slack, listeners)
    sweeper = ExpirySweeper(wired.programs, slack, settings.expiry_sweep_seconds)
    return Runtime(settings, engine, wired.programs, bolt, listeners, sweeper, wired.tokens, wired.token_store)
