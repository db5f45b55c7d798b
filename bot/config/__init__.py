"""Settings from the environment and, for several mini programs, a TOML file; validated once at start-up."""

from bot.config.environment import SANDBOX_PROGRAM, bot_language, load_settings
from bot.config.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_SLACK_API_URL,
    DEFAULT_WECHAT_API_BASE,
    DEFAULT_WECHAT_API_FALLBACK,
    SANDBOX_DATABASE_URL,
    ComponentTokenConfig,
    ConfigError,
    ProgramConfig,
    ServiceTokenConfig,
    Settings,
    StableTokenConfig,
    TokenConfig,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_SLACK_API_URL",
    "DEFAULT_WECHAT_API_BASE",
    "DEFAULT_WECHAT_API_FALLBACK",
    "SANDBOX_DATABASE_URL",
    "SANDBOX_PROGRAM",
    "ComponentTokenConfig",
    "ConfigError",
    "ProgramConfig",
    "ServiceTokenConfig",
    "Settings",
    "StableTokenConfig",
    "TokenConfig",
    "bot_language",
    "load_settings",
]
