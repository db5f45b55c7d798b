"""The benchmark script runs end to end in --quick mode (SQLite, WeChat answering after 50 ms instead of 2.5 s)
and prints every figure; the figures that are counts come out right. No timing is asserted: `python -m bench` is
where the numbers are taken, and a timed figure may be met or missed on a busy machine."""

from __future__ import annotations

from pathlib import Path

from bench.__main__ import main

TIMED = (
    "badly signed command (floor): refusal, sender's view",
    "slash command: ack, sender's view",
    "version-button click: ack, sender's view",
    "one WeChat round trip (a direct rollback call)",
    "Approve -> the rollback reaches WeChat",
    "Approve -> 'WeChat accepted' shown in Slack",
    "Approve -> verified shown in Slack",
    "bot's own time, Approve -> verified shown",
    "WeChat calls of the last approval",
    "last loser's notice -> the rollback reaches WeChat",
    "Approve click: ack, sender's view",
    "Approve ack p99 / floor p99",
    "start-up: spawn -> first 200 on /healthz",
    "resident memory at idle (VmRSS)",
)
COUNTED = (  # figures whose target is a count: met whatever the machine's speed
    "rollbacks per round",
    "WeChat reads per round",
    "losers told 'already approved', per round",
    "token fetches, first lifetime",
    "token fetches after the token expired",
    "fetches the bot recorded / tokens valid at the end",
)


def test_quick_bench_prints_every_figure(tmp_path: Path) -> None:
    printed: list[str] = []
    table_md = tmp_path / "figures.md"
    argv = ["--quick", "--sqlite", "--latency", "0.05", "--markdown", str(table_md)]
    assert main(argv, log=printed.append) == 0
    (table,) = printed
    lines = table.splitlines()
    for figure in TIMED + COUNTED:
        assert [line for line in lines if line.startswith(figure)], f"{figure!r} not printed"
    for figure in COUNTED:
        (line,) = [line for line in lines if line.startswith(figure)]
        assert line.endswith("  met"), line
    markdown = table_md.read_text()
    assert markdown.startswith("| figure | result | target |")
    assert all(f"| {figure}" in markdown for figure in TIMED + COUNTED)
