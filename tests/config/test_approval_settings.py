"""The paging, reminder and approval-count settings, from the environment and from the file, and the rules that
could never be met refused at start-up with the setting named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.config.test_environment import BASE
from tests.config.test_programs_file import SECRETS, SLACK


def test_defaults() -> None:
    program = load_settings(BASE).programs[0]
    assert (program.approvals_required, program.remind_after_seconds, program.escalate_after_seconds) == (1, 300, 600)
    assert program.escalation_usergroup_id is None and program.channel_mention is None
    assert not program.allow_guest_approvers


def test_from_the_environment() -> None:
    program = load_settings(
        {
            **BASE,
            "APPROVALS_REQUIRED": "2",
            "APPROVER_USERGROUP_ID": "S0ONCALL",
            "APPROVAL_REMIND_SECONDS": "0",
            "ALLOW_GUEST_APPROVERS": "true",
            "APPROVAL_CHANNEL_MENTION": "here",
        }
    ).programs[0]
    assert program.approvals_required == 2 and program.remind_after_seconds == 0
    assert program.allow_guest_approvers and program.channel_mention == "here"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"APPROVALS_REQUIRED": "6"}, "APPROVALS_REQUIRED is out of range: expected 1 to 5, got 6"),
        ({"APPROVALS_REQUIRED": "0"}, "APPROVALS_REQUIRED is out of range"),
        (
            {"APPROVALS_REQUIRED": "3", "APPROVER_USER_IDS": "U0BOB,U0CAROL"},
            "APPROVALS_REQUIRED is 3, but APPROVER_USER_IDS lists only 2 approvers",
        ),
        ({"ESCALATION_USERGROUP_ID": "leads"}, "ESCALATION_USERGROUP_ID is malformed"),
        (
            {"ESCALATION_USERGROUP_ID": "S0LEADS", "ESCALATE_AFTER_SECONDS": "900"},
            "ESCALATE_AFTER_SECONDS is 900, not less than APPROVAL_TTL_SECONDS (900)",
        ),
        ({"APPROVAL_CHANNEL_MENTION": "everyone"}, "APPROVAL_CHANNEL_MENTION is malformed"),
        ({"ALLOW_GUEST_APPROVERS": "maybe"}, "ALLOW_GUEST_APPROVERS is malformed"),
    ],
)
def test_mistakes_name_the_setting(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**BASE, **changes})
    assert message in str(raised.value)


def test_from_the_file_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "rollback.toml"
    path.write_text(
        """
[defaults]
approvals_required = 2
approver_usergroup = "S0ONCALL"
remind_after_seconds = 120
escalation_usergroup = "S0LEADS"
escalate_after_seconds = 300

[programs.shop]
appid = "wx7b921c88a50ba98c"
appsecret_env = "SHOP_SECRET"
channel_mention = "channel"

[programs.games]
appid = "wx1de7ba4ea19b5105"
appsecret_env = "SHOP_SECRET"
approvals_required = 1
allow_guest_approvers = true
""",
        encoding="utf-8",
    )
    shop, games = load_settings({**SLACK, **SECRETS, "ROLLBACK_CONFIG": str(path)}).programs
    assert (shop.approvals_required, shop.remind_after_seconds, shop.escalate_after_seconds) == (2, 120, 300)
    assert shop.escalation_usergroup_id == "S0LEADS" and shop.channel_mention == "channel"
    assert games.approvals_required == 1 and games.allow_guest_approvers and not shop.allow_guest_approvers


def test_a_file_mistake_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "rollback.toml"
    path.write_text(
        '[programs.shop]\nappid = "wx7b921c88a50ba98c"\nappsecret_env = "SHOP_SECRET"\napprovers = ["U0BOB"]\n'
        "approvals_required = 2\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_settings({**SLACK, **SECRETS, "ROLLBACK_CONFIG": str(path)})
    assert f"{path}: programs.shop.approvals_required is 2, but {path}: programs.shop.approvers lists only 1" in str(
        raised.value
    )
