"""The loud channel post when a requester bypasses the second person."""

from __future__ import annotations

from bot.rollback.model import RollbackRequest
from bot.rollback.policy import ApprovalPolicy
from bot.slack.messages.format import escape, mention
from bot.slack.messages.kinds import asked


def break_glass_announcement(request: RollbackRequest, policy: ApprovalPolicy, program: str | None = None) -> str:
    approvers = [mention(user) for user in sorted(policy.approvers)]
    if policy.approver_group:
        approvers.append(f"<!subteam^{policy.approver_group}>")
    audience = " ".join(approvers) if approvers else "<!here>"
    return (
        f":rotating_light: *Break-glass {'stop' if request.stops_gray else 'rollback'}* {audience}: "
        f"{mention(request.requester_id)} is about to {asked(request, program or request.appid)} "
        f"(request #{request.id}) *without a second person's approval*.\n"
        f"*Justification* {escape(request.decision_note or '')}"
    )
