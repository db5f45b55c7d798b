"""What the bot is configured with: plain, validated data shared by the environment and the TOML file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_WECHAT_API_FALLBACK = "https://api2.weixin.qq.com"  # WeChat's cross-region disaster-recovery host
DEFAULT_DATABASE_URL = "sqlite:///miniprogram-rollback.db"
SANDBOX_DATABASE_URL = "sqlite:///miniprogram-rollback-sandbox.db"  # sandbox records never mix with real ones
DEFAULT_APPROVAL_TTL_SECONDS = 900
DEFAULT_DATABASE_TIMEOUT_SECONDS = 10
DEFAULT_REMIND_AFTER_SECONDS = 300
DEFAULT_ESCALATE_AFTER_SECONDS = 600
DEFAULT_VERSION_WATCH_SECONDS = 120
MAX_APPROVALS_REQUIRED = 5


class ConfigError(Exception):
    """A missing or malformed setting; the message names the variable (or file and key), never a secret."""


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


@dataclass(frozen=True)
class ProgramConfig:
    """One mini program: how to reach it and who may roll it back, where."""

    alias: str  # what people type: `/miniprogram-rollback <alias>`
    appid: str
    token: TokenConfig | None  # None in the sandbox, whose simulated WeChat needs no token
    approver_user_ids: frozenset[str] = frozenset()
    approver_usergroup_id: str | None = None
    allowed_channel_ids: frozenset[str] = frozenset()
    break_glass_enabled: bool = False
    approval_ttl_seconds: int = DEFAULT_APPROVAL_TTL_SECONDS
    approvals_required: int = 1  # distinct approvers, never the requester; the last one's click rolls back
    remind_after_seconds: int = DEFAULT_REMIND_AFTER_SECONDS  # 0: no reminders
    escalation_usergroup_id: str | None = None  # paged by the reminders once escalate_after_seconds have passed
    escalate_after_seconds: int = DEFAULT_ESCALATE_AFTER_SECONDS
    allow_guest_approvers: bool = False  # guests of the workspace may approve (people of another org never)
    channel_mention: str | None = None  # "here" or "channel": also page the whole channel
    version_watch_seconds: int = DEFAULT_VERSION_WATCH_SECONDS  # how often the online version is read; 0: never
    notify_channel_id: str | None = None  # where changes made outside the bot are posted
    language: str | None = None  # "en" or "zh": its channel messages' language (None: BOT_LANGUAGE)


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
    programs: tuple[ProgramConfig, ...]
    expiry_sweep_seconds: int
    port: int
    log_format: str  # "text" or "json"
    log_level: str
    sandbox: bool = False
    config_path: str | None = None  # ROLLBACK_CONFIG, when the programs come from a file
    # Connecting, and each statement or commit, fails after this long instead of waiting on a stalled database.
    database_timeout_seconds: int = DEFAULT_DATABASE_TIMEOUT_SECONDS
    # How long an approval's claim holds: past it, the approving replica sends nothing and another one settles it.
    approval_lease_seconds: int = 60
    # Fernet keys, comma-separated, sealing WeChat tokens at rest (bot/store/sealing.py); None: stored as they are.
    token_encryption_key: str | None = None
    bot_language: str = "en"  # BOT_LANGUAGE: "en" or "zh"
    user_locale: bool = False  # USER_LOCALE: answer one person in their own Slack language
    # GET /metrics asks for `Authorization: Bearer <this>` when set; None: served like /healthz.
    metrics_token: str | None = None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def secrets(self) -> list[str]:
        """Everything that must never appear in a log line, a Slack message or an error."""
        values = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.metrics_token]
        values += [key.strip() for key in (self.token_encryption_key or "").split(",")]
        for program in self.programs:
            match program.token:
                case StableTokenConfig(appsecret=secret):
                    values.append(secret)
                case ComponentTokenConfig():
                    values += [program.token.component_appsecret, program.token.authorizer_refresh_token]
                case ServiceTokenConfig(url=str(url)):
                    # The service's URL may carry its own key in the query, under any name: a value under a name
                    # that says so, or one that reads like a key. Not an AppID or a word (?appid=wx..., ?region=...):
                    # taken for a secret, it would be blanked out of every line.
                    values += [value for name, value in parse_qsl(urlsplit(url).query) if _keylike(name, value)]
                case _:
                    pass
        values += _database_passwords(self.database_url)
        return [value for value in values if value]


_SECRET_NAME = re.compile(r"key|token|secret|sig|pass|auth|credential|ticket", re.IGNORECASE)
_APPID = re.compile(r"wx[0-9a-fA-F]{16}")


def _keylike(name: str, value: str) -> bool:
    if _SECRET_NAME.search(name):
        return True
    return len(value) >= 12 and not _APPID.fullmatch(value) and not value.isalpha()


def _database_passwords(url: str) -> list[str]:
    """The database's password, in the URL's user part or in its query (libpq's ?password=)."""
    parts = urlsplit(url)
    found = [parts.password, unquote(parts.password)] if parts.password else []
    return found + [value for name, value in parse_qsl(parts.query) if _SECRET_NAME.search(name)]
