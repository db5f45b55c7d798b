"""Which language a message is written in, and the gettext catalogues that hold the translations.

The words themselves live in bot/slack/messages/ and, for what is printed to a shell, in bot/cli/, bot/config/,
bot/startup.py, bot/usage.py and bot/store/migrate.py, wrapped in `_()` (whole sentences with named placeholders,
never pieces assembled by hand); the catalogues are bot/locale/<lang>/LC_MESSAGES/bot.po,
extracted and compiled with Babel (see babel.cfg and README, "Languages"). English is the source text: it needs
no catalogue.

The language in force is, in order: the one set for the current block (`speaking`: channel messages, in their
mini program's language) or listener (`person`, `answer_for`: a reply to one person, in their Slack language with
USER_LOCALE=true, else their mini program's), else the bot's (`BOT_LANGUAGE`, set once at start-up). Listeners
run in a context of their own (bot.slack.errors), so what one sets never reaches the next.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh")
DOMAIN = "bot"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_bot_language = "en"
_program_languages: dict[str, str] = {}  # appid -> the language its channel messages are written in
_current: ContextVar[str | None] = ContextVar("language", default=None)
_person: ContextVar[str | None] = ContextVar("person_language", default=None)  # USER_LOCALE: the listener's person


def language_code(value: str) -> str | None:
    """`en`, `zh`, or a locale naming one (Slack's `zh-CN`, `en-US`, `zh_Hans`): the language, or None."""
    head = value.strip().replace("_", "-").split("-")[0].lower()
    return head if head in LANGUAGES else None


def configure(bot_language: str, programs: dict[str, str | None] | None = None) -> None:
    """At start-up: the bot's language, and each mini program's own (None: the bot's)."""
    global _bot_language
    _bot_language = bot_language
    _program_languages.clear()
    _program_languages.update({appid: lang for appid, lang in (programs or {}).items() if lang})


def bot_language() -> str:
    return _bot_language


def program_language(appid: str | None) -> str:
    """The language of a mini program's channel messages: its own, else the bot's."""
    return _program_languages.get(appid or "", _bot_language)


def current() -> str:
    return _current.get() or _bot_language


def speak(language: str | None) -> None:
    """For the rest of this listener's run (its context is its own): write in `language` (None: no change)."""
    if language:
        _current.set(language)


def person(language: str | None) -> None:
    """For the rest of this listener's run: the person it answers reads `language` (their Slack locale's), so
    what is said to them alone is in it (None: unknown, the program's language is used)."""
    _person.set(language)
    speak(language)


def answer_for(appid: str | None) -> None:
    """Once a listener knows its mini program: replies to the person are in their own language where known
    (`person`), else the program's."""
    speak(_person.get() or program_language(appid))


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Within the block, write in `language` (None: the language already in force)."""
    token = _current.set(language or current())
    try:
        yield
    finally:
        _current.reset(token)


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def _(message: str) -> str:
    """`message` in the language in force."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; `_()` translates it where it is used."""
    return message
