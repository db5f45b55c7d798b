"""A person's own Slack language (USER_LOCALE=true): read from users.info with include_locale, against the fake
Slack over HTTP."""

from __future__ import annotations

import contextvars

from slack_sdk import WebClient

from bot import i18n
from bot.slack.locales import SlackLocales
from tests.fakes.slack import FakeSlack


def _locales(slack: FakeSlack) -> SlackLocales:
    return SlackLocales(WebClient(token=slack.BOT_TOKEN, base_url=slack.api_url))


def test_a_locale_the_bot_speaks_is_its_language_and_any_other_is_none(slack: FakeSlack) -> None:
    slack.add_user("UWEI", locale="zh-CN")
    slack.add_user("UBOB", locale="en-GB")
    slack.add_user("UYUKI", locale="ja-JP")
    locales = _locales(slack)
    assert [locales.language(user) for user in ("UWEI", "UBOB", "UYUKI")] == ["zh", "en", None]
    asked = [call.args for call in slack.calls_to("users.info")]
    assert len(asked) == 3 and all(str(args["include_locale"]).lower() in ("true", "1") for args in asked)
    assert locales.language("UWEI") == "zh" and len(slack.calls_to("users.info")) == 3  # cached


def test_while_slack_does_not_answer_the_program_language_is_used_and_slack_is_not_asked_at_every_click(
    slack: FakeSlack,
) -> None:
    slack.add_user("UWEI", locale="zh-CN")
    locales = _locales(slack)
    slack.outage()
    try:
        assert locales.language("UWEI") is None
        asked = len(slack.calls_to("users.info"))
        assert locales.language("UWEI") is None and len(slack.calls_to("users.info")) == asked
    finally:
        slack.restore()


def test_language_codes() -> None:
    assert [i18n.language_code(tag) for tag in ("zh-CN", "zh_Hans", "ZH", "en-US", "fr-FR", "")] == [
        "zh",
        "zh",
        "zh",
        "en",
        None,
        None,
    ]


def test_a_reply_is_in_the_persons_language_else_the_programs_and_a_channel_message_in_the_programs() -> None:
    def listener() -> None:  # as bot.slack.errors runs each listener: in a context of its own
        i18n.answer_for("wxzh")
        assert i18n.current() == "zh"  # no person's language known: the program's
        i18n.answer_for("wxother")
        assert i18n.current() == "en"
        i18n.person("en")
        i18n.answer_for("wxzh")
        assert i18n.current() == "en"  # the person's own, over the program's
        with i18n.speaking(i18n.program_language("wxzh")):
            assert i18n.current() == "zh"  # a channel message: the program's

    i18n.configure("en", {"wxzh": "zh"})
    try:
        contextvars.Context().run(listener)
        assert i18n.current() == "en"  # nothing the listener set is left behind
    finally:
        i18n.configure("en")
