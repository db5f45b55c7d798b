"""Settings from the environment, validated once at start-up; the mini programs from it or from ROLLBACK_CONFIG."""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import values
from bot.config.programs_file import load_programs
from bot.config.settings import (
    DEFAULT_APPROVAL_TTL_SECONDS,
    DEFAULT_DATABASE_TIMEOUT_SECONDS,
    DEFAULT_DATABASE_URL,
    DEFAULT_ESCALATE_AFTER_SECONDS,
    DEFAULT_REMIND_AFTER_SECONDS,
    DEFAULT_SLACK_API_URL,
    DEFAULT_VERSION_WATCH_SECONDS,
    DEFAULT_WECHAT_API_BASE,
    DEFAULT_WECHAT_API_FALLBACK,
    MAX_APPROVALS_REQUIRED,
    SANDBOX_DATABASE_URL,
    ConfigError,
    ProgramConfig,
    Settings,
)
from bot.i18n import LANGUAGES, _

# The one mini program configured by environment variables, by the names the token checks use.
PROGRAM_VARIABLES = {
    "appid": "WECHAT_APPID",
    "token_source": "WECHAT_TOKEN_SOURCE",
    "appsecret": "WECHAT_APPSECRET",
    "component_appid": "WECHAT_COMPONENT_APPID",
    "component_appsecret": "WECHAT_COMPONENT_APPSECRET",
    "verify_ticket": "WECHAT_COMPONENT_VERIFY_TICKET",
    "authorizer_refresh_token": "WECHAT_AUTHORIZER_REFRESH_TOKEN",
    "token_service_url": "WECHAT_TOKEN_SERVICE_URL",
    "token_command": "WECHAT_TOKEN_COMMAND",
    "approvers": "APPROVER_USER_IDS",
    "approver_usergroup": "APPROVER_USERGROUP_ID",
    "channels": "ALLOWED_CHANNEL_IDS",
    "break_glass": "BREAK_GLASS_ENABLED",
    "approval_ttl_seconds": "APPROVAL_TTL_SECONDS",
    "approvals_required": "APPROVALS_REQUIRED",
    "remind_after_seconds": "APPROVAL_REMIND_SECONDS",
    "escalation_usergroup": "ESCALATION_USERGROUP_ID",
    "escalate_after_seconds": "ESCALATE_AFTER_SECONDS",
    "allow_guest_approvers": "ALLOW_GUEST_APPROVERS",
    "channel_mention": "APPROVAL_CHANNEL_MENTION",
    "version_watch_seconds": "VERSION_WATCH_SECONDS",
    "notify_channel": "NOTIFY_CHANNEL_ID",
}
# Secrets may stay in the environment when the file names them; everything else belongs in the file.
_SECRET_VARIABLES = {"WECHAT_APPSECRET", "WECHAT_COMPONENT_APPSECRET", "WECHAT_AUTHORIZER_REFRESH_TOKEN"}

SANDBOX_PROGRAM = ProgramConfig(alias="demo", appid="wxsandbox0000demo", token=None)


class _Environment:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def __call__(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def required(self, name: str, hint: str) -> str:
        value = self(name)
        if value is None:
            raise ConfigError(_("{name} is not set: {hint}").format(name=name, hint=hint))
        return value


class _ProgramVariables:
    """The token checks' view of the environment: keys by their variable names."""

    def __init__(self, get: _Environment) -> None:
        self._get = get

    def get(self, key: str) -> str | None:
        return self._get(PROGRAM_VARIABLES[key])

    def secret(self, key: str, hint: str) -> str:
        return values.required(self, key, hint)

    def label(self, key: str) -> str:
        return PROGRAM_VARIABLES[key]


def bot_language(env: Mapping[str, str]) -> str:
    """BOT_LANGUAGE alone: read before the other settings, so that their errors are written in it."""
    get = _Environment(env)
    return values.choice(get("BOT_LANGUAGE"), "BOT_LANGUAGE", LANGUAGES)


def load_settings(
    env: Mapping[str, str], *, sandbox: bool = False, slack: bool = True, program: str | None = None
) -> Settings:
    """`slack=False`: the Slack settings are neither asked for nor read (the command line's `status`).
    `program`: of a configuration file's programs, only the one of this alias (or AppID) is read."""
    get = _Environment(env)
    sandbox = sandbox or values.boolean(get("SANDBOX"), "SANDBOX")
    bot_token, signing_secret, app_token = _slack_settings(get) if slack else ("", None, None)
    config_path = get("ROLLBACK_CONFIG")
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=values.http_url(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL, "SLACK_API_URL", slash=True),
        database_url=get("DATABASE_URL") or (SANDBOX_DATABASE_URL if sandbox else DEFAULT_DATABASE_URL),
        database_timeout_seconds=_number(
            get, "DATABASE_TIMEOUT_SECONDS", DEFAULT_DATABASE_TIMEOUT_SECONDS, low=1, high=300
        ),
        wechat_api_base=values.http_url(
            get("WECHAT_API_BASE") or DEFAULT_WECHAT_API_BASE, "WECHAT_API_BASE", slash=False
        ),
        wechat_api_fallback=_fallback(get("WECHAT_API_FALLBACK")),
        wechat_timeout_seconds=_number(get, "WECHAT_TIMEOUT_SECONDS", 15, low=1, high=120),
        approval_lease_seconds=_number(get, "APPROVAL_LEASE_SECONDS", 60, low=5, high=3600),
        programs=_programs(get, env, config_path, sandbox, program),
        expiry_sweep_seconds=_number(get, "EXPIRY_SWEEP_SECONDS", 30, low=1, high=3600),
        port=_number(get, "PORT", 3000, low=1, high=65535),
        log_format=values.choice(get("LOG_FORMAT"), "LOG_FORMAT", ("text", "json")),
        log_level=values.choice(get("LOG_LEVEL"), "LOG_LEVEL", ("INFO", "DEBUG", "WARNING", "ERROR")),
        sandbox=sandbox,
        config_path=config_path,
        token_encryption_key=values.fernet_keys(get("TOKEN_ENCRYPTION_KEY"), "TOKEN_ENCRYPTION_KEY"),
        bot_language=bot_language(env),
        user_locale=values.boolean(get("USER_LOCALE"), "USER_LOCALE"),
        metrics_token=_metrics_token(get("METRICS_TOKEN")),
    )


def _metrics_token(token: str | None) -> str | None:
    # Sent in a header: printable ASCII without spaces; a short one is guessable.
    if token is not None and (len(token) < 16 or not all(33 <= ord(c) < 127 for c in token)):
        raise ConfigError(
            _("METRICS_TOKEN is malformed: at least 16 printable characters without spaces (openssl rand -hex 32)")
        )
    return token


def _slack_settings(get: _Environment) -> tuple[str, str | None, str | None]:
    bot_token = get.required("SLACK_BOT_TOKEN", _("the bot token (xoxb-...) from the Slack app's OAuth page"))
    values.slack_token(bot_token, "SLACK_BOT_TOKEN", "xoxb-", _("the Bot User OAuth Token (Install App page)"))
    app_token = get("SLACK_APP_TOKEN")
    if app_token is not None:
        values.slack_token(app_token, "SLACK_APP_TOKEN", "xapp-", _("an app-level token from Basic Information"))
    signing_secret = get("SLACK_SIGNING_SECRET")
    if app_token is None and signing_secret is None:
        raise ConfigError(
            _(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify Slack's requests "
                "(or set SLACK_APP_TOKEN for Socket Mode)"
            )
        )
    if signing_secret is not None:
        values.secret(signing_secret, "SLACK_SIGNING_SECRET", _("the Signing Secret from the app's Basic Information"))
    return bot_token, signing_secret, app_token


def _programs(
    get: _Environment, env: Mapping[str, str], config_path: str | None, sandbox: bool, only: str | None
) -> tuple[ProgramConfig, ...]:
    if config_path is not None:
        clashing = [
            name for name in PROGRAM_VARIABLES.values() if name not in _SECRET_VARIABLES and get(name) is not None
        ]
        if clashing:
            raise ConfigError(
                _(
                    "{names} and ROLLBACK_CONFIG are both set: with a configuration file, configure every mini "
                    "program in the file"
                ).format(names=", ".join(clashing))
            )
        return load_programs(config_path, env, sandbox=sandbox, only=only)
    return (_program_from_environment(get, sandbox),)


def _program_from_environment(get: _Environment, sandbox: bool) -> ProgramConfig:
    if sandbox and get("WECHAT_APPID") is None:
        alias, appid = SANDBOX_PROGRAM.alias, SANDBOX_PROGRAM.appid  # the policy settings still apply
    else:
        hint = _("the mini program's AppID (wx...), or ROLLBACK_CONFIG for a configuration file")
        alias = appid = values.appid(get.required("WECHAT_APPID", hint), "WECHAT_APPID")
    program = ProgramConfig(
        alias=alias,
        appid=appid,
        token=None if sandbox else values.token_config(_ProgramVariables(get)),
        approver_user_ids=values.user_ids(values.comma_list(get("APPROVER_USER_IDS")), "APPROVER_USER_IDS"),
        approver_usergroup_id=values.slack_id(get("APPROVER_USERGROUP_ID"), "APPROVER_USERGROUP_ID", "S", "user group"),
        allowed_channel_ids=values.channel_ids(values.comma_list(get("ALLOWED_CHANNEL_IDS")), "ALLOWED_CHANNEL_IDS"),
        break_glass_enabled=values.boolean(get("BREAK_GLASS_ENABLED"), "BREAK_GLASS_ENABLED"),
        approval_ttl_seconds=_number(get, "APPROVAL_TTL_SECONDS", DEFAULT_APPROVAL_TTL_SECONDS, low=10, high=86400),
        approvals_required=_number(get, "APPROVALS_REQUIRED", 1, low=1, high=MAX_APPROVALS_REQUIRED),
        remind_after_seconds=_number(get, "APPROVAL_REMIND_SECONDS", DEFAULT_REMIND_AFTER_SECONDS, low=0, high=86400),
        escalation_usergroup_id=values.slack_id(
            get("ESCALATION_USERGROUP_ID"), "ESCALATION_USERGROUP_ID", "S", "user group"
        ),
        escalate_after_seconds=_number(
            get, "ESCALATE_AFTER_SECONDS", DEFAULT_ESCALATE_AFTER_SECONDS, low=1, high=86400
        ),
        allow_guest_approvers=values.boolean(get("ALLOW_GUEST_APPROVERS"), "ALLOW_GUEST_APPROVERS"),
        channel_mention=values.channel_mention(get("APPROVAL_CHANNEL_MENTION"), "APPROVAL_CHANNEL_MENTION"),
        version_watch_seconds=_number(get, "VERSION_WATCH_SECONDS", DEFAULT_VERSION_WATCH_SECONDS, low=0, high=86400),
        notify_channel_id=values.slack_id(get("NOTIFY_CHANNEL_ID"), "NOTIFY_CHANNEL_ID", "CGD", "channel"),
    )
    return values.check_approval_rules(program, PROGRAM_VARIABLES.__getitem__)


def _number(get: _Environment, name: str, default: int, *, low: int, high: int) -> int:
    value = get(name)
    return default if value is None else values.whole_number(value, name, low=low, high=high)


def _fallback(value: str | None) -> str | None:
    if value is not None and value.lower() == "off":
        return None
    return values.http_url(value or DEFAULT_WECHAT_API_FALLBACK, "WECHAT_API_FALLBACK", slash=False)
