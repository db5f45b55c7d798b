"""Guests and people of another organisation, as users.info tells them (the fake Slack answers as Slack does),
cached briefly; what stands in while Slack does not answer."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import Person, Refusal, RollbackRequest
from bot.rollback.policy import ApprovalPolicy
from bot.slack.directory import PersonUnknown, SlackPeople, SlackUserGroups
from tests.fakes.slack import FakeSlack
from tests.support.factories import make_request


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
        with pytest.raises(PersonUnknown):  # never seen: not let through unchecked
            people.person("UNEW")
    finally:
        slack.restore()
    assert not people.person("UNEW").guest


def test_an_unknown_person_is_refused_while_slack_does_not_answer(slack: FakeSlack) -> None:
    """A guest Slack cannot vouch for during an outage does not approve: the rules refuse, naming why."""
    slack.add_user("UGUEST", guest=True)
    policy = ApprovalPolicy(people=_people(slack))
    slack.outage()
    try:
        assert policy.why_not_approve(_request(), "UGUEST") is Refusal.UNKNOWN_PERSON
    finally:
        slack.restore()
    assert policy.why_not_approve(_request(), "UGUEST") is Refusal.GUEST


def test_the_named_approvers_are_read_ahead_so_an_outage_does_not_lock_them_out(slack: FakeSlack) -> None:
    slack.add_user("UCAROL")
    slack.add_user("UGUEST", guest=True)
    people = _people(slack, cache_seconds=0)
    policy = ApprovalPolicy(approvers=frozenset({"UCAROL", "UGUEST"}), people=people)
    assert people.read_ahead_due()
    paces: list[float] = []

    def pace(seconds: float) -> bool:
        paces.append(seconds)
        return False

    people.read_ahead(policy.named_approvers(), pace)
    assert sorted(call.args["user"] for call in slack.calls_to("users.info")) == ["UCAROL", "UGUEST"]
    assert paces == [1.0]  # one pause between the two reads
    assert not people.read_ahead_due()  # not again within the half hour
    slack.outage()
    try:
        assert policy.why_not_approve(_request(), "UCAROL") is None
        assert policy.why_not_approve(_request(), "UGUEST") is Refusal.GUEST
    finally:
        slack.restore()


def _request() -> RollbackRequest:
    return make_request()


def test_slack_failing_internally_is_not_a_refusal_the_known_answer_stands_in(slack: FakeSlack) -> None:
    people = _people(slack, cache_seconds=0)
    assert not people.person("UBOB").guest
    slack.fail_next("users.info", "internal_error")  # HTTP 200, ok=false: Slack failed, the question was fine
    assert not people.person("UBOB").guest
    slack.fail_next("users.info", "fatal_error")
    with pytest.raises(PersonUnknown):
        people.person("UNEW")


def test_the_approver_group_last_read_stands_in_while_slack_does_not_answer(slack: FakeSlack) -> None:
    slack.usergroup_members["S0ONCALL"] = ["UBOB"]
    groups = SlackUserGroups(WebClient(token=slack.BOT_TOKEN, base_url=slack.api_url), cache_seconds=0)
    policy = ApprovalPolicy(approver_group="S0ONCALL", directory=groups)
    assert policy.why_not_approve(_request(), "UBOB") is None
    slack.outage()
    try:
        assert policy.why_not_approve(_request(), "UBOB") is None  # the members last read stand in
        assert policy.why_not_approve(_request(), "UCAROL") is Refusal.NOT_APPROVER
        unread = ApprovalPolicy(approver_group="S0OTHER", directory=groups)
        assert unread.why_not_approve(_request(), "UBOB") is Refusal.UNKNOWN_MEMBERSHIP  # says why, not "not listed"
    finally:
        slack.restore()


def test_a_requester_is_read_at_the_request_so_break_glass_works_while_slack_does_not_answer(
    slack: FakeSlack,
) -> None:
    slack.add_user("UPARTNER", external=True)
    policy = ApprovalPolicy(people=_people(slack, cache_seconds=0), break_glass=True)
    assert policy.why_not_request("UALICE") is None
    assert policy.why_not_request("UPARTNER") is Refusal.REQUESTER_EXTERNAL
    slack.outage()
    try:
        assert policy.why_not_break_glass(_request(), "UALICE") is None
        assert policy.why_not_request("UNEW") is None  # asking is not deciding: Slack's silence does not refuse it
    finally:
        slack.restore()
