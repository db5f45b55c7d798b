import pytest

from bot.config import (
    DEFAULT_DATABASE_URL,
    ComponentTokenConfig,
    ConfigError,
    ServiceTokenConfig,
    StableTokenConfig,
    load_settings,
)

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "WECHAT_APPID": "wx6d3ff39d38d9f54b",
    "WECHAT_APPSECRET": "app-secret-value",
}


def test_defaults() -> None:
    settings = load_settings(BASE)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.wechat_api_base == "https://api.weixin.qq.com"
    assert settings.programs[0].approval_ttl_seconds == 900
    assert settings.programs[0].approver_user_ids == frozenset()
    assert settings.port == 3000
    assert settings.wechat_api_fallback == "https://api2.weixin.qq.com"
    assert settings.wechat_timeout_seconds == 15
    assert not settings.socket_mode


def test_the_metrics_token_is_a_secret_and_optional() -> None:
    assert load_settings(BASE).metrics_token is None
    settings = load_settings({**BASE, "METRICS_TOKEN": "0123456789abcdef0123"})
    assert settings.metrics_token == "0123456789abcdef0123"
    assert "0123456789abcdef0123" in settings.secrets()


def test_urls_are_normalised() -> None:
    settings = load_settings({**BASE, "SLACK_API_URL": "http://127.0.0.1:9/api", "WECHAT_API_BASE": "http://x/"})
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.wechat_api_base == "http://x"


def test_fallback_can_be_turned_off() -> None:
    assert load_settings({**BASE, "WECHAT_API_FALLBACK": "off"}).wechat_api_fallback is None


def test_approvers_are_parsed() -> None:
    settings = load_settings({**BASE, "APPROVER_USER_IDS": " U0AAA1, W0BBB2 ,"})
    assert settings.programs[0].approver_user_ids == {"U0AAA1", "W0BBB2"}


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {key: value for key, value in BASE.items() if key != "SLACK_SIGNING_SECRET"}
    settings = load_settings({**env, "SLACK_APP_TOKEN": "xapp-1-abc"})
    assert settings.socket_mode


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, "SLACK_BOT_TOKEN is still a placeholder"),  # .env.example's
        ({"SLACK_BOT_TOKEN": "xoxb-…"}, "SLACK_BOT_TOKEN is still a placeholder"),  # the README's
        ({"SLACK_APP_TOKEN": "xapp-…"}, "SLACK_APP_TOKEN is still a placeholder"),
        ({"SLACK_SIGNING_SECRET": "your-signing-secret"}, "SLACK_SIGNING_SECRET is still a placeholder"),
        ({"SLACK_SIGNING_SECRET": "<signing secret>"}, "SLACK_SIGNING_SECRET is still a placeholder"),
        ({"SLACK_SIGNING_SECRET": "abc1234"}, "SLACK_SIGNING_SECRET is too short to be real"),
        ({"WECHAT_APPSECRET": "x"}, "WECHAT_APPSECRET is too short to be real"),
        ({"WECHAT_APPID": "hello"}, "WECHAT_APPID is malformed: an AppID is wx followed by 16 hexadecimal"),
        ({"WECHAT_APPID": "wx0123456789abcdeg"}, "WECHAT_APPID is malformed"),
        ({"WECHAT_APPID": "wx0123456789abcde"}, "WECHAT_APPID is malformed"),
    ],
)
def test_placeholders_short_secrets_and_malformed_appids_are_refused(change: dict[str, str], refusal: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({**BASE, **change})
    assert str(refused.value).startswith(refusal)
    secret = change.get("SLACK_SIGNING_SECRET") or change.get("WECHAT_APPSECRET")
    assert secret is None or secret not in str(refused.value)


def test_short_component_secrets_and_malformed_platform_appids_are_refused() -> None:
    component = {
        **BASE,
        "WECHAT_TOKEN_SOURCE": "component",
        "WECHAT_COMPONENT_APPID": "wx0123456789abcdef",
        "WECHAT_COMPONENT_APPSECRET": "component-secret",
        "WECHAT_COMPONENT_VERIFY_TICKET": "env:TICKET",
        "WECHAT_AUTHORIZER_REFRESH_TOKEN": "refresh-token-value",
    }
    assert load_settings(component).programs[0].token is not None
    for name, value, refusal in [
        ("WECHAT_COMPONENT_APPID", "platform", "WECHAT_COMPONENT_APPID is malformed"),
        ("WECHAT_COMPONENT_APPSECRET", "short", "WECHAT_COMPONENT_APPSECRET is too short"),
        ("WECHAT_AUTHORIZER_REFRESH_TOKEN", "r", "WECHAT_AUTHORIZER_REFRESH_TOKEN is too short"),
    ]:
        with pytest.raises(ConfigError, match=refusal):
            load_settings({**component, name: value})


def test_without_slack_the_slack_settings_are_not_asked_for() -> None:
    """The command line's `status` talks to WeChat and the database only."""
    env = {key: value for key, value in BASE.items() if not key.startswith("SLACK_")}
    settings = load_settings({**env, "SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, slack=False)
    assert settings.slack_bot_token == "" and settings.secrets() == ["app-secret-value"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN is malformed"),
        ({"SLACK_SIGNING_SECRET": " "}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN is malformed"),
        ({"WECHAT_APPID": ""}, "WECHAT_APPID is not set"),
        ({"WECHAT_APPSECRET": ""}, "WECHAT_APPSECRET is not set"),
        ({"APPROVAL_TTL_SECONDS": "soon"}, "APPROVAL_TTL_SECONDS is malformed"),
        ({"APPROVAL_TTL_SECONDS": "0"}, "APPROVAL_TTL_SECONDS is out of range"),
        ({"APPROVER_USER_IDS": "alice"}, "APPROVER_USER_IDS is malformed"),
        ({"PORT": "70000"}, "PORT is out of range"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL is malformed"),
        ({"WECHAT_API_BASE": "ftp://x"}, "WECHAT_API_BASE is malformed"),
        ({"WECHAT_API_FALLBACK": "api2"}, "WECHAT_API_FALLBACK is malformed"),
        ({"WECHAT_TIMEOUT_SECONDS": "0.5"}, "WECHAT_TIMEOUT_SECONDS is malformed"),
        ({"METRICS_TOKEN": "short-token"}, "METRICS_TOKEN is malformed"),
        ({"METRICS_TOKEN": "a metrics token with spaces"}, "METRICS_TOKEN is malformed"),
    ],
)
def test_bad_settings_name_the_variable(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as caught:
        load_settings({**BASE, **change})
    assert "app-secret-value" not in str(caught.value)
    assert "signing-secret-value" not in str(caught.value)


COMPONENT = {
    "WECHAT_TOKEN_SOURCE": "component",
    "WECHAT_COMPONENT_APPID": "wx635bc1af70048235",
    "WECHAT_COMPONENT_APPSECRET": "component-secret",
    "WECHAT_COMPONENT_VERIFY_TICKET": "file:/var/lib/platform/ticket",
    "WECHAT_AUTHORIZER_REFRESH_TOKEN": "refreshtoken@@@abc",
}


def test_stable_token_source_is_the_default() -> None:
    assert load_settings(BASE).programs[0].token == StableTokenConfig("app-secret-value")


def test_component_token_source() -> None:
    env = {key: value for key, value in BASE.items() if key != "WECHAT_APPSECRET"}
    config = load_settings({**env, **COMPONENT}).programs[0].token
    assert isinstance(config, ComponentTokenConfig)
    assert (config.component_appid, config.verify_ticket) == ("wx635bc1af70048235", "file:/var/lib/platform/ticket")


@pytest.mark.parametrize(
    "ticket", ["env:PLATFORM_TICKET", "file:/tmp/ticket", "sql:SELECT ticket FROM tickets ORDER BY id DESC LIMIT 1"]
)
def test_component_ticket_locations(ticket: str) -> None:
    config = load_settings({**BASE, **COMPONENT, "WECHAT_COMPONENT_VERIFY_TICKET": ticket}).programs[0].token
    assert isinstance(config, ComponentTokenConfig) and config.verify_ticket == ticket


def test_service_token_source() -> None:
    env = {**BASE, "WECHAT_TOKEN_SOURCE": "service", "WECHAT_TOKEN_SERVICE_URL": "http://tokens.internal/token"}
    assert load_settings(env).programs[0].token == ServiceTokenConfig("http://tokens.internal/token", None)
    env = {**BASE, "WECHAT_TOKEN_SOURCE": "SERVICE", "WECHAT_TOKEN_COMMAND": "get-token --app wx1"}
    assert load_settings(env).programs[0].token == ServiceTokenConfig(None, "get-token --app wx1")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"WECHAT_TOKEN_SOURCE": "magic"}, "WECHAT_TOKEN_SOURCE is malformed"),
        ({**COMPONENT, "WECHAT_COMPONENT_VERIFY_TICKET": "/tmp/ticket"}, "WECHAT_COMPONENT_VERIFY_TICKET is malformed"),
        ({**COMPONENT, "WECHAT_COMPONENT_VERIFY_TICKET": "sql:DROP TABLE x"}, "WECHAT_COMPONENT_VERIFY_TICKET is mal"),
        ({**COMPONENT, "WECHAT_AUTHORIZER_REFRESH_TOKEN": ""}, "WECHAT_AUTHORIZER_REFRESH_TOKEN is not set"),
        ({**COMPONENT, "WECHAT_COMPONENT_APPSECRET": ""}, "WECHAT_COMPONENT_APPSECRET is not set"),
        ({"WECHAT_TOKEN_SOURCE": "service"}, "set exactly one"),
        (
            {"WECHAT_TOKEN_SOURCE": "service", "WECHAT_TOKEN_SERVICE_URL": "http://a", "WECHAT_TOKEN_COMMAND": "x"},
            "set exactly one",
        ),
        ({"WECHAT_TOKEN_SOURCE": "service", "WECHAT_TOKEN_SERVICE_URL": "tokens"}, "WECHAT_TOKEN_SERVICE_URL is mal"),
    ],
)
def test_bad_token_source_settings(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as caught:
        load_settings({**BASE, **change})
    assert "component-secret" not in str(caught.value) and "refreshtoken" not in str(caught.value)
