"""Who may approve, reject or cancel a request. Checked on the server for every click."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rollback.model import Refusal, RollbackRequest


@dataclass(frozen=True)
class ApprovalPolicy:
    approvers: frozenset[str] = frozenset()  # empty: anyone but the requester

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

    def _why_not_approver(self, user_id: str) -> Refusal | None:
        if self.approvers and user_id not in self.approvers:
            return Refusal.NOT_APPROVER
        return None
