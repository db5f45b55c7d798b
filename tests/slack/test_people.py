"""Guests and people of another organisation, as users.info tells them (the fake Slack answers as Slack does),
cached briefly; what stands in while Slack does not answer."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import Person
from bot.slack.directory import SlackPeople
from tests.fakes.slack import FakeSlack


def _people(slack: FakeSlack, cache_seconds: float = 60.0) -> SlackPeople:
    return SlackPeople(WebClient(token=slack.BOT_TOKEN, base_url=slack.api_url), cache_seconds=cache_seconds)


def test_members_guests_and_other_organisations(slack: FakeSlack) -> None:
    slack.add_user("UGUEST", guest=True)
    slack.add_user("USINGLE", guest="single")
    slack.add_user("UPARTNER", external=True)
    slack.add_user("USTRANGER", stranger=True)
    people = _people(slack)
    assert people.person("UBOB") == Person("UBOB", guest=False, external=False)
    assert people.person("UGUEST") == Person("UGUEST", guest=True, external=False)
    assert people.person("USINGLE") == Person("USINGLE", guest=True, external=False)
    assert people.person("UPARTNER") == Person("UPARTNER", guest=False, external=True)
    assert people.person("USTRANGER").external


def test_another_workspace_of_the_same_enterprise_is_not_another_organisation(slack: FakeSlack) -> None:
    slack.add_user("UGRID", enterprise_user={"enterprise_id": "E0ORG", "teams": ["T0SISTER"]})
    slack.users["UGRID"]["team_id"] = "T0SISTER"  # a sister workspace of the organisation
    people = _people(slack)
    people._home = (slack.TEAM_ID, "E0ORG")  # as auth.test answers in an Enterprise Grid organisation
    assert not people.person("UGRID").external
    people._home = (slack.TEAM_ID, None)
    people._cache.clear()
    assert people.person("UGRID").external


def test_answers_are_cached_briefly(slack: FakeSlack) -> None:
    people = _people(slack)
    for _ in range(3):
        people.person("UBOB")
    assert len(slack.calls_to("users.info")) == 1
    expired = _people(slack, cache_seconds=0)
    expired.person("UBOB")
    expired.person("UBOB")
    assert len(slack.calls_to("users.info")) == 3


def test_a_refusal_by_slack_is_raised_for_the_rules_to_refuse(slack: FakeSlack) -> None:
    slack.fail_next("users.info", "missing_scope")
    with pytest.raises(SlackApiError):
        _people(slack).person("UBOB")


def test_while_slack_does_not_answer_the_last_known_answer_stands_in(slack: FakeSlack) -> None:
    slack.add_user("UGUEST", guest=True)
    people = _people(slack, cache_seconds=0)
    assert people.person("UGUEST").guest
    slack.outage()
    try:
        assert people.person("UGUEST").guest  # still a guest: the answer known stands in
        assert people.person("UNEW") == Person("UNEW", guest=False, external=False)  # unseen: let through
    finally:
        slack.restore()
