"""docs/messages.md shows every message the bot sends, as the builders build it today."""

from __future__ import annotations

import json
import re
from types import ModuleType
from urllib.parse import unquote

import pytest

from scripts import preview_messages


@pytest.fixture(scope="module")
def previews() -> ModuleType:
    """The previews, imported as code (one function per section of docs/messages.md)."""
    return preview_messages


def test_docs_messages_md_is_current(previews: ModuleType) -> None:
    committed = previews.OUTPUT.read_text(encoding="utf-8") if previews.OUTPUT.exists() else ""
    assert committed == previews.render(), (
        "docs/messages.md is out of date with the builders in bot/slack/messages/: "
        "run `python scripts/preview_messages.py` and commit docs/messages.md"
    )


def test_check_mode_agrees(previews: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert previews.main(["--check"]) == 0, capsys.readouterr().out


def test_every_public_builder_is_previewed(previews: ModuleType) -> None:
    builders = previews.builder_functions()
    # Guard the guard: the discovery must see the builders we know of.
    assert "bot.slack.messages.request.request_message" in builders
    assert "bot.slack.messages.home.home_view" in builders
    missing = sorted(set(builders) - previews.exercised_builders())
    assert not missing, (
        "these message builders are never called by scripts/preview_messages.py, so docs/messages.md does not "
        f"show what they send: {', '.join(missing)}. Add a Preview for each to previews() there and regenerate."
    )


def test_block_kit_builder_links_carry_the_built_json(previews: ModuleType) -> None:
    document = previews.render()
    links = re.findall(r"\(https://app\.slack\.com/block-kit-builder/#([^)\s]+)\)", document)
    shown = [preview for part in previews.previews() for preview in part.previews]
    assert len(links) == len(shown)
    for encoded, preview in zip(links, shown, strict=True):
        assert json.loads(unquote(encoded)) == previews.builder_payload(preview), preview.title


def test_rendering_shows_what_a_reader_sees(previews: ModuleType) -> None:
    rendered = previews.readable(
        "<!date^1715677920^{date_short_pretty} {time}|2024-05-14 09:12 UTC> <@U05ALICE01> in <#C05INCIDNT>: "
        "<https://example.com/x|the link> &lt;b&gt; &amp; <!subteam^S05ONCALL1> <!here>"
    )
    assert rendered == "2024-05-14 09:12 UTC @alice in #incidents: the link <b> & @oncall-approvers @here"
    with pytest.raises(ValueError, match="no rendering for a video block"):
        previews.render_block({"type": "video"})


def test_check_names_the_previews_that_differ(previews: ModuleType) -> None:
    document = previews.render()
    edited = document.replace("@dave: 2.3.7 → 2.3.6", "@dave: 2.3.7 → 2.3.5").replace("### Cancelled\n", "")
    assert previews.stale_parts(document, edited) == ["Rejected, with a reason", "Cancelled", "History", "App Home"]
