"""What the fake Slack knows of the workspace: trigger_ids, channels, users, the block_ids Slack adds, and the
response_url of a slash command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import OTHER_TEAM_ID, TRIGGER_ID_SECONDS, FakeSlack
from tests.fakes.slack.testing import ManualClock, bare, button, error_of, section

MODAL = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "T"}, "blocks": []}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=FakeSlack.BOT_TOKEN, base_url=fake.api_url)


# ---- trigger_ids


def test_a_trigger_id_opens_one_view(fake: FakeSlack, client: WebClient) -> None:
    trigger_id = fake.new_trigger_id()
    assert client.views_open(trigger_id=trigger_id, view=MODAL)["ok"]
    assert error_of(lambda: client.views_open(trigger_id=trigger_id, view=MODAL)) == "exchanged_trigger_id"


def test_a_trigger_id_lasts_three_seconds(fake: FakeSlack, client: WebClient, clock: ManualClock) -> None:
    fresh, late = fake.new_trigger_id(), fake.new_trigger_id()
    clock.advance(TRIGGER_ID_SECONDS - 0.01)
    assert client.views_open(trigger_id=fresh, view=MODAL)["ok"]
    clock.advance(0.02)
    assert error_of(lambda: client.views_open(trigger_id=late, view=MODAL)) == "expired_trigger_id"
    expired = fake.new_trigger_id()
    fake.expire_trigger_ids()
    assert error_of(lambda: client.views_open(trigger_id=expired, view=MODAL)) == "expired_trigger_id"


@pytest.mark.parametrize("trigger_id", ["", "t", "1.2.abc", "12345.98765.abcd2358fdea"])
def test_a_trigger_id_slack_never_issued_is_invalid(client: WebClient, trigger_id: str) -> None:
    assert error_of(lambda: client.views_open(trigger_id=trigger_id, view=MODAL)) == "invalid_trigger_id"


def test_a_refused_view_leaves_the_trigger_id_usable(fake: FakeSlack, client: WebClient) -> None:
    trigger_id = fake.new_trigger_id()
    bad = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    assert error_of(lambda: client.views_open(trigger_id=trigger_id, view=bad)) == "invalid_arguments"
    assert client.views_open(trigger_id=trigger_id, view=MODAL)["ok"]


# ---- channels


def test_any_c_channel_is_public_with_the_bot_in_it(client: WebClient) -> None:
    assert client.chat_postMessage(channel="CANYTHING", text="x")["ok"]


def test_private_channel_the_bot_was_not_invited_to(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("CSECRET", "private", bot_member=False)
    assert error_of(lambda: client.chat_postMessage(channel="CSECRET", text="x")) == "not_in_channel"
    assert error_of(lambda: client.chat_update(channel="CSECRET", ts="1.2", text="x")) == "not_in_channel"
    fake.add_channel("CSECRET", "private")  # invited
    assert client.chat_postMessage(channel="CSECRET", text="x")["ok"]


def test_a_public_channel_the_bot_is_not_in_takes_its_posts_but_not_its_reads(
    fake: FakeSlack, client: WebClient
) -> None:
    """chat:write.public (in the manifest): posting needs no membership in a public channel; reading does."""
    fake.add_channel("CNOTIFY", bot_member=False)
    assert client.chat_postMessage(channel="CNOTIFY", text="x")["ok"]
    assert error_of(lambda: client.conversations_history(channel="CNOTIFY")) == "not_in_channel"


def test_dms_and_group_dms_the_bot_is_not_part_of_are_not_found(fake: FakeSlack, client: WebClient) -> None:
    for channel in ("D0DIRECT", "G0GROUP", "#incident", "U0ALICE"):
        assert error_of(lambda: client.chat_postMessage(channel=channel, text="x")) == "channel_not_found"  # noqa: B023
    assert error_of(lambda: client.chat_postEphemeral(channel="D0DIRECT", user="UALICE", text="x")) == (
        "channel_not_found"
    )
    fake.add_channel("D0BOTDM")  # the bot's own DM with someone
    fake.add_channel("G0WITHBOT", "mpim")
    assert client.chat_postMessage(channel="D0BOTDM", text="x")["ok"]
    assert client.chat_postMessage(channel="G0WITHBOT", text="x")["ok"]


def test_archived_channels(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="CINCIDENT", text="x")["ts"]
    fake.archive("CINCIDENT")
    assert error_of(lambda: client.chat_postMessage(channel="CINCIDENT", text="x")) == "is_archived"
    assert error_of(lambda: client.chat_update(channel="CINCIDENT", ts=ts, text="y")) == "is_archived"
    fake.add_channel("COLD", archived=True)
    assert error_of(lambda: client.chat_postMessage(channel="COLD", text="x")) == "is_archived"
    with pytest.raises(KeyError):
        fake.archive("D0NOBODY")


# ---- users.info


def test_a_plain_member(client: WebClient) -> None:
    user = client.users_info(user="UALICE")["user"]
    assert (user["team_id"], user["is_restricted"], user["is_ultra_restricted"], user["deleted"]) == (
        FakeSlack.TEAM_ID,
        False,
        False,
        False,
    )
    assert user["is_bot"] is False and "is_stranger" not in user
    assert client.users_info(user=FakeSlack.BOT_USER_ID)["user"]["is_bot"] is True


def test_the_locale_is_answered_only_when_asked_for(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("UWEI", locale="zh-CN")
    assert "locale" not in client.users_info(user="UWEI")["user"]
    assert client.users_info(user="UWEI", include_locale=True)["user"]["locale"] == "zh-CN"
    assert client.users_info(user="UALICE", include_locale=True)["user"]["locale"] == "en-US"


def test_guests_slack_connect_people_and_the_rest(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("UGUEST", guest=True)
    fake.add_user("USINGLE", guest="single")
    fake.add_user("UPARTNER", external=True)
    fake.add_user("USTRANGER", stranger=True)
    fake.add_user("UGONE", deleted=True)
    fake.add_user("UOTHERBOT", is_bot=True, real_name="Other Bot")

    def flags(user_id: str) -> tuple[object, ...]:
        user = client.users_info(user=user_id)["user"]
        return user["is_restricted"], user["is_ultra_restricted"], user["team_id"], user.get("is_stranger", False)

    assert flags("UGUEST") == (True, False, FakeSlack.TEAM_ID, False)
    assert flags("USINGLE") == (True, True, FakeSlack.TEAM_ID, False)  # single-channel guests carry both
    assert flags("UPARTNER") == (False, False, OTHER_TEAM_ID, False)
    assert flags("USTRANGER") == (False, False, OTHER_TEAM_ID, True)
    assert client.users_info(user="UGONE")["user"]["deleted"] is True
    other = client.users_info(user="UOTHERBOT")["user"]
    assert other["is_bot"] is True and other["real_name"] == "Other Bot"
    fake.users["UWHOLE"] = {"id": "UWHOLE", "name": "whole"}
    assert client.users_info(user="UWHOLE")["user"] == {"id": "UWHOLE", "name": "whole"}
    assert error_of(lambda: client.users_info(user="BNOTAUSER")) == "user_not_found"


# ---- block_ids


def test_stored_blocks_carry_the_block_ids_slack_adds(fake: FakeSlack, client: WebClient) -> None:
    blocks = [section("a"), section("b", block_id="mine"), {"type": "actions", "elements": [button("go")]}]
    posted = client.chat_postMessage(channel="C1", text="t", blocks=blocks)
    ids = [block["block_id"] for block in posted["message"]["blocks"]]
    assert ids[1] == "mine" and len(set(ids)) == 3 and all(0 < len(block_id) <= 5 for block_id in ids)
    assert bare(posted["message"]["blocks"]) == bare(blocks)
    assert fake.message("C1", posted["ts"])["blocks"] == posted["message"]["blocks"]
    assert client.conversations_history(channel="C1")["messages"][0]["blocks"] == posted["message"]["blocks"]

    updated = client.chat_update(channel="C1", ts=posted["ts"], text="t", blocks=[section("c")])
    assert updated["message"]["blocks"][0]["block_id"]
    WebhookClient(fake.new_response_url("C1", posted["ts"])).send(
        text="r", blocks=[section("d")], replace_original=True
    )
    assert fake.message("C1", posted["ts"])["blocks"][0]["block_id"]


def test_conversations_history_newest_first_without_thread_replies(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="first")["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=first)
    client.chat_postMessage(channel="C1", text="second")
    client.chat_postMessage(channel="C2", text="elsewhere")
    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["second", "first"]
    assert error_of(lambda: client.conversations_history(channel="D0DIRECT")) == "channel_not_found"
    fake.add_channel("CSECRET", "private", bot_member=False)
    assert error_of(lambda: client.conversations_history(channel="CSECRET")) == "not_in_channel"


# ---- response_urls


def test_a_slash_commands_response_url_never_replaces(fake: FakeSlack) -> None:
    url = fake.new_response_url("CINCIDENT", from_command=True)
    hook = WebhookClient(url)
    assert hook.send(text="Looking up…", response_type="ephemeral").status_code == 200
    assert hook.send(text="The answer", response_type="ephemeral", replace_original=True).status_code == 200
    assert [post.replaced_original for post in fake.posts_to(url)] == [False, False]  # two messages on screen

    clicked = fake.new_response_url("CINCIDENT")  # a click in an ephemeral message: that one is replaced
    WebhookClient(clicked).send(text="Updated", replace_original=True)
    assert [post.replaced_original for post in fake.posts_to(clicked)] == [True]
