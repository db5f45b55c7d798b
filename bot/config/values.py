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
from bot.i18n import N_, _, ngettext

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
APPID = re.compile(r"^wx[0-9a-fA-F]{16}$")  # what WeChat's admin console shows: wx and 16 hexadecimal digits
# What an example or a tutorial leaves in place of a real value: `xoxb-your-bot-token`, `xoxb-…`, `<secret>`.
_PLACEHOLDER = re.compile(r"…|\.\.\.|[<>]|(^|[-_])(your|placeholder|changeme)([-_]|$)", re.IGNORECASE)
# Shorter secrets are refused: every log line is scrubbed of each secret's value, and a short one would also
# match inside unrelated words. Real ones are far longer (a signing secret or an AppSecret has 32 characters).
MIN_SECRET_LENGTH = 8
_MAKE_FERNET_KEY = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"

_NOT_AN_ID = {  # slack_id's `what`: each kind of ID its own sentence
    "user group": N_("{name} is malformed: {value} is not a Slack user group ID"),
    "channel": N_("{name} is malformed: {value} is not a Slack channel ID"),
}


class Fields(Protocol):
    """Where one mini program's token settings are read from: environment variables or a table in the file."""

    def get(self, key: str) -> str | None: ...

    def secret(self, key: str, hint: str) -> str: ...

    def label(self, key: str) -> str: ...


def appid(value: str, name: str) -> str:
    if not APPID.match(value):
        raise ConfigError(
            _(
                "{name} is malformed: an AppID is wx followed by 16 hexadecimal characters (like wx0123456789abcdef), "
                "got {value}; copy it from the admin console (Development > Development settings)"
            ).format(name=name, value=repr(value))
        )
    return value


def secret(value: str, name: str, what: str) -> str:
    """A secret that is not a placeholder and long enough to be scrubbed from logs; never shown in the error."""
    if _PLACEHOLDER.search(value):
        raise ConfigError(_("{name} is still a placeholder: set it to {what}").format(name=name, what=what))
    # `docker run --env-file` keeps quotes and a trailing comment in the value (a .env file read here drops both).
    if value[:1] in "\"'" and value[:1] == value[-1:]:
        raise ConfigError(_("{name} is in quotes, which would be part of it: write it without them").format(name=name))
    if any(c.isspace() for c in value):
        raise ConfigError(
            _("{name} holds a space (a comment after it, or a copy gone wrong): write the value alone").format(
                name=name
            )
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            _("{name} is too short to be real (fewer than {length} characters): set it to {what}").format(
                name=name, length=MIN_SECRET_LENGTH, what=what
            )
        )
    return value


def slack_token(value: str, name: str, prefix: str, what: str) -> str:
    if not value.strip("\"'").startswith(prefix):
        raise ConfigError(
            _("{name} is malformed: it starts with '{prefix}': set it to {what}").format(
                name=name, prefix=prefix, what=what
            )
        )
    return secret(value, name, what)


def required(fields: Fields, key: str, hint: str) -> str:
    value = fields.get(key)
    if value is None:
        raise ConfigError(_("{name} is not set: {hint}").format(name=fields.label(key), hint=hint))
    return value


def token_config(fields: Fields) -> TokenConfig:
    source = (fields.get("token_source") or "stable").lower()
    if source == "stable":
        return StableTokenConfig(_secret(fields, "appsecret", _("the mini program's AppSecret")))
    if source == "component":
        ticket = required(
            fields, "verify_ticket", _("where the platform keeps the ticket: env:NAME, file:/path or sql:SELECT")
        )
        try:
            parse_ticket_spec(ticket)  # the reader's own check
        except ValueError as error:
            raise ConfigError(
                _("{name} is malformed: {why}").format(name=fields.label("verify_ticket"), why=error)
            ) from None
        return ComponentTokenConfig(
            component_appid=appid(
                required(fields, "component_appid", _("the third-party platform's AppID")),
                fields.label("component_appid"),
            ),
            component_appsecret=_secret(fields, "component_appsecret", _("the third-party platform's AppSecret")),
            verify_ticket=ticket,
            authorizer_refresh_token=_secret(
                fields,
                "authorizer_refresh_token",
                _("the mini program's authorizer_refresh_token from its authorization"),
            ),
        )
    if source == "service":
        url, command = fields.get("token_service_url"), fields.get("token_command")
        if (url is None) == (command is None):
            raise ConfigError(
                _("{url} and {command}: set exactly one for the service token source").format(
                    url=fields.label("token_service_url"), command=fields.label("token_command")
                )
            )
        checked = None if url is None else http_url(url, fields.label("token_service_url"), slash=False)
        return ServiceTokenConfig(url=checked, command=command)
    raise ConfigError(
        _("{name} is malformed: expected stable, component or service, got {value}").format(
            name=fields.label("token_source"), value=repr(source)
        )
    )


def _secret(fields: Fields, key: str, hint: str) -> str:
    return secret(fields.secret(key, hint), fields.label(key), hint)


def http_url(value: str, name: str, *, slash: bool) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(
            _("{name} is malformed: expected an http(s) URL, got {value}").format(name=name, value=repr(value))
        )
    value = value.rstrip("/")
    # slack_sdk joins base_url and method name without a separator.
    return value + "/" if slash else value


def whole_number(value: str | int, name: str, *, low: int, high: int) -> int:
    not_whole = _("{name} is malformed: expected a whole number, got {value}")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(not_whole.format(name=name, value=repr(value)))
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(not_whole.format(name=name, value=repr(value))) from None
    if not low <= number <= high:
        raise ConfigError(
            _("{name} is out of range: expected {low} to {high}, got {number}").format(
                name=name, low=low, high=high, number=number
            )
        )
    return number


def user_ids(ids: Iterable[str], name: str) -> frozenset[str]:
    bad = [user_id for user_id in ids if not _USER_ID.match(user_id)]
    if bad:
        raise ConfigError(
            _("{name} is malformed: {ids} is not a Slack user ID (like U012AB3CD)").format(
                name=name, ids=", ".join(bad)
            )
        )
    return frozenset(ids)


def slack_id(value: str | None, name: str, prefixes: str, what: str) -> str | None:
    if value is not None and not re.match(rf"^[{prefixes}][A-Z0-9]{{2,}}$", value):
        raise ConfigError(_(_NOT_AN_ID[what]).format(name=name, value=repr(value)))
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
    raise ConfigError(
        _("{name} is malformed: expected true or false, got {value}").format(name=name, value=repr(value))
    )


def choice(value: str | None, name: str, choices: tuple[str, ...]) -> str:
    """The first choice is the default; matching ignores case."""
    if value is None:
        return choices[0]
    for option in choices:
        if value.lower() == option.lower():
            return option
    raise ConfigError(
        _("{name} is malformed: expected one of {choices}, got {value}").format(
            name=name, choices=", ".join(choices), value=repr(value)
        )
    )


def channel_mention(value: str | None, name: str) -> str | None:
    """`here` or `channel` pages the whole channel; none (the default) pages only the approvers."""
    chosen = choice(value, name, ("none", "here", "channel"))
    return None if chosen == "none" else chosen


def check_approval_rules(program: ProgramConfig, label: Callable[[str], str]) -> ProgramConfig:
    """Rules that could never be met, or a page that could never go out, are refused at start-up.

    `label` names a key (approvals_required, approvers, ...) as the person wrote it."""
    listed = len(program.approver_user_ids)
    if listed and program.approver_usergroup_id is None and program.approvals_required > listed:
        too_few = ngettext(
            "{required_name} is {required}, but {approvers_name} lists only {listed} approver: no request could "
            "ever be approved",
            "{required_name} is {required}, but {approvers_name} lists only {listed} approvers: no request could "
            "ever be approved",
            listed,
        )
        raise ConfigError(
            too_few.format(
                required_name=label("approvals_required"),
                required=program.approvals_required,
                approvers_name=label("approvers"),
                listed=listed,
            )
        )
    escalating = program.escalation_usergroup_id is not None
    if escalating and program.escalate_after_seconds >= program.approval_ttl_seconds:
        raise ConfigError(
            _(
                "{escalate_name} is {escalate}, not less than {ttl_name} ({ttl}): requests would expire before "
                "anyone is escalated to"
            ).format(
                escalate_name=label("escalate_after_seconds"),
                escalate=program.escalate_after_seconds,
                ttl_name=label("approval_ttl_seconds"),
                ttl=program.approval_ttl_seconds,
            )
        )
    return program


def fernet_keys(value: str | None, name: str) -> str | None:
    """One or more Fernet keys, comma-separated (the sealing one first), or None; the error never shows a key."""
    if value is None:
        return None
    listed = [key.strip() for key in value.split(",") if key.strip()]
    if not listed:
        raise ConfigError(_("{name} is malformed: it lists no key").format(name=name))
    for number, key in enumerate(listed, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                _(
                    "{name} is malformed: key {number} is not a Fernet key (32 url-safe base64-encoded bytes, as "
                    "`{command}` prints)"
                ).format(name=name, number=number, command=_MAKE_FERNET_KEY)
            ) from None
    return value
