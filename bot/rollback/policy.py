"""Who may approve, reject or cancel a request, and where. Checked on the server for every click."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from bot.rollback.model import Person, Refusal, RequestRefused, RollbackRequest
from bot.rollback.ports import ApproverDirectory, PeopleDirectory

log = logging.getLogger(__name__)


class _NoDirectory:
    def members(self, group_id: str) -> frozenset[str]:
        return frozenset()


class _Everyone(frozenset[str]):
    """A group every user belongs to: for the rules checked without asking Slack."""

    def __contains__(self, item: object) -> bool:
        return True


class _AnyGroup:
    def members(self, group_id: str) -> frozenset[str]:
        return _Everyone()


class _Members:
    """Without a directory of people (tests of the rules alone), everyone is a full member of the workspace."""

    def person(self, user_id: str) -> Person:
        return Person(user_id, guest=False, external=False)


@dataclass(frozen=True)
class ApprovalPolicy:
    approvers: frozenset[str] = frozenset()  # with no approver group either: anyone but the requester
    approver_group: str | None = None  # a Slack user group whose members may approve
    channels: frozenset[str] = frozenset()  # empty: any channel
    break_glass: bool = False  # may the requester approve alone, with a justification?
    directory: ApproverDirectory = field(default_factory=_NoDirectory)
    approvals_required: int = 1  # distinct approvers, never the requester
    allow_guests: bool = False  # guests of the workspace may approve; people of another organisation never
    people: PeopleDirectory = field(default_factory=_Members)
    channel_mention: str | None = None  # "here" or "channel": the request also pages the whole channel

    @property
    def restricted(self) -> bool:
        return bool(self.approvers or self.approver_group)

    def without_slack(self) -> ApprovalPolicy:
        """The rules that need nothing from Slack (the lists, the requester, break-glass): what users.info and the
        user group would say is left for the full check."""
        return replace(self, people=_Members(), directory=_AnyGroup())

    def paged(self) -> tuple[str, ...]:
        """Who a new request pages: the approver group, else the listed approvers; and the channel if asked."""
        who = (self.approver_group,) if self.approver_group else tuple(sorted(self.approvers))
        return who + ((self.channel_mention,) if self.channel_mention else ())

    def named_approvers(self) -> frozenset[str]:
        """The people this policy names as approvers (listed, or in the approver group as far as it can be read):
        read ahead of any click, so that a Slack outage does not lock them out."""
        named = set(self.approvers)
        if self.approver_group is not None:
            try:
                named |= self.directory.members(self.approver_group)
            except Exception as error:
                log.warning("could not read approver group %s: %s", self.approver_group, type(error).__name__)
        return frozenset(named)

    def why_not_request(self, requester_id: str) -> Refusal | None:
        """People of another organisation (a Slack Connect channel) never request: a request pages this
        workspace's on-call. Reading them also keeps the requester known for a break-glass while Slack is down.
        When Slack cannot say, the request goes ahead: asking is not deciding."""
        try:
            person = self.people.person(requester_id)
        except Exception as error:
            log.warning("could not tell whether requester %s is of this workspace: %s", requester_id, error)
            return None
        if person.external:
            return Refusal.REQUESTER_EXTERNAL
        return None

    def why_no_one_could_approve(self, requester_id: str) -> RequestRefused | None:
        """Why a request by `requester_id` could never get its approvals, when the list alone says so (the
        requester is one of exactly as many listed approvers as are needed): refused before anyone is paged."""
        if not self.restricted or self.break_glass:  # anyone may approve; or the requester may complete it alone
            return None
        named = self.approvers
        if self.approver_group is not None:
            try:
                members = self.directory.members(self.approver_group)
            except Exception:  # unreadable now: the approvals will tell
                return None
            if not members:  # an empty answer is as likely a group Slack cannot show: refuse only on what is known
                return None
            named = named | members
        others = len(named - {requester_id})
        if others >= self.approvals_required:
            return None
        return RequestRefused(Refusal.NO_ONE_COULD_APPROVE, required=self.approvals_required, others=others)

    def why_not_here(self, channel_id: str | None) -> Refusal | None:
        if self.channels and channel_id not in self.channels:
            return Refusal.WRONG_CHANNEL
        return None

    def why_not_approve(self, request: RollbackRequest, user_id: str) -> Refusal | None:
        if user_id == request.requester_id:
            return Refusal.SELF_APPROVAL
        return self._why_not_approver(user_id)

    def why_not_reject(self, request: RollbackRequest, user_id: str) -> Refusal | None:
        if user_id == request.requester_id:
            return Refusal.REQUESTER_REJECT
        return self._why_not_approver(user_id)

    def why_not_cancel(self, request: RollbackRequest, user_id: str) -> Refusal | None:
        return None if user_id == request.requester_id else Refusal.NOT_REQUESTER

    def why_not_break_glass(self, request: RollbackRequest, user_id: str) -> Refusal | None:
        if not self.break_glass:
            return Refusal.BREAK_GLASS_DISABLED
        if user_id != request.requester_id:
            return Refusal.NOT_REQUESTER
        return self._why_not_member(user_id)  # approving alone is approving: guests never may

    def _why_not_approver(self, user_id: str) -> Refusal | None:
        refusal = self._why_not_member(user_id)
        if refusal is not None or not self.restricted or user_id in self.approvers:
            return refusal
        if self.approver_group is not None:
            try:
                if user_id in self.directory.members(self.approver_group):
                    return None
            except Exception as error:  # an unreadable group grants nothing, and says why
                log.warning("could not read approver group %s: %s", self.approver_group, type(error).__name__)
                return Refusal.UNKNOWN_MEMBERSHIP
        return Refusal.NOT_APPROVER

    def _why_not_member(self, user_id: str) -> Refusal | None:
        """Guests (unless allowed) and people of another organisation never decide, whatever list names them."""
        try:
            person = self.people.person(user_id)
        except Exception as error:  # who cannot be told apart from a guest is refused like one
            log.warning("could not tell whether %s is a guest: %s", user_id, error)
            return Refusal.UNKNOWN_PERSON
        if person.external:
            return Refusal.EXTERNAL
        if person.guest and not self.allow_guests:
            return Refusal.GUEST
        return None
