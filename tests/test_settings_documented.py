"""Every setting the code reads is in the README's settings table and in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config.environment import PROGRAM_VARIABLES
from bot.usage import help_text

ROOT = Path(__file__).resolve().parent.parent


def read_settings() -> set[str]:
    source = (ROOT / "bot" / "config" / "environment.py").read_text(encoding="utf-8")
    named = set(re.findall(r"""\bget(?:\.required)?\(\s*"([A-Z][A-Z0-9_]+)\"""", source))
    named |= set(re.findall(r"""_number\(\s*get,\s*"([A-Z][A-Z0-9_]+)\"""", source))
    return named | set(PROGRAM_VARIABLES.values())


def test_the_scan_finds_the_settings() -> None:
    expected = {"SLACK_BOT_TOKEN", "DATABASE_URL", "ROLLBACK_CONFIG", "SANDBOX", "PORT", "WECHAT_APPSECRET"}
    assert expected <= read_settings()


def test_every_setting_is_in_the_readme_table() -> None:
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(encoding="utf-8"), re.M))
    assert sorted(read_settings() - table) == []
    assert sorted(table - read_settings()) == []


def test_every_setting_is_in_the_example_env_file() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    example = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, re.M))  # set, or commented out at its default
    assert sorted(read_settings() - example) == []


def test_the_example_env_file_sets_only_what_the_sandbox_needs() -> None:
    """Copied as it is, nothing in it clashes with ROLLBACK_CONFIG or moves the sandbox's database."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    uncommented = re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.M)
    assert uncommented == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"]


def test_every_setting_is_in_the_help() -> None:
    listed = set(re.findall(r"^  ([A-Z][A-Z0-9_]+)\b", help_text(), re.M))
    assert sorted(read_settings() - listed) == []
    assert sorted(listed - read_settings()) == []
