"""The version watch's notice: a version name is whoever uploaded the code's to choose, so it is escaped in the
notification text as in the blocks (a `<!channel>` in a build name must not ping the channel)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack.messages.watch import change_notice


def test_slack_markup_in_a_change_is_shown_not_acted_on() -> None:
    change = "released 1.3.0 <!channel> <https://evil.example|fix> & more"
    text, blocks = change_notice("shop", "shop", "wx0123456789abcdef", change, datetime(2026, 12, 6, tzinfo=UTC))
    assert "<!channel>" not in text and "<https://" not in text
    assert "&lt;!channel&gt;" in text and "&amp; more" in text
    assert "<!channel>" not in blocks[0]["text"]["text"]
