"""ROLLBACK_CONFIG: several mini programs from a TOML file, and a clear message for each mistake in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    ComponentTokenConfig,
    ConfigError,
    ProgramConfig,
    ServiceTokenConfig,
    StableTokenConfig,
    load_settings,
)

SLACK = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "signing-secret-value"}
SECRETS = {
    "SHOP_SECRET": "shop-secret-value",
    "PLATFORM_SECRET": "platform-secret-value",
    "GAMES_REFRESH": "refresh@@@x",
}

VALID = """
[defaults]
approvers = ["U0LEAD1"]
approval_ttl_seconds = 600
# A third-party platform serving several mini programs: its settings once, here.
component_appid = "wx35b5b766c43a3ec9"
component_appsecret_env = "PLATFORM_SECRET"
verify_ticket = "file:/var/lib/platform/ticket"

[programs.shop]
appid = "wx7b921c88a50ba98c"
token_source = "stable"
appsecret_env = "SHOP_SECRET"
channels = ["CSHOP"]
break_glass = true

[programs.games]
appid = "wx1de7ba4ea19b5105"
token_source = "component"
authorizer_refresh_token_env = "GAMES_REFRESH"
approvers = ["U0GAMES1", "W0GAMES2"]
approver_usergroup = "S0GAMEOPS"
approval_ttl_seconds = 1800

[programs.pay]
appid = "wx8ab040859f795fb0"
token_source = "service"
token_service_url = "https://tokens.internal/wx8ab040859f795fb0/"
"""


SHOP = '[programs.shop]\nappid = "wx7b921c88a50ba98c"\nappsecret_env = "SHOP_SECRET"\n'


def load(tmp_path: Path, text: str, **env: str) -> tuple[ProgramConfig, ...]:
    path = tmp_path / "rollback.toml"
    path.write_text(text)
    return load_settings({**SLACK, **SECRETS, "ROLLBACK_CONFIG": str(path), **env}).programs


def test_each_program_has_its_own_token_source_and_policy_over_the_defaults(tmp_path: Path) -> None:
    shop, games, pay = load(tmp_path, VALID)
    assert shop == ProgramConfig(
        alias="shop",
        appid="wx7b921c88a50ba98c",
        token=StableTokenConfig("shop-secret-value"),
        approver_user_ids=frozenset({"U0LEAD1"}),
        allowed_channel_ids=frozenset({"CSHOP"}),
        break_glass_enabled=True,
        approval_ttl_seconds=600,
    )
    assert games.token == ComponentTokenConfig(
        "wx35b5b766c43a3ec9", "platform-secret-value", "file:/var/lib/platform/ticket", "refresh@@@x"
    )
    assert (games.approver_user_ids, games.approver_usergroup_id) == (frozenset({"U0GAMES1", "W0GAMES2"}), "S0GAMEOPS")
    assert (games.approval_ttl_seconds, games.allowed_channel_ids, games.break_glass_enabled) == (
        1800,
        frozenset(),
        False,
    )
    assert pay.token == ServiceTokenConfig("https://tokens.internal/wx8ab040859f795fb0", None)


def test_the_secrets_of_every_program_are_redacted(tmp_path: Path) -> None:
    path = tmp_path / "rollback.toml"
    path.write_text(VALID)
    settings = load_settings({**SLACK, **SECRETS, "ROLLBACK_CONFIG": str(path)})
    assert {"shop-secret-value", "platform-secret-value", "refresh@@@x"} <= set(settings.secrets())


def test_the_sandbox_needs_no_token_settings(tmp_path: Path) -> None:
    programs = load(tmp_path, '[programs.shop]\nappid = "wx7b921c88a50ba98c"\n', SANDBOX="true")
    assert programs == (ProgramConfig(alias="shop", appid="wx7b921c88a50ba98c", token=None),)


def test_the_sandbox_without_a_program_has_the_sample_one_under_the_environments_policy() -> None:
    settings = load_settings({**SLACK, "SANDBOX": "yes", "BREAK_GLASS_ENABLED": "true", "APPROVER_USER_IDS": "U0A1"})
    (program,) = settings.programs
    assert (program.alias, program.appid, program.token) == ("demo", "wxsandbox0000demo", None)
    assert program.break_glass_enabled and program.approver_user_ids == {"U0A1"}
    assert settings.database_url == "sqlite:///miniprogram-rollback-sandbox.db"


def test_without_a_file_the_environment_configures_one_program() -> None:
    appid, secret = "wxa98538adf0fbe265", "secret-value-1"
    settings = load_settings({**SLACK, "WECHAT_APPID": appid, "WECHAT_APPSECRET": secret, "APPROVER_USER_IDS": "U0A1"})
    assert settings.programs == (
        ProgramConfig(appid, appid, StableTokenConfig(secret), approver_user_ids=frozenset({"U0A1"})),
    )
    assert settings.config_path is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SHOP + 'colour = "blue"\n', "programs.shop.colour is not a known key"),
        (
            '[programs.shop]\nappid = "wx7b921c88a50ba98c"\nappsecret = "hunter2-in-the-file"\n',
            "programs.shop.appsecret: secrets are not read from this file",
        ),
        ('[programs.shop]\nappid = "wx7b921c88a50ba98c"\n', "programs.shop.appsecret_env is not set"),
        (
            '[programs.shop]\nappid = "wx7b921c88a50ba98c"\nappsecret_env = "NOT_EXPORTED"\n',
            "programs.shop.appsecret_env names NOT_EXPORTED, which is not set",
        ),
        ('[programs.shop]\nappsecret_env = "SHOP_SECRET"\n', "programs.shop.appid is not set"),
        ('[programs.shop]\nappid = 42\nappsecret_env = "SHOP_SECRET"\n', "shop.appid is malformed: expected a"),
        (SHOP.replace("shop]", "Shop]"), "programs.Shop has an unusable alias"),
        (SHOP.replace("shop]", "status]"), "programs.status has an unusable alias"),
        (
            '[programs.a]\nappid = "wx1e127347b26fda40"\nappsecret_env = "SHOP_SECRET"\n'
            '[programs.b]\nappid = "wx1e127347b26fda40"\nappsecret_env = "SHOP_SECRET"\n',
            "programs.b.appid is wx1e127347b26fda40, like programs.a",
        ),
        (SHOP + 'approvers = "U0LEAD1"\n', "programs.shop.approvers is malformed: expected a list of strings"),
        (SHOP + 'approvers = ["alice"]\n', "programs.shop.approvers is malformed: alice is not a Slack user ID"),
        (SHOP + 'channels = ["#incidents"]\n', "shop.channels is malformed: '#incidents' is not a Slack channel"),
        (SHOP + 'break_glass = "yes"\n', "programs.shop.break_glass is malformed: expected true or false"),
        (SHOP + 'approval_ttl_seconds = 5\n', "programs.shop.approval_ttl_seconds is out of range"),
        (SHOP + 'token_source = "magic"\n', "programs.shop.token_source is malformed"),
        (
            SHOP.replace('appsecret_env = "SHOP_SECRET"', 'token_source = "service"'),
            "programs.shop.token_service_url and",
        ),
        ('[defaults]\napproval_ttl_seconds = "soon"\n' + SHOP, "defaults.approval_ttl_seconds is malformed"),
        ('[defaults]\nappid = "wx7b921c88a50ba98c"\n' + SHOP, "defaults.appid is not allowed"),
        ('[program.shop]\nappid = "wx7b921c88a50ba98c"\n', "program is not a known section"),
        ("[defaults]\n", "configures no mini program"),
        ('[programs.shop\nappid = "wx7b921c88a50ba98c"\n', "is not valid TOML"),
        ('programs = "shop"\n', "programs is malformed: expected a table"),
        (SHOP + 'language = "fr"\n', "programs.shop.language is malformed: expected one of en, zh, got 'fr'"),
    ],
)  # fmt: skip
def test_each_mistake_names_the_file_the_key_and_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rollback.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings({**SLACK, **SECRETS, "ROLLBACK_CONFIG": str(path)})
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert not any(secret in str(caught.value) for secret in (*SECRETS.values(), "hunter2-in-the-file"))


def test_a_program_speaks_its_own_language_else_the_bots(tmp_path: Path) -> None:
    text = SHOP + 'language = "zh"\n[programs.games]\nappid = "wx1de7ba4ea19b5105"\nappsecret_env = "SHOP_SECRET"\n'
    shop, games = load(tmp_path, text)
    assert (shop.language, games.language) == ("zh", None)
    settings = load_settings({**SLACK, **SECRETS, "ROLLBACK_CONFIG": str(tmp_path / "rollback.toml")})
    assert (settings.bot_language, settings.user_locale) == ("en", False)
    chinese = {**SLACK, **SECRETS, "ROLLBACK_CONFIG": str(tmp_path / "rollback.toml"), "BOT_LANGUAGE": "ZH"}
    assert load_settings({**chinese, "USER_LOCALE": "true"}).bot_language == "zh"
    with pytest.raises(ConfigError, match="BOT_LANGUAGE is malformed: expected one of en, zh"):
        load_settings({**chinese, "BOT_LANGUAGE": "chinese"})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ROLLBACK_CONFIG .*nowhere.toml cannot be read: No such file"):
        load_settings({**SLACK, "ROLLBACK_CONFIG": str(tmp_path / "nowhere.toml")})


def test_the_file_and_the_single_program_variables_cannot_both_configure(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WECHAT_APPID, APPROVER_USER_IDS and ROLLBACK_CONFIG are both set"):
        load(tmp_path, VALID, WECHAT_APPID="wx7b921c88a50ba98c", APPROVER_USER_IDS="U0A1")
    # A secret variable may stay in the environment: the file names it.
    assert load(tmp_path, VALID, WECHAT_APPSECRET="kept-for-the-file")[0].alias == "shop"


def test_the_example_file_in_the_repository_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "rollback.example.toml"
    secrets = {"SHOP_APPSECRET": "a" * 32, "PLATFORM_APPSECRET": "b" * 32, "GAMES_AUTHORIZER_REFRESH_TOKEN": "c" * 40}
    programs = load_settings({**SLACK, **secrets, "ROLLBACK_CONFIG": str(example)}).programs
    assert [program.alias for program in programs] == ["shop", "games", "pay"]
    assert all(program.approver_usergroup_id == "S0123ONCALL" for program in programs)
