"""Every message a person reads is translated, with the same placeholders, and the compiled catalogue the bot
reads is the one the .po says."""

from __future__ import annotations

import io
import re
import string
import tomllib
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n
from bot.wechat.errors import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [language for language in i18n.LANGUAGES if language != "en"]  # English is the source text
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def source_messages() -> set[str | tuple[str, ...]]:
    """What the code marks for translation, as Babel extracts it (babel.cfg: every module under bot/)."""
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(language: str) -> Catalog:
    with open(i18n.LOCALE_DIR / language / "LC_MESSAGES" / "bot.po", "rb") as po:
        return read_po(po)


def entries(language: str) -> list[Message]:
    return [message for message in catalogue(language) if message.id]


def fields(text: str) -> list[str]:
    """The placeholders of a message, sorted, repeats kept (`{command}` twice must stay twice)."""
    return sorted(name for _text, name, _spec, _conv in string.Formatter().parse(text) if name is not None)


def marks(text: str) -> list[str]:
    """What Slack renders rather than shows: emoji codes, code spans, bold, links and line breaks (one `*` or `<`
    left open makes the rest of the message bold, or swallows it)."""
    counted = ["`"] * text.count("`") + ["*"] * text.count("*") + ["<"] * text.count("<") + [">"] * text.count(">")
    return sorted(re.findall(r":[a-z_]+:", text)) + counted + ["\n"] * text.count("\n")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_has_a_translation(language: str) -> None:
    translated = {message.id if isinstance(message.id, str) else tuple(message.id) for message in entries(language)}
    missing = sorted(map(str, source_messages() - translated))
    assert missing == [], f"not in bot/locale/{language}/LC_MESSAGES/bot.po: run scripts/update_catalogue.py"
    empty = [message.id for message in entries(language) if not any(_strings(message)) or message.fuzzy]
    assert empty == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_no_message_the_code_dropped(language: str) -> None:
    sources = source_messages()
    obsolete = [message.id for message in entries(language) if _key(message) not in sources]
    assert obsolete == []


def placeholder_problems(messages: list[Message]) -> list[tuple[str, str]]:
    """Translations that drop or add a placeholder, or an emoji, a code span or a line break."""
    wrong = []
    for message in messages:
        originals = [message.id] if isinstance(message.id, str) else list(message.id)
        for translation in _strings(message):
            if len(originals) == 1:  # every placeholder as often as the original has it
                same_fields = sorted(fields(translation)) == sorted(fields(originals[0]))
            else:  # plural forms: the singular may leave the count out
                same_fields = set(fields(translation)) == set().union(*(fields(original) for original in originals))
            if not same_fields or marks(translation) != marks(originals[0]):
                wrong.append((originals[0], translation))
    return wrong


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder_and_add_none(language: str) -> None:
    assert placeholder_problems(entries(language)) == []


def test_the_placeholder_check_catches_a_dropped_and_an_added_placeholder() -> None:
    made_up = [
        Message("Only {requester} may {verb}.", "只有 {requester} 可以。"),  # dropped
        Message("Request #{id}", "申请 #{id}（{channel}）"),  # added
        Message(":x: Failed", "失败"),  # the emoji dropped
        Message(("{count} reminder", "{count} reminders"), ("已提醒 {count} 次",)),  # fine
    ]
    assert [original for original, _translation in placeholder_problems(made_up)] == [
        "Only {requester} may {verb}.",
        "Request #{id}",
        ":x: Failed",
    ]


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_po_compiled(language: str) -> None:
    """The .mo the bot reads is committed (a fresh `pip install -e .` needs no build step): it must say what the
    .po says. Run scripts/update_catalogue.py --compile after editing a .po."""
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(language))
    committed = (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "bot.mo").read_bytes()
    assert committed == compiled.getvalue()


def test_wechat_explanations_are_translated() -> None:
    """The catalogue of WeChat errors is translated where it is shown (`_(explained.meaning)`), so each of its
    texts must be in every catalogue."""
    for language in TRANSLATED:
        translations = i18n.translations(language)
        for explained in CATALOGUE.values():
            for text in (explained.meaning, explained.next_step):
                assert translations.gettext(text) != text, text


def test_the_catalogues_are_package_data() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = project["tool"]["setuptools"]["package-data"]["bot"]
    assert "locale/*/LC_MESSAGES/bot.mo" in data


def test_a_language_is_read_from_the_catalogue_and_english_needs_none() -> None:
    with i18n.speaking("zh"):
        assert i18n._("Approve") == "审批通过"
        assert i18n.ngettext("{count} reminder, the last {last}", "{count} reminders, the last {last}", 3) == (
            "已提醒 {count} 次，最近一次在 {last}"
        )
    with i18n.speaking("en"):
        assert i18n._("Approve") == "Approve"


def _strings(message: Message) -> list[str]:
    if isinstance(message.string, str):
        return [message.string]
    return list(message.string or ())


def _key(message: Message) -> str | tuple[str, ...]:
    return message.id if isinstance(message.id, str) else tuple(message.id)
