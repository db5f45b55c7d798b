"""Several mini programs from a TOML file (ROLLBACK_CONFIG): one [programs.<alias>] table each.

Secrets never live in the file: it names the environment variables that hold them (`appsecret_env = "..."`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any

from bot.config import values
from bot.config.settings import (
    DEFAULT_APPROVAL_TTL_SECONDS,
    DEFAULT_ESCALATE_AFTER_SECONDS,
    DEFAULT_REMIND_AFTER_SECONDS,
    DEFAULT_VERSION_WATCH_SECONDS,
    MAX_APPROVALS_REQUIRED,
    ConfigError,
    ProgramConfig,
)
from bot.i18n import LANGUAGES

ALIAS = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
RESERVED_ALIASES = frozenset({"status", "history", "help"})  # words of the slash command itself

_SECRETS = ("appsecret", "component_appsecret", "authorizer_refresh_token")
_STRINGS = ("token_source", "component_appid", "verify_ticket", "token_service_url", "token_command")
_KEYS = frozenset(
    {
        "appid",
        *_STRINGS,
        *(f"{secret}_env" for secret in _SECRETS),
        "approvers",
        "approver_usergroup",
        "channels",
        "break_glass",
        "approval_ttl_seconds",
        "approvals_required",
        "remind_after_seconds",
        "escalation_usergroup",
        "escalate_after_seconds",
        "allow_guest_approvers",
        "channel_mention",
        "version_watch_seconds",
        "notify_channel",
        "language",
    }
)


class _Table:
    """One program's keys, its own over [defaults]; errors name the file and the key where it was written."""

    def __init__(
        self, path: str, alias: str, own: dict[str, Any], defaults: dict[str, Any], env: Mapping[str, str]
    ) -> None:
        self._path = path
        self._alias = alias
        self._own = own
        self._defaults = defaults
        self._env = env

    def label(self, key: str) -> str:
        section = f"programs.{self._alias}" if key in self._own or key not in self._defaults else "defaults"
        return f"{self._path}: {section}.{key}"

    def value(self, key: str) -> Any:
        return self._own.get(key, self._defaults.get(key))

    def get(self, key: str) -> str | None:
        value = self.value(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.label(key)} is malformed: expected a non-empty string, got {value!r}")
        return value.strip()

    def secret(self, key: str, hint: str) -> str:
        variable = values.required(self, f"{key}_env", f"the environment variable that holds {hint}")
        secret = self._env.get(variable, "").strip()
        if not secret:
            raise ConfigError(f"{self.label(key + '_env')} names {variable}, which is not set in the environment")
        return values.secret(secret, f"{variable} (named by {self.label(key + '_env')})", hint)  # the one to fix

    def strings(self, key: str) -> list[str]:
        value = self.value(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{self.label(key)} is malformed: expected a list of strings, got {value!r}")
        return [item.strip() for item in value]


def load_programs(
    path: str, env: Mapping[str, str], *, sandbox: bool = False, only: str | None = None
) -> tuple[ProgramConfig, ...]:
    """Every program of the file; `only`: the one of this alias or AppID alone (its secrets alone are read)."""
    where = f"ROLLBACK_CONFIG {path}"
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"{where} cannot be read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where} is not valid TOML: {error}") from None

    unknown = sorted(set(document) - {"defaults", "programs"})
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]} is not a known section: expected [defaults] and [programs.<alias>]")
    defaults = _section(document.get("defaults", {}), f"{path}: defaults")
    if "appid" in defaults:
        raise ConfigError(f"{path}: defaults.appid is not allowed: each program names its own appid")
    _check_keys(defaults, f"{path}: defaults")
    tables = _section(document.get("programs", {}), f"{path}: programs")
    if not tables:
        raise ConfigError(f"{where} configures no mini program: add a [programs.<alias>] table with its appid")

    if only is not None:
        chosen = {
            alias: table
            for alias, table in tables.items()
            if only.lower() in (str(alias).lower(), str(_section(table, path).get("appid", "")).lower())
        }
        if not chosen:
            raise ConfigError(f"{path} names no mini program {only}: it names {', '.join(map(str, tables))}")
        tables = chosen
    programs = [_program(path, alias, table, defaults, env, sandbox) for alias, table in tables.items()]
    seen: dict[str, str] = {}
    for program in programs:
        if program.appid in seen:
            raise ConfigError(
                f"{path}: programs.{program.alias}.appid is {program.appid}, "
                f"like programs.{seen[program.appid]}: each mini program is configured once"
            )
        seen[program.appid] = program.alias
    return tuple(programs)


def _program(
    path: str, alias: str, raw: object, defaults: dict[str, Any], env: Mapping[str, str], sandbox: bool
) -> ProgramConfig:
    if not ALIAS.match(alias) or alias in RESERVED_ALIASES:
        raise ConfigError(
            f"{path}: programs.{alias} has an unusable alias: use 1 to 32 lowercase letters, digits, - or _, "
            f"other than {', '.join(sorted(RESERVED_ALIASES))}"
        )
    own = _section(raw, f"{path}: programs.{alias}")
    _check_keys(own, f"{path}: programs.{alias}")
    table = _Table(path, alias, own, defaults, env)
    appid = values.appid(values.required(table, "appid", "the mini program's AppID (wx...)"), table.label("appid"))
    program = ProgramConfig(
        alias=alias,
        appid=appid,
        token=None if sandbox else values.token_config(table),
        approver_user_ids=values.user_ids(table.strings("approvers"), table.label("approvers")),
        approver_usergroup_id=values.slack_id(
            table.get("approver_usergroup"), table.label("approver_usergroup"), "S", "user group"
        ),
        allowed_channel_ids=values.channel_ids(table.strings("channels"), table.label("channels")),
        break_glass_enabled=_flag(table, "break_glass"),
        approval_ttl_seconds=_whole(table, "approval_ttl_seconds", DEFAULT_APPROVAL_TTL_SECONDS, 10, 86400),
        approvals_required=_whole(table, "approvals_required", 1, 1, MAX_APPROVALS_REQUIRED),
        remind_after_seconds=_whole(table, "remind_after_seconds", DEFAULT_REMIND_AFTER_SECONDS, 0, 86400),
        escalation_usergroup_id=values.slack_id(
            table.get("escalation_usergroup"), table.label("escalation_usergroup"), "S", "user group"
        ),
        escalate_after_seconds=_whole(table, "escalate_after_seconds", DEFAULT_ESCALATE_AFTER_SECONDS, 1, 86400),
        allow_guest_approvers=_flag(table, "allow_guest_approvers"),
        channel_mention=values.channel_mention(table.get("channel_mention"), table.label("channel_mention")),
        version_watch_seconds=_whole(table, "version_watch_seconds", DEFAULT_VERSION_WATCH_SECONDS, 0, 86400),
        notify_channel_id=values.slack_id(table.get("notify_channel"), table.label("notify_channel"), "CGD", "channel"),
        language=None
        if table.get("language") is None
        else values.choice(table.get("language"), table.label("language"), LANGUAGES),
    )
    return values.check_approval_rules(program, table.label)


def _whole(table: _Table, key: str, default: int, low: int, high: int) -> int:
    value = table.value(key)
    return default if value is None else values.whole_number(value, table.label(key), low=low, high=high)


def _section(raw: object, label: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{label} is malformed: expected a table, got {raw!r}")
    return raw


def _check_keys(table: dict[str, Any], label: str) -> None:
    for key in table:
        if key in _SECRETS:
            raise ConfigError(
                f"{label}.{key}: secrets are not read from this file; put it in an environment variable "
                f"and name that variable with {key}_env"
            )
        if key not in _KEYS:
            raise ConfigError(f"{label}.{key} is not a known key: expected one of {', '.join(sorted(_KEYS))}")


def _flag(table: _Table, key: str) -> bool:
    value = table.value(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(f"{table.label(key)} is malformed: expected true or false, got {value!r}")
    return value
