"""Settings from the environment, validated once at start-up."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_WECHAT_API_FALLBACK = "https://api2.weixin.qq.com"  # WeChat's cross-region disaster-recovery host
DEFAULT_DATABASE_URL = "sqlite:///miniprogram-rollback.db"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A missing or malformed setting; the message names the variable and never echoes a secret."""


@dataclass(frozen=True)
class StableTokenConfig:
    """The mini program's own AppSecret, through /cgi-bin/stable_token (the default)."""

    appsecret: str


@dataclass(frozen=True)
class ComponentTokenConfig:
    """A third-party platform calling on the mini program's behalf."""

    component_appid: str
    component_appsecret: str
    verify_ticket: str  # where to read the latest component_verify_ticket: env:NAME, file:/path or sql:SELECT ...
    authorizer_refresh_token: str  # the first one; the newest WeChat returns is kept in the database


@dataclass(frozen=True)
class ServiceTokenConfig:
    """A company's central token service, asked over HTTP or through a command."""

    url: str | None
    command: str | None


TokenConfig = StableTokenConfig | ComponentTokenConfig | ServiceTokenConfig

TICKET_SPEC = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|sql:\s*select\s.+)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    wechat_api_base: str
    wechat_api_fallback: str | None
    wechat_timeout_seconds: int
    wechat_appid: str
    wechat_token: TokenConfig
    approval_ttl_seconds: int
    approver_user_ids: frozenset[str]
    approver_usergroup_id: str | None
    allowed_channel_ids: frozenset[str]
    break_glass_enabled: bool
    expiry_sweep_seconds: int
    port: int
    log_format: str  # "text" or "json"
    log_level: str

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


def load_settings(env: Mapping[str, str]) -> Settings:
    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    def required(name: str, hint: str) -> str:
        value = get(name)
        if value is None:
            raise ConfigError(f"{name} is not set: {hint}")
        return value

    bot_token = required("SLACK_BOT_TOKEN", "the bot token (xoxb-...) from the Slack app's OAuth page")
    if not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN is malformed: a bot token starts with 'xoxb-'")

    app_token = get("SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN is malformed: an app-level token starts with 'xapp-'")
    signing_secret = get("SLACK_SIGNING_SECRET")
    if app_token is None and signing_secret is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify Slack's requests "
            "(or set SLACK_APP_TOKEN for Socket Mode)"
        )

    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=_url(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL, "SLACK_API_URL", slash=True),
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        wechat_api_base=_url(get("WECHAT_API_BASE") or DEFAULT_WECHAT_API_BASE, "WECHAT_API_BASE", slash=False),
        wechat_api_fallback=_fallback(get("WECHAT_API_FALLBACK")),
        wechat_timeout_seconds=_int(get("WECHAT_TIMEOUT_SECONDS"), "WECHAT_TIMEOUT_SECONDS", 15, low=1, high=120),
        wechat_appid=required("WECHAT_APPID", "the mini program's AppID (wx...)"),
        wechat_token=_token_config(get, required),
        approval_ttl_seconds=_int(get("APPROVAL_TTL_SECONDS"), "APPROVAL_TTL_SECONDS", 900, low=10, high=86400),
        approver_user_ids=_user_ids(get("APPROVER_USER_IDS")),
        approver_usergroup_id=_slack_id(get("APPROVER_USERGROUP_ID"), "APPROVER_USERGROUP_ID", "S", "user group"),
        allowed_channel_ids=_channel_ids(get("ALLOWED_CHANNEL_IDS")),
        break_glass_enabled=_bool(get("BREAK_GLASS_ENABLED"), "BREAK_GLASS_ENABLED"),
        expiry_sweep_seconds=_int(get("EXPIRY_SWEEP_SECONDS"), "EXPIRY_SWEEP_SECONDS", 30, low=1, high=3600),
        port=_int(get("PORT"), "PORT", 3000, low=1, high=65535),
        log_format=_choice(get("LOG_FORMAT"), "LOG_FORMAT", ("text", "json")),
        log_level=_choice(get("LOG_LEVEL"), "LOG_LEVEL", ("INFO", "DEBUG", "WARNING", "ERROR")),
    )


def _token_config(get: Callable[[str], str | None], required: Callable[[str, str], str]) -> TokenConfig:
    source = (get("WECHAT_TOKEN_SOURCE") or "stable").lower()
    if source == "stable":
        return StableTokenConfig(required("WECHAT_APPSECRET", "the mini program's AppSecret"))
    if source == "component":
        ticket = required(
            "WECHAT_COMPONENT_VERIFY_TICKET", "where the platform keeps the ticket: env:NAME, file:/path or sql:SELECT"
        )
        if not TICKET_SPEC.match(ticket):
            raise ConfigError(
                "WECHAT_COMPONENT_VERIFY_TICKET is malformed: expected env:NAME, file:/path or sql:SELECT ..."
            )
        return ComponentTokenConfig(
            component_appid=required("WECHAT_COMPONENT_APPID", "the third-party platform's AppID"),
            component_appsecret=required("WECHAT_COMPONENT_APPSECRET", "the third-party platform's AppSecret"),
            verify_ticket=ticket,
            authorizer_refresh_token=required(
                "WECHAT_AUTHORIZER_REFRESH_TOKEN", "the mini program's authorizer_refresh_token from its authorization"
            ),
        )
    if source == "service":
        url, command = get("WECHAT_TOKEN_SERVICE_URL"), get("WECHAT_TOKEN_COMMAND")
        if (url is None) == (command is None):
            raise ConfigError(
                "WECHAT_TOKEN_SERVICE_URL and WECHAT_TOKEN_COMMAND: set exactly one for WECHAT_TOKEN_SOURCE=service"
            )
        return ServiceTokenConfig(
            url=None if url is None else _url(url, "WECHAT_TOKEN_SERVICE_URL", slash=False), command=command
        )
    raise ConfigError(f"WECHAT_TOKEN_SOURCE is malformed: expected stable, component or service, got {source!r}")


def _url(value: str, name: str, *, slash: bool) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(f"{name} is malformed: expected an http(s) URL, got {value!r}")
    value = value.rstrip("/")
    # slack_sdk joins base_url and method name without a separator.
    return value + "/" if slash else value


def _fallback(value: str | None) -> str | None:
    if value is not None and value.lower() == "off":
        return None
    return _url(value or DEFAULT_WECHAT_API_FALLBACK, "WECHAT_API_FALLBACK", slash=False)


def _int(value: str | None, name: str, default: int, *, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} is malformed: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} is out of range: expected {low} to {high}, got {number}")
    return number


def _user_ids(value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    ids = [part.strip() for part in value.split(",") if part.strip()]
    bad = [user_id for user_id in ids if not _USER_ID.match(user_id)]
    if bad:
        raise ConfigError(
            f"APPROVER_USER_IDS is malformed: {', '.join(bad)} is not a Slack user ID (like U012AB3CD)"
        )
    return frozenset(ids)


def _slack_id(value: str | None, name: str, prefixes: str, what: str) -> str | None:
    if value is not None and not re.match(rf"^[{prefixes}][A-Z0-9]{{2,}}$", value):
        raise ConfigError(f"{name} is malformed: {value!r} is not a Slack {what} ID")
    return value


def _channel_ids(value: str | None) -> frozenset[str]:
    ids = [part.strip() for part in (value or "").split(",") if part.strip()]
    for channel_id in ids:
        _slack_id(channel_id, "ALLOWED_CHANNEL_IDS", "CGD", "channel")
    return frozenset(ids)


def _bool(value: str | None, name: str) -> bool:
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} is malformed: expected true or false, got {value!r}")


def _choice(value: str | None, name: str, choices: tuple[str, ...]) -> str:
    """The first choice is the default; matching ignores case."""
    if value is None:
        return choices[0]
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ConfigError(f"{name} is malformed: expected one of {', '.join(choices)}, got {value!r}")
