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
from bot.i18n import LANGUAGES, _

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
            raise ConfigError(
                _("{name} is malformed: expected a non-empty string, got {value}").format(
                    name=self.label(key), value=repr(value)
                )
            )
        return value.strip()

    def secret(self, key: str, hint: str) -> str:
        variable = values.required(
            self, f"{key}_env", _("the environment variable that holds {what}").format(what=hint)
        )
        secret = self._env.get(variable, "").strip()
        if not secret:
            raise ConfigError(
                _("{name} names {variable}, which is not set in the environment").format(
                    name=self.label(key + "_env"), variable=variable
                )
            )
        named = _("{variable} (named by {name})").format(variable=variable, name=self.label(key + "_env"))
        return values.secret(secret, named, hint)  # the one to fix

    def strings(self, key: str) -> list[str]:
        value = self.value(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(
                _("{name} is malformed: expected a list of strings, got {value}").format(
                    name=self.label(key), value=repr(value)
                )
            )
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
        raise ConfigError(_("{where} cannot be read: {why}").format(where=where, why=error.strerror)) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_("{where} is not valid TOML: {why}").format(where=where, why=error)) from None

    unknown = sorted(set(document) - {"defaults", "programs"})
    if unknown:
        raise ConfigError(
            _("{path}: {section} is not a known section: expected [defaults] and [programs.<alias>]").format(
                path=path, section=unknown[0]
            )
        )
    defaults = _section(document.get("defaults", {}), f"{path}: defaults")
    if "appid" in defaults:
        raise ConfigError(
            _("{path}: defaults.appid is not allowed: each program names its own appid").format(path=path)
        )
    _check_keys(defaults, f"{path}: defaults")
    tables = _section(document.get("programs", {}), f"{path}: programs")
    if not tables:
        raise ConfigError(
            _("{where} configures no mini program: add a [programs.<alias>] table with its appid").format(where=where)
        )

    if only is not None:
        chosen = {
            alias: table
            for alias, table in tables.items()
            if only.lower() in (str(alias).lower(), str(_section(table, path).get("appid", "")).lower())
        }
        if not chosen:
            raise ConfigError(
                _("{path} names no mini program {name}: it names {aliases}").format(
                    path=path, name=only, aliases=", ".join(map(str, tables))
                )
            )
        tables = chosen
    programs = [_program(path, alias, table, defaults, env, sandbox) for alias, table in tables.items()]
    seen: dict[str, str] = {}
    for program in programs:
        if program.appid in seen:
            raise ConfigError(
                _(
                    "{path}: programs.{alias}.appid is {appid}, like programs.{other}: each mini program is "
                    "configured once"
                ).format(path=path, alias=program.alias, appid=program.appid, other=seen[program.appid])
            )
        seen[program.appid] = program.alias
    return tuple(programs)


def _program(
    path: str, alias: str, raw: object, defaults: dict[str, Any], env: Mapping[str, str], sandbox: bool
) -> ProgramConfig:
    if not ALIAS.match(alias) or alias in RESERVED_ALIASES:
        raise ConfigError(
            _(
                "{path}: programs.{alias} has an unusable alias: use 1 to 32 lowercase letters, digits, - or _, "
                "other than {reserved}"
            ).format(path=path, alias=alias, reserved=", ".join(sorted(RESERVED_ALIASES)))
        )
    own = _section(raw, f"{path}: programs.{alias}")
    _check_keys(own, f"{path}: programs.{alias}")
    table = _Table(path, alias, own, defaults, env)
    appid = values.appid(values.required(table, "appid", _("the mini program's AppID (wx...)")), table.label("appid"))
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
        raise ConfigError(_("{name} is malformed: expected a table, got {value}").format(name=label, value=repr(raw)))
    return raw


def _check_keys(table: dict[str, Any], label: str) -> None:
    for key in table:
        if key in _SECRETS:
            raise ConfigError(
                _(
                    "{name}: secrets are not read from this file; put it in an environment variable and name that "
                    "variable with {key}_env"
                ).format(name=f"{label}.{key}", key=key)
            )
        if key not in _KEYS:
            raise ConfigError(
                _("{name} is not a known key: expected one of {keys}").format(
                    name=f"{label}.{key}", keys=", ".join(sorted(_KEYS))
                )
            )


def _flag(table: _Table, key: str) -> bool:
    value = table.value(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(
            _("{name} is malformed: expected true or false, got {value}").format(
                name=table.label(key), value=repr(value)
            )
        )
    return value
