"""A request message's headline: what state it is in, in one line with its emoji."""

from __future__ import annotations

from bot.i18n import _
from bot.rollback.model import RollbackRequest, State
from bot.slack.messages.format import duration


def _headlines(request: RollbackRequest) -> str:
    if request.stops_gray:
        match request.state:
            case State.PENDING:
                return _(":hourglass_flowing_sand: Stop of the phased release requested: waiting for approval")
            case State.APPROVING:
                return _(":arrows_counterclockwise: Stop approved: checking the phased release still runs")
            case State.SENDING:
                return _(":arrows_counterclockwise: Stop approved: stopping the phased release now")
            case State.SUCCEEDED:
                return _(":white_check_mark: Phased release stopped")
            case State.FAILED:
                return _(":x: Stopping the phased release failed")
            case State.UNKNOWN:
                return _(":warning: Stopping the phased release: outcome unknown")
            case State.REJECTED:
                return _(":no_entry_sign: Stop of the phased release rejected")
            case State.CANCELLED:
                return _(":leftwards_arrow_with_hook: Stop of the phased release cancelled")
            case State.EXPIRED:
                return _(":alarm_clock: Stop of the phased release expired")
    match request.state:
        case State.PENDING:
            return _(":hourglass_flowing_sand: Rollback requested: waiting for approval")
        case State.APPROVING:
            return _(":arrows_counterclockwise: Rollback approved: checking it is still current")
        case State.SENDING:
            return _(":arrows_counterclockwise: Rollback approved: rolling back now")
        case State.SUCCEEDED:
            return _(":white_check_mark: Rolled back")
        case State.FAILED:
            return _(":x: Rollback failed")
        case State.UNKNOWN:
            return _(":warning: Rollback outcome unknown")
        case State.REJECTED:
            return _(":no_entry_sign: Rollback rejected")
        case State.CANCELLED:
            return _(":leftwards_arrow_with_hook: Rollback request cancelled")
        case State.EXPIRED:
            return _(":alarm_clock: Rollback request expired")


def headline(request: RollbackRequest) -> str:
    if withdrawn(request):
        if request.stops_gray:
            return _(":leftwards_arrow_with_hook: Stop of the phased release withdrawn")
        return _(":leftwards_arrow_with_hook: Rollback request withdrawn")
    if request.state is State.PENDING and request.reminded_at is not None:
        waited = duration(request.reminded_at - request.created_at)
        if request.stops_gray:
            return _(
                ":hourglass_flowing_sand: Stop of the phased release requested: waiting for approval for {waited}"
            ).format(waited=waited)
        return _(":hourglass_flowing_sand: Rollback requested: waiting for approval for {waited}").format(waited=waited)
    return _headlines(request)


def withdrawn(request: RollbackRequest) -> bool:
    """Cancelled by the bot, not a person: stale when approved, or its message could not be posted."""
    return request.state is State.CANCELLED and request.decided_by is None and bool(request.decision_note)
