"""The loud channel post when a requester bypasses the second person."""

from __future__ import annotations

from bot.i18n import _
from bot.rollback.model import RollbackRequest
from bot.rollback.policy import ApprovalPolicy
from bot.slack.messages.format import escape, mention
from bot.slack.messages.kinds import asked


def break_glass_announcement(request: RollbackRequest, policy: ApprovalPolicy, program: str | None = None) -> str:
    approvers = [mention(user) for user in sorted(policy.approvers)]
    if policy.approver_group:
        approvers.append(f"<!subteam^{policy.approver_group}>")
    facts = {
        "audience": " ".join(approvers) if approvers else "<!here>",
        "requester": mention(request.requester_id),
        "change": asked(request, program or request.appid),
        "id": request.id,
        "justification": escape(request.decision_note or ""),
    }
    if request.stops_gray:
        words = _(
            ":rotating_light: *Break-glass stop* {audience}: {requester} is about to {change} (request #{id}) "
            "*without a second person's approval*.\n*Justification* {justification}"
        )
    else:
        words = _(
            ":rotating_light: *Break-glass rollback* {audience}: {requester} is about to {change} (request #{id}) "
            "*without a second person's approval*.\n*Justification* {justification}"
        )
    return words.format(**facts)
