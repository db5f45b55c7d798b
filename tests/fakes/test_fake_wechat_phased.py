"""The fake WeChat's phased (gray) releases and the changes made in the admin console, over real HTTP.

Documented behaviour (tests/fakes/wechat_code.py names the pages): the plan's fields and status values 0-4,
revertgrayrelease only while a phased release runs or is paused, 87011 for a rollback meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.fakes.test_fake_wechat import get, listing, refusal, rollback, stable_token
from tests.fakes.wechat import NO_GRAY_PLAN, FakeWeChat

GRAY_RUNNING = (87011, "wxa has a gray release plan, forbid revert release")


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    with FakeWeChat() as server:
        for version in ("1.0.0", "1.1.0", "1.2.0"):
            server.release(version)
        yield server


@pytest.fixture
def token(fake: FakeWeChat) -> str:
    value: str = stable_token(fake)["access_token"]
    return value


def plan(fake: FakeWeChat, token: str) -> dict[str, object]:
    body = get(fake, "/wxa/getgrayreleaseplan", access_token=token).json()
    assert body["errcode"] == 0
    answer: dict[str, object] = body["gray_release_plan"]
    return answer


def online(fake: FakeWeChat, token: str) -> str:
    url = fake.base_url + "/wxa/getversioninfo"
    body = requests.post(url, params={"access_token": token}, json={}, timeout=20).json()
    version: str = body["release_info"]["release_version"]
    return version


def test_the_plan_carries_every_documented_field(fake: FakeWeChat, token: str) -> None:
    fake.start_phased_release("1.3.0", 8, experiencer_first=True, debuger_first=True, created=1_517_553_721)
    assert plan(fake, token) == {
        "status": 1,
        "create_timestamp": 1_517_553_721,
        "gray_percentage": 8,
        "support_experiencer_first": True,
        "support_debuger_first": True,
    }


def test_paused_and_running_both_refuse_a_rollback_and_can_be_reverted(fake: FakeWeChat, token: str) -> None:
    fake.start_phased_release("1.3.0", 5)
    assert online(fake, token) == "1.2.0"  # the fake's choice: the version before stays released to everyone
    fake.pause_phased_release()
    assert plan(fake, token)["status"] == 2
    assert refusal(rollback(fake, token)) == GRAY_RUNNING
    fake.resume_phased_release(20)
    assert plan(fake, token)["status"] == 1 and plan(fake, token)["gray_percentage"] == 20
    assert refusal(rollback(fake, token)) == GRAY_RUNNING
    assert get(fake, "/wxa/revertgrayrelease", access_token=token).json() == {"errcode": 0, "errmsg": "ok"}
    assert plan(fake, token)["status"] == 4
    assert fake.gray_version is None and online(fake, token) == "1.2.0"
    body = get(fake, "/wxa/revertgrayrelease", access_token=token).json()
    assert body["errcode"] == NO_GRAY_PLAN  # nothing left to cancel
    assert rollback(fake, token)["errcode"] == 0 and online(fake, token) == "1.1.0"


def test_a_finished_phased_release_is_released_and_cannot_be_reverted(fake: FakeWeChat, token: str) -> None:
    fake.start_phased_release("1.3.0", 50)
    fake.finish_phased_release()
    assert plan(fake, token)["status"] == 3 and plan(fake, token)["gray_percentage"] == 100
    assert online(fake, token) == "1.3.0"
    assert get(fake, "/wxa/revertgrayrelease", access_token=token).json()["errcode"] == NO_GRAY_PLAN
    assert [v["user_version"] for v in listing(fake, token)] == ["1.0.0", "1.1.0", "1.2.0"]


@pytest.mark.parametrize("paused", [False, True])
def test_a_rollback_from_the_console_follows_wechats_rules(fake: FakeWeChat, token: str, paused: bool) -> None:
    fake.start_phased_release("1.3.0")
    if paused:
        fake.pause_phased_release()
    assert fake.rollback_outside()["errcode"] == 87011
    assert get(fake, "/wxa/revertgrayrelease", access_token=token).json()["errcode"] == 0
    assert fake.rollback_outside()["errcode"] == 0
    assert online(fake, token) == "1.1.0"
    assert fake.rollback_outside()["errcode"] == 87012  # one rollback per release
    assert fake.rollback_calls() == []  # the console's rollback is not a call the bot made


@pytest.mark.parametrize(
    ("after_revert", "answer"),
    [("deleted", {"status": 4, "gray_percentage": 5}), ("initial", {"status": 0, "gray_percentage": 0})],
)
def test_what_the_plan_reads_after_a_revert_is_the_fakes_choice(
    fake: FakeWeChat, token: str, after_revert: str, answer: dict[str, object]
) -> None:
    fake.after_revert = after_revert
    fake.start_phased_release("1.3.0", 5, created=1_700_000_000)
    assert get(fake, "/wxa/revertgrayrelease", access_token=token).json()["errcode"] == 0
    read = plan(fake, token)
    assert {key: read[key] for key in answer} == answer
    assert ("create_timestamp" in read) is (after_revert == "deleted")


def test_no_plan_after_a_revert_and_no_create_timestamp_when_there_is_none(fake: FakeWeChat, token: str) -> None:
    fake.start_phased_release("1.3.0", 5, created=0)
    assert plan(fake, token)["status"] == 1 and "create_timestamp" not in plan(fake, token)
    fake.after_revert = "absent"
    assert get(fake, "/wxa/revertgrayrelease", access_token=token).json()["errcode"] == 0
    body = get(fake, "/wxa/getgrayreleaseplan", access_token=token).json()
    assert body == {"errcode": 0, "errmsg": "ok"}
