"""What the workflow needs from WeChat, as a protocol the client satisfies."""

from __future__ import annotations

from typing import Protocol

from bot.wechat.types import GrayReleasePlan, HistoryVersion, VersionInfo


class WeChatGateway(Protocol):
    def list_history(self) -> list[HistoryVersion]: ...

    def version_info(self) -> VersionInfo: ...

    def gray_release_plan(self) -> GrayReleasePlan: ...

    def rollback(self, app_version: int) -> None: ...


class ApproverDirectory(Protocol):
    """Who belongs to a user group (Slack's, behind this protocol so the rules stay free of Slack)."""

    def members(self, group_id: str) -> frozenset[str]: ...
