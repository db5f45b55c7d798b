"""The printed table: one row per figure, with its target and whether this run met it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    how: list[str] = field(default_factory=list)  # how it was measured, one line each
    seen: list[str] = field(default_factory=list)  # what the bot logged meanwhile that bears on the figures


def render(sections: Sequence[Section], machine: str, command: str) -> str:
    rows = [(f.name, f.value, f.target, f.verdict) for s in sections for f in s.figures]
    headers = ("figure", "result", "target", "")
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(4)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    out = [f"miniprogram-rollback benchmark: {command}", f"machine: {machine}", ""]
    for section in sections:
        out.append(f"== {section.title}")
        out.append(line(headers))
        out.append(line(["-" * width for width in widths]))
        out.extend(line((f.name, f.value, f.target, f.verdict)) for f in section.figures)
        out.extend(f"   how: {how}" for how in section.how)
        out.extend(f"   bot logged: {seen}" for seen in section.seen)
        out.append("")
    return "\n".join(out)


def markdown(sections: Sequence[Section]) -> str:
    """The same figures as a Markdown table (for the README): a row per section's title, then figure | result |
    target, the verdict after the target."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = ["| figure | result | target |", "|---|---|---|"]
    for section in sections:
        out.append(f"| **{cell(section.title)}** | | |")
        for f in section.figures:
            target = f"{f.target}: {f.verdict}" if f.target and f.verdict else f.target or f.verdict
            out.append(f"| {cell(f.name)} | {cell(f.value)} | {cell(target)} |")
    return "\n".join(out) + "\n"
