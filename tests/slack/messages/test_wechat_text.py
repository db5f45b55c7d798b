"""Whatever WeChat supplies (version names, descriptions, errmsg) is shown as text, never as Slack markup: a build
named `<!channel>` must not ping the channel, in the blocks or in the notification's `text`. Long text is cut
before it is escaped, and a finished message is never cut inside an entity, a mention or a link."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.rollback.model import Known, Refusal, State
from bot.rollback.outcome import judge_accepted
from bot.slack.messages.format import clip, context, section
from bot.slack.messages.notices import database_notice, refusal_notice
from bot.slack.messages.problems import describe_problem
from bot.slack.messages.request import request_message
from bot.slack.messages.status import history_message
from bot.wechat.errors import error_for
from tests.support.factories import make_request

HOSTILE = "<!channel> 2.0 <@U0BOSS> <https://evil.example|release notes> &amp;"


def test_a_hostile_version_name_is_text_in_the_blocks_and_in_the_notification() -> None:
    request = make_request(
        online_version=HOSTILE,
        target=replace(make_request().target, user_version=HOSTILE, user_desc=HOSTILE),
    )
    text, blocks = request_message(request, program="shop")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<https://evil" not in text and "&amp;amp;" in text
    shown = json.dumps(blocks)
    assert "<!channel>" not in shown and "<@U0BOSS>" not in shown and "<https://evil" not in shown


def test_history_shows_hostile_versions_as_text() -> None:
    request = make_request(online_version=HOSTILE, state=State.SUCCEEDED)
    _, blocks = history_message("shop", [request], {})
    assert "<!channel>" not in json.dumps(blocks)


def test_wechat_errmsg_and_answers_are_text() -> None:
    problem = describe_problem(error_for(85019, f"no such version {HOSTILE} rid: 1-2-3"), reference="")
    assert "<!channel>" not in problem and "&lt;!channel&gt;" in problem
    answer = replace(judge_accepted(make_request(state=State.SENDING)), words=f"WeChat said {HOSTILE}")
    assert "<!channel>" not in database_notice(Known.SENT_UNRECORDED, make_request(state=State.SENDING), answer)
    stale = make_request(decision_note=f"the online version changed from 1.2.0 to {HOSTILE}", state=State.CANCELLED)
    assert "<!channel>" not in refusal_notice(Refusal.STALE, stale)


def test_a_long_text_is_cut_before_it_is_escaped() -> None:
    """The reason is cut to its limit first: the entities the escaping adds can neither be cut nor lengthen
    the message past Slack's 3000 characters."""
    request = make_request(reason="&" * 3000, target=replace(make_request().target, user_desc="<" * 3000))
    _, blocks = request_message(request)
    for block in blocks:
        text = block.get("text", {}).get("text", "") if isinstance(block.get("text"), dict) else ""
        assert len(text) <= 3000
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), "an entity was cut"


MENTION = st.sampled_from(["<@U0ALICE>", "<!channel>", "<#C0INCIDENT>", "<https://example.com/a?b=c|a link>"])
ESCAPED = st.sampled_from(["&amp;", "&lt;", "&gt;"])
PLAIN = st.text(alphabet=st.characters(blacklist_characters="<>&"), max_size=40)


@given(pieces=st.lists(st.one_of(MENTION, ESCAPED, PLAIN), min_size=1, max_size=400), limit=st.integers(5, 3000))
def test_clip_never_cuts_inside_an_entity_a_mention_or_a_link(pieces: list[str], limit: int) -> None:
    mrkdwn = "".join(pieces)
    cut = clip(mrkdwn, limit)
    assert len(cut) <= limit
    if cut != mrkdwn:
        assert cut.endswith("…") and mrkdwn.startswith(cut[:-1])
    kept = cut.removesuffix("…") if cut != mrkdwn else cut
    assert not re.search(r"&(?!amp;|lt;|gt;)", kept)
    assert kept.count("<") == kept.count(">")  # every mention and link whole
    assert section(mrkdwn)["text"] == {"type": "mrkdwn", "text": clip(mrkdwn, 3000)}
    assert context(mrkdwn)["elements"] == [{"type": "mrkdwn", "text": clip(mrkdwn, 3000)}]


def test_clip_backs_off_a_mention_and_an_entity_at_the_limit() -> None:
    assert clip("a" * 10 + "<@U0ALICE>", 15) == "a" * 10 + "…"
    assert clip("a" * 10 + "&amp;b", 13) == "a" * 10 + "…"
    assert clip("a" * 10 + "&amp;bc", 16) == "a" * 10 + "&amp;" + "…"
    assert clip("x" * 2995 + "<!subteam^S0ONCALL>", 3000) == "x" * 2995 + "…"  # no half a page left behind
