from typing import Any

import pytest

from bot.rollback.workflow import Options
from bot.slack.ids import PICK_VERSION, STOP_GRAY
from bot.slack.messages.picker import picker_message
from bot.wechat.types import GrayReleasePlan, HistoryVersion, Release

VERSIONS = [
    HistoryVersion(102, "1.1.0", "stable", 1_700_000_000),
    HistoryVersion(101, "1.0.0", "<b>old</b>", 1_690_000_000),
]
ONLINE = Release("1.2.0", "new checkout", 1_710_000_000)
NO_GRAY = GrayReleasePlan(status=0, percentage=0)


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [block["accessory"] for block in blocks if "accessory" in block]


def test_one_button_per_version_naming_the_program_and_app_version() -> None:
    _, blocks = picker_message(Options("wx_app", "wx_app", ONLINE, VERSIONS, NO_GRAY))
    buttons = _buttons(blocks)
    assert [button["value"] for button in buttons] == ["wx_app:102", "wx_app:101"]
    assert all(PICK_VERSION.match(button["action_id"]) for button in buttons)
    assert len({button["action_id"] for button in buttons}) == 2
    assert all("confirm" in button for button in buttons)
    assert buttons[0]["text"]["text"] == "Roll back to 1.1.0"
    body = "\n".join(block["text"]["text"] for block in blocks)
    assert "Online now: *1.2.0*" in body
    assert "&lt;b&gt;old&lt;/b&gt;" in body
    assert "app_version 102" in body


def test_empty_history_is_explained_without_buttons() -> None:
    text, blocks = picker_message(Options("wx_app", "wx_app", ONLINE, [], NO_GRAY))
    assert not _buttons(blocks)
    assert "no version to roll back to" in text.lower()
    assert "right after a rollback" in blocks[-1]["text"]["text"]


@pytest.mark.parametrize("status", [1, 2])
def test_a_phased_release_is_shown_with_its_stop_and_no_version_buttons(status: int) -> None:
    plan = GrayReleasePlan(status=status, percentage=20, created=1_517_553_721, experiencer_first=True)
    _, blocks = picker_message(Options("wx_app", "wx_app", ONLINE, VERSIONS, plan))
    [stop] = _buttons(blocks)
    assert stop["action_id"] == STOP_GRAY and stop["value"] == "wx_app:1517553721"
    text = blocks[1]["text"]["text"]
    assert f"*{plan.status_words}* at 20%" in text and "<!date^1517553721^" in text and "testers first" in text
    assert "offered once the phased release is stopped" in blocks[2]["text"]["text"]


@pytest.mark.parametrize("status", [0, 3, 4])
def test_after_a_phased_release_the_versions_are_offered_again(status: int) -> None:
    plan = GrayReleasePlan(status=status, percentage=100, created=1_517_553_721)
    buttons = _buttons(picker_message(Options("wx_app", "wx_app", ONLINE, VERSIONS, plan))[1])
    assert buttons and all(button["action_id"] != STOP_GRAY for button in buttons)


def test_nothing_online() -> None:
    _, blocks = picker_message(Options("wx_app", "wx_app", None, VERSIONS, NO_GRAY))
    assert "no released version" in blocks[0]["text"]["text"]


def test_long_version_name_fits_button_limit() -> None:
    long = [HistoryVersion(5, "v" * 200, "", 0)]
    assert len(_buttons(picker_message(Options("wx_app", "wx_app", ONLINE, long, NO_GRAY))[1])[0]["text"]["text"]) <= 75


def test_versions_are_listed_newest_first_whatever_order_wechat_sends() -> None:
    # WeChat's API page shows the list oldest first; ties on commit_time go to the higher app_version.
    oldest_first = [
        HistoryVersion(101, "1.0.0", "", 1_690_000_000),
        HistoryVersion(103, "1.1.1", "", 1_700_000_000),
        HistoryVersion(102, "1.1.0", "", 1_700_000_000),
        HistoryVersion(104, "1.1.2", "", 1_705_000_000),
    ]
    _, blocks = picker_message(Options("wx_app", "wx_app", ONLINE, oldest_first, NO_GRAY))
    assert [button["value"] for button in _buttons(blocks)] == ["wx_app:104", "wx_app:103", "wx_app:102", "wx_app:101"]
    assert any(block["text"]["text"] == "Versions WeChat can roll back to, newest first:" for block in blocks)


def test_versions_kept_during_a_phased_release_are_newest_first_too() -> None:
    paused = GrayReleasePlan(status=2, percentage=5)
    _, blocks = picker_message(Options("wx_app", "wx_app", ONLINE, list(reversed(VERSIONS)), paused))
    listed = [block["text"]["text"].split("*")[1] for block in blocks if "app_version" in block["text"]["text"]]
    assert listed == ["1.1.0", "1.0.0"]
