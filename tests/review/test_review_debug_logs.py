"""Review of #16: the bot at LOG_LEVEL=DEBUG, run as `python app.py` against the fakes, through a whole rollback:
no line may carry what a person typed, a response_url's capability (plain, URL-encoded or JSON-escaped), a
trigger_id, or a token or secret."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import Engine

from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.sandbox.wechat import SimulatedWeChat
from bot.slack.ids import APPROVE
from bot.store.database import make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import Replica, click, request_rollback, wait_verified
from tests.support.harness import SIGNING_SECRET, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender

TYPED = "zebra-incident-reason-typed-by-alice"


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), json.dumps(secret)[1:-1], secret.replace("/", "\\/")]


def test_a_whole_rollback_at_debug_in_http_mode_logs_nothing_a_person_typed_nor_any_capability(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    port = free_port()
    process = start_app(bot_env(slack, wechat, url, PORT=str(port), LOG_LEVEL="DEBUG"), tmp_path)
    engine: Engine = make_engine(url)
    try:
        assert wait_healthy(process, port).status_code == 200
        record = RollbackWorkflow(
            wechat.APPID,
            RequestStore(session_factory(engine)),
            SimulatedWeChat(),
            ApprovalPolicy(),
            timedelta(1),
            lambda: datetime.now(UTC),
        )
        replica = Replica(SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack), record)
        slack.wait_for(lambda s: s.calls_to("auth.test"), 30)
        request = request_rollback(replica, slack, "1.1.0", reason=TYPED)
        click(replica, request, APPROVE, "UBOB")
        wait_verified(replica, slack, request.id, timeout=30)
    finally:
        stderr = stop(process)
        engine.dispose()
    capabilities = list(slack._response_urls._urls)  # every response_url the fake issued, its capability part
    leaks = []
    for secret in [TYPED, *capabilities, slack.BOT_TOKEN, SIGNING_SECRET, wechat.SECRET]:
        for form in _forms(secret):
            if form in stderr:
                leaks.append(next(line for line in stderr.splitlines() if form in line)[:300])
    # A trigger_id opens a modal for its person for 3 seconds: no log needs it.
    leaks += [line[:300] for line in stderr.splitlines() if re.search(r"trigger_id\W+[0-9]+\.[0-9]+\.", line)]
    assert not leaks, "\n".join(leaks)
