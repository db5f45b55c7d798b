"""The benchmark script's smallest pieces, with tiny counts and latencies: figures come out and the counts are
right. No timing is asserted; `python -m bench` is where the numbers are taken."""

from __future__ import annotations

import math
from pathlib import Path

from bench import ack, overhead, startup, tokens
from bench.report import render
from bench.rig import Database


def sqlite(tmp_path: Path, name: str) -> Database:
    return Database(f"sqlite:///{tmp_path / name}.db", "SQLite")


def test_bench_pieces_produce_figures_and_right_counts(tmp_path: Path) -> None:
    runs = ack.measure(sqlite(tmp_path, "ack"), rounds=1, clients=50, latency=0.02, kinds=("command", "approve"))
    command, approve = runs
    assert (command.kind, approve.kind) == ("slash command", "Approve click")
    assert len(command.client_s) == len(approve.client_s) == 50
    assert approve.statuses == {200: 50}
    assert (approve.rollbacks, approve.refused) == ([1], [49])  # one of 50 Approve clicks rolls back
    assert len(approve.server_ms) == 50 and not math.isnan(approve.client.p99)

    settings = overhead.measure(sqlite(tmp_path, "overhead"), rounds=1, latency=0.05)
    assert [len(setting.rounds) for setting in settings] == [1, 1]
    for setting in settings:
        (round_,) = setting.rounds
        assert "Rolled back" in round_.outcome
        assert 0 < round_.to_wechat < round_.to_update and round_.direct >= 0.05

    fetched = tokens.measure(sqlite(tmp_path, "tokens"), requests=4)
    assert (fetched.first.fetches, fetched.after_expiry.fetches) == (1, 1)
    assert fetched.first.replicas_used == 2 and fetched.recorded_fetches == 2 and fetched.valid_tokens == 1

    started = startup.measure(sqlite(tmp_path, "startup"), runs=1)
    assert len(started.seconds) == len(started.rss_kib) == 1 and started.rss_kib[0] > 0

    table = render(
        [
            ack.section(runs, rounds=1, clients=50, latency=0.02),
            overhead.section(settings, rounds=1, latency=0.05),
            tokens.section(fetched),
            startup.section(started),
        ],
        "test machine",
        "python -m bench",
    )
    for figure in ("Approve click: outcome per round", "ratio (outcome shown / direct)", "token fetches", "VmRSS"):
        assert figure in table
