"""Only Slack's signed, fresh requests act: forged, tampered, replayed and stale ones change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import requests

from bot.rollback.model import RollbackRequest, State
from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import request_rollback, wait_verified
from tests.support.harness import SIGNING_SECRET, RunningBot


def approve_body(request: RollbackRequest, user: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": FakeSlack.TEAM_ID},
        "api_app_id": FakeSlack.APP_ID,
        "team": {"id": FakeSlack.TEAM_ID, "domain": "fake"},
        "container": {"type": "message", "message_ts": request.message_ts, "channel_id": request.channel_id},
        "channel": {"id": request.channel_id, "name": "incident"},
        "message": {"ts": request.message_ts, "text": "", "blocks": []},
        "trigger_id": "1.2.abc",
        "actions": [{"type": "button", "action_id": APPROVE, "block_id": "b1", "value": str(request.id)}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def untouched(bot: RunningBot, wechat: FakeWeChat, request: RollbackRequest) -> bool:
    current = bot.workflow.get(request.id)
    return current is not None and current.state is State.PENDING and wechat.rollback_calls() == []


def test_a_claimed_identity_without_slacks_signature_does_nothing(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    body, now = approve_body(request, "UAPPROVER"), int(time.time())
    unsigned = requests.post(
        bot.sender.events_url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10
    )
    assert unsigned.status_code == 401
    assert bot.sender.post(body, timestamp=now, signature=signature(body, now, "a-guessed-secret")).status_code == 401
    assert bot.sender.post(body, timestamp=now, signature="v0=").status_code == 401
    assert untouched(bot, wechat, request)


def test_a_tampered_body_is_refused_even_with_a_real_signature(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    now = int(time.time())
    genuine = approve_body(request, "UALICE")  # the requester's own click, really signed
    forged = approve_body(request, "UBOB")  # the same click, claiming to be someone else
    assert bot.sender.post(forged, timestamp=now, signature=signature(genuine, now)).status_code == 401
    assert bot.sender.post(forged, timestamp=now + 1, signature=signature(forged, now)).status_code == 401
    assert untouched(bot, wechat, request)


def test_a_stale_request_is_refused_though_correctly_signed(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    body = approve_body(request, "UBOB")
    for age in (301, 3600, -400):  # Slack's window is five minutes, either way
        then = int(time.time()) - age
        assert bot.sender.post(body, timestamp=then, signature=signature(body, then)).status_code == 401
    assert untouched(bot, wechat, request)


def test_a_replayed_approval_rolls_back_once(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    body, now = approve_body(request, "UBOB"), int(time.time())
    captured = signature(body, now)
    answers = [bot.sender.post(body, timestamp=now, signature=captured).status_code for _ in range(5)]
    assert answers == [200] * 5  # fresh and genuine, so accepted: the workflow, not the signature, stops it
    done = wait_verified(bot, slack, request.id)
    assert done.decided_by == "UBOB"
    assert len(wechat.rollback_calls()) == 1
