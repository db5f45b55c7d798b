"""The slash command's text: every string parses to one answer, and the documented forms mean what they say."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.config.programs_file import ALIAS, RESERVED_ALIASES
from bot.slack.commands.grammar import HELP_WORDS, CommandText, parse_command

aliases = st.from_regex(ALIAS, fullmatch=True).filter(lambda alias: alias not in RESERVED_ALIASES)
spaces = st.text(alphabet=" \t\u3000\n", min_size=1, max_size=3)  # Slack keeps what people type, full-width too


@given(st.text(max_size=200))
def test_any_text_parses_to_one_known_verb(text: str) -> None:
    parsed = parse_command(text)
    assert parsed.verb in ("pick", "status", "history", "help", "unknown")
    assert parsed.program is None or (parsed.program.strip() == parsed.program and parsed.program)
    if parsed.program is not None:
        assert parsed.program in text.split()


@given(aliases, spaces, spaces)
def test_a_name_alone_picks_that_program(alias: str, before: str, after: str) -> None:
    assert parse_command(before + alias + after) == CommandText("pick", alias)


@given(st.sampled_from(["status", "history", "STATUS", "History"]), aliases, spaces)
def test_a_reading_verb_takes_the_name_before_or_after(verb: str, alias: str, gap: str) -> None:
    expected = CommandText("status" if verb.lower() == "status" else "history", alias)
    assert parse_command(f"{verb}{gap}{alias}") == expected
    assert parse_command(f"{alias}{gap}{verb}") == expected
    assert parse_command(verb) == CommandText(expected.verb)


@given(st.sampled_from(sorted(HELP_WORDS)))
def test_help(word: str) -> None:
    assert parse_command(f" {word.upper()} ") == CommandText("help")


@given(st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=5), min_size=3, max_size=6))
def test_three_words_or_more_are_not_understood(words: list[str]) -> None:
    assert parse_command(" ".join(words)) == CommandText("unknown")


def test_nothing_opens_the_picker() -> None:
    assert parse_command("") == parse_command("   ") == CommandText("pick")
