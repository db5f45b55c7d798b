"""The notice for a request the channel did not take: its words fit the cause, and "Post again…" carries the
reason back, whatever characters it is made of."""

from __future__ import annotations

import pytest

from bot.rollback.model import MAX_REASON_LENGTH
from bot.rollback.publishing import PostCause, PostRefused
from bot.slack.messages.unposted import VALUE_LIMIT, Repost, unposted_notice


def _button(blocks: list[dict[str, object]]) -> dict[str, str] | None:
    actions = [block for block in blocks if block["type"] == "actions"]
    return actions[0]["elements"][0] if actions else None  # type: ignore[index]


@pytest.mark.parametrize("reason", ['"' * MAX_REASON_LENGTH, "\\" * MAX_REASON_LENGTH, "结账失败🙈" * 200, "a" * 1000])
def test_post_again_survives_any_reason(reason: str) -> None:
    repost = Repost("wx_app", 101, "CINCIDENT", "1.1.0", reason)
    _, blocks = unposted_notice(7, PostRefused(PostCause.RATE_LIMITED, "ratelimited"), repost)
    button = _button(blocks)
    assert button is not None and len(button["value"]) <= VALUE_LIMIT
    carried = Repost.load(button["value"]).reason
    assert reason.startswith(carried) and len(carried) >= MAX_REASON_LENGTH // 2


def test_an_archived_channel_offers_no_post_again() -> None:
    repost = Repost("wx_app", 101, "CINCIDENT", "1.1.0", "broken")
    text, blocks = unposted_notice(7, PostRefused(PostCause.ARCHIVED, "is_archived"), repost)
    assert "archived" in text and _button(blocks) is None
