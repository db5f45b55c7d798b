"""Checks shared by the environment and the file: each names the setting it rejects and why."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

from cryptography.fernet import Fernet

from bot.config.settings import (
    ComponentTokenConfig,
    ConfigError,
    ProgramConfig,
    ServiceTokenConfig,
    StableTokenConfig,
    TokenConfig,
)
from bot.config.ticket_spec import parse_ticket_spec

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
APPID = re.compile(r"^wx[0-9a-fA-F]{16}$")  # what WeChat's admin console shows: wx and 16 hexadecimal digits
# What an example or a tutorial leaves in place of a real value: `xoxb-your-bot-token`, `xoxb-…`, `<secret>`.
_PLACEHOLDER = re.compile(r"…|\.\.\.|[<>]|(^|[-_])(your|placeholder|changeme)([-_]|$)", re.IGNORECASE)
# Shorter secrets are refused: every log line is scrubbed of each secret's value, and a short one would also
# match inside unrelated words. Real ones are far longer (a signing secret or an AppSecret has 32 characters).
MIN_SECRET_LENGTH = 8


class Fields(Protocol):
    """Where one mini program's token settings are read from: environment variables or a table in the file."""

    def get(self, key: str) -> str | None: ...

    def secret(self, key: str, hint: str) -> str: ...

    def label(self, key: str) -> str: ...


def appid(value: str, name: str) -> str:
    if not APPID.match(value):
        raise ConfigError(
            f"{name} is malformed: an AppID is wx followed by 16 hexadecimal characters (like wx0123456789abcdef), "
            f"got {value!r}; copy it from the admin console (Development > Development settings)"
        )
    return value


def secret(value: str, name: str, what: str) -> str:
    """A secret that is not a placeholder and long enough to be scrubbed from logs; never shown in the error."""
    if _PLACEHOLDER.search(value):
        raise ConfigError(f"{name} is still a placeholder: set it to {what}")
    # `docker run --env-file` keeps quotes and a trailing comment in the value (a .env file read here drops both).
    if value[:1] in "\"'" and value[:1] == value[-1:]:
        raise ConfigError(f"{name} is in quotes, which would be part of it: write it without them")
    if any(c.isspace() for c in value):
        raise ConfigError(f"{name} holds a space (a comment after it, or a copy gone wrong): write the value alone")
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{name} is too short to be real (fewer than {MIN_SECRET_LENGTH} characters): set it to {what}"
        )
    return value


def slack_token(value: str, name: str, prefix: str, what: str) -> str:
    if not value.strip("\"'").startswith(prefix):
        raise ConfigError(f"{name} is malformed: it starts with '{prefix}': set it to {what}")
    return secret(value, name, what)


def required(fields: Fields, key: str, hint: str) -> str:
    value = fields.get(key)
    if value is None:
        raise ConfigError(f"{fields.label(key)} is not set: {hint}")
    return value


def token_config(fields: Fields) -> TokenConfig:
    source = (fields.get("token_source") or "stable").lower()
    if source == "stable":
        return StableTokenConfig(_secret(fields, "appsecret", "the mini program's AppSecret"))
    if source == "component":
        ticket = required(
            fields, "verify_ticket", "where the platform keeps the ticket: env:NAME, file:/path or sql:SELECT"
        )
        try:
            parse_ticket_spec(ticket)  # the reader's own check
        except ValueError as error:
            raise ConfigError(f"{fields.label('verify_ticket')} is malformed: {error}") from None
        return ComponentTokenConfig(
            component_appid=appid(
                required(fields, "component_appid", "the third-party platform's AppID"),
                fields.label("component_appid"),
            ),
            component_appsecret=_secret(fields, "component_appsecret", "the third-party platform's AppSecret"),
            verify_ticket=ticket,
            authorizer_refresh_token=_secret(
                fields, "authorizer_refresh_token", "the mini program's authorizer_refresh_token from its authorization"
            ),
        )
    if source == "service":
        url, command = fields.get("token_service_url"), fields.get("token_command")
        if (url is None) == (command is None):
            raise ConfigError(
                f"{fields.label('token_service_url')} and {fields.label('token_command')}: "
                "set exactly one for the service token source"
            )
        checked = None if url is None else http_url(url, fields.label("token_service_url"), slash=False)
        return ServiceTokenConfig(url=checked, command=command)
    raise ConfigError(
        f"{fields.label('token_source')} is malformed: expected stable, component or service, got {source!r}"
    )


def _secret(fields: Fields, key: str, hint: str) -> str:
    return secret(fields.secret(key, hint), fields.label(key), hint)


def http_url(value: str, name: str, *, slash: bool) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(f"{name} is malformed: expected an http(s) URL, got {value!r}")
    value = value.rstrip("/")
    # slack_sdk joins base_url and method name without a separator.
    return value + "/" if slash else value


def whole_number(value: str | int, name: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{name} is malformed: expected a whole number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} is malformed: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} is out of range: expected {low} to {high}, got {number}")
    return number


def user_ids(ids: Iterable[str], name: str) -> frozenset[str]:
    bad = [user_id for user_id in ids if not _USER_ID.match(user_id)]
    if bad:
        raise ConfigError(f"{name} is malformed: {', '.join(bad)} is not a Slack user ID (like U012AB3CD)")
    return frozenset(ids)


def slack_id(value: str | None, name: str, prefixes: str, what: str) -> str | None:
    if value is not None and not re.match(rf"^[{prefixes}][A-Z0-9]{{2,}}$", value):
        raise ConfigError(f"{name} is malformed: {value!r} is not a Slack {what} ID")
    return value


def channel_ids(ids: Iterable[str], name: str) -> frozenset[str]:
    checked = frozenset(ids)
    for channel_id in checked:
        slack_id(channel_id, name, "CGD", "channel")
    return checked


def comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def boolean(value: str | None, name: str) -> bool:
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} is malformed: expected true or false, got {value!r}")


def choice(value: str | None, name: str, choices: tuple[str, ...]) -> str:
    """The first choice is the default; matching ignores case."""
    if value is None:
        return choices[0]
    for option in choices:
        if value.lower() == option.lower():
            return option
    raise ConfigError(f"{name} is malformed: expected one of {', '.join(choices)}, got {value!r}")


def channel_mention(value: str | None, name: str) -> str | None:
    """`here` or `channel` pages the whole channel; none (the default) pages only the approvers."""
    chosen = choice(value, name, ("none", "here", "channel"))
    return None if chosen == "none" else chosen


def check_approval_rules(program: ProgramConfig, label: Callable[[str], str]) -> ProgramConfig:
    """Rules that could never be met, or a page that could never go out, are refused at start-up.

    `label` names a key (approvals_required, approvers, ...) as the person wrote it."""
    listed = len(program.approver_user_ids)
    if listed and program.approver_usergroup_id is None and program.approvals_required > listed:
        raise ConfigError(
            f"{label('approvals_required')} is {program.approvals_required}, but {label('approvers')} lists only "
            f"{listed} approver(s): no request could ever be approved"
        )
    escalating = program.escalation_usergroup_id is not None
    if escalating and program.escalate_after_seconds >= program.approval_ttl_seconds:
        raise ConfigError(
            f"{label('escalate_after_seconds')} is {program.escalate_after_seconds}, not less than "
            f"{label('approval_ttl_seconds')} ({program.approval_ttl_seconds}): requests would expire before "
            "anyone is escalated to"
        )
    return program


def fernet_keys(value: str | None, name: str) -> str | None:
    """One or more Fernet keys, comma-separated (the sealing one first), or None; the error never shows a key."""
    if value is None:
        return None
    listed = [key.strip() for key in value.split(",") if key.strip()]
    if not listed:
        raise ConfigError(f"{name} is malformed: it lists no key")
    for number, key in enumerate(listed, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                f"{name} is malformed: key {number} is not a Fernet key (32 url-safe base64-encoded bytes, "
                "as `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'` "
                "prints)"
            ) from None
    return value
