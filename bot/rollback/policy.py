"""Who may approve, reject or cancel a request, and where. Checked on the server for every click."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.rollback.model import Refusal, RollbackRequest
from bot.rollback.ports import ApproverDirectory

log = logging.getLogger(__name__)


class _NoDirectory:
    def members(self, group_id: str) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class ApprovalPolicy:
    approvers: frozenset[str] = frozenset()  # with no approver group either: anyone but the requester
    approver_group: str | None = None  # a Slack user group whose members may approve
    channels: frozenset[str] = frozenset()  # empty: any channel
    break_glass: bool = False  # may the requester approve alone, with a justification?
    directory: ApproverDirectory = field(default_factory=_NoDirectory)

    @property
    def restricted(self) -> bool:
        return bool(self.approvers or self.approver_group)

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
        return None if user_id == request.requester_id else Refusal.NOT_REQUESTER

    def _why_not_approver(self, user_id: str) -> Refusal | None:
        if not self.restricted or user_id in self.approvers:
            return None
        if self.approver_group is not None:
            try:
                if user_id in self.directory.members(self.approver_group):
                    return None
            except Exception as error:  # an unreadable group grants nothing
                log.warning("could not read approver group %s: %s", self.approver_group, error)
        return Refusal.NOT_APPROVER
