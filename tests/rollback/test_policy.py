"""Who may approve, reject, cancel and break glass, and where: the rules alone, without Slack or a database."""

from __future__ import annotations

from dataclasses import replace

from bot.rollback.model import Person, Refusal
from bot.rollback.policy import ApprovalPolicy
from tests.support.factories import make_request

REQUEST = make_request()  # requested by UALICE


class Directory:
    """A user group's members, as Slack's usergroups.users.list would give them."""

    def __init__(self, members: frozenset[str] = frozenset(), broken: bool = False) -> None:
        self._members = members
        self._broken = broken

    def members(self, group_id: str) -> frozenset[str]:
        if self._broken:
            raise RuntimeError("usergroups.users.list failed")
        return self._members if group_id == "S_ONCALL" else frozenset()


def test_anyone_but_the_requester_approves_when_nobody_is_listed() -> None:
    policy = ApprovalPolicy()
    assert policy.why_not_approve(REQUEST, "UALICE") is Refusal.SELF_APPROVAL
    assert policy.why_not_approve(REQUEST, "UBOB") is None
    assert policy.why_not_reject(REQUEST, "UALICE") is Refusal.REQUESTER_REJECT
    assert policy.why_not_cancel(REQUEST, "UBOB") is Refusal.NOT_REQUESTER
    assert policy.why_not_cancel(REQUEST, "UALICE") is None


def test_listed_approvers_and_group_members_only() -> None:
    policy = ApprovalPolicy(
        approvers=frozenset({"UBOB"}), approver_group="S_ONCALL", directory=Directory(frozenset({"UCAROL"}))
    )
    assert policy.why_not_approve(REQUEST, "UBOB") is None
    assert policy.why_not_approve(REQUEST, "UCAROL") is None
    assert policy.why_not_approve(REQUEST, "UDAVE") is Refusal.NOT_APPROVER
    assert policy.why_not_reject(REQUEST, "UDAVE") is Refusal.NOT_APPROVER


def test_an_unreadable_group_grants_nothing_and_says_why() -> None:
    policy = ApprovalPolicy(approver_group="S_ONCALL", directory=Directory(frozenset({"UCAROL"}), broken=True))
    assert policy.why_not_approve(REQUEST, "UCAROL") is Refusal.UNKNOWN_MEMBERSHIP


def test_a_request_the_group_could_never_complete_is_refused_unless_break_glass_completes_it() -> None:
    two = ApprovalPolicy(approver_group="S_ONCALL", directory=Directory(frozenset({"UALICE", "UBOB"})))
    two = replace(two, approvals_required=2)
    refused = two.why_no_one_could_approve("UALICE")
    assert refused is not None
    assert (refused.refusal, refused.facts) == (Refusal.NO_ONE_COULD_APPROVE, {"required": 2, "others": 1})
    assert two.why_no_one_could_approve("UCAROL") is None
    assert replace(two, break_glass=True).why_no_one_could_approve("UALICE") is None
    unreadable = replace(two, directory=Directory(frozenset({"UALICE"}), broken=True))
    assert unreadable.why_no_one_could_approve("UALICE") is None  # the approvals will tell


def test_break_glass_is_the_requester_s_alone_and_only_where_enabled() -> None:
    assert ApprovalPolicy().why_not_break_glass(REQUEST, "UALICE") is Refusal.BREAK_GLASS_DISABLED
    enabled = ApprovalPolicy(break_glass=True)
    assert enabled.why_not_break_glass(REQUEST, "UALICE") is None
    assert enabled.why_not_break_glass(REQUEST, "UBOB") is Refusal.NOT_REQUESTER


def test_channels() -> None:
    policy = ApprovalPolicy(channels=frozenset({"CINCIDENT"}))
    assert policy.why_not_here("CINCIDENT") is None
    assert policy.why_not_here("CRANDOM") is Refusal.WRONG_CHANNEL
    assert ApprovalPolicy().why_not_here(None) is None


class People:
    """Who is a guest or of another organisation, as Slack's users.info would say."""

    def __init__(self, guests: frozenset[str] = frozenset(), external: frozenset[str] = frozenset()) -> None:
        self._guests = guests
        self._external = external

    def person(self, user_id: str) -> Person:
        if user_id == "UUNREADABLE":
            raise RuntimeError("users.info: user_not_found")
        return Person(user_id, guest=user_id in self._guests, external=user_id in self._external)


PEOPLE = People(guests=frozenset({"UGUEST", "UALICE"}), external=frozenset({"UPARTNER"}))


def test_guests_and_other_organisations_never_approve_or_reject_whatever_list_names_them() -> None:
    policy = ApprovalPolicy(approvers=frozenset({"UGUEST", "UPARTNER", "UBOB"}), people=PEOPLE, break_glass=True)
    assert policy.why_not_approve(REQUEST, "UGUEST") is Refusal.GUEST
    assert policy.why_not_reject(REQUEST, "UGUEST") is Refusal.GUEST
    assert policy.why_not_approve(REQUEST, "UPARTNER") is Refusal.EXTERNAL
    assert policy.why_not_approve(REQUEST, "UUNREADABLE") is Refusal.UNKNOWN_PERSON
    assert policy.why_not_approve(REQUEST, "UBOB") is None
    assert policy.why_not_break_glass(REQUEST, "UALICE") is Refusal.GUEST  # approving alone is approving
    assert policy.why_not_cancel(REQUEST, "UALICE") is None  # a guest may still withdraw their own request


def test_a_setting_lets_guests_approve_but_never_another_organisation() -> None:
    policy = ApprovalPolicy(people=PEOPLE, allow_guests=True)
    assert policy.why_not_approve(REQUEST, "UGUEST") is None
    assert policy.why_not_approve(REQUEST, "UPARTNER") is Refusal.EXTERNAL


def test_who_a_request_pages() -> None:
    assert ApprovalPolicy().paged() == ()
    assert ApprovalPolicy(approvers=frozenset({"UCAROL", "UBOB"})).paged() == ("UBOB", "UCAROL")
    grouped = ApprovalPolicy(approvers=frozenset({"UBOB"}), approver_group="S_ONCALL", channel_mention="here")
    assert grouped.paged() == ("S_ONCALL", "here")
