"""Start-up time to the first 200 from /healthz, and resident memory at idle.

Each run spawns `python app.py` (HTTP mode), polls /healthz every 5 ms from the moment of spawning, then sends
a few slash commands, waits for their answers and a moment of quiet, and reads VmRSS from /proc/<pid>/status.
All runs use one database: the first creates the schema (runs the migrations), the others find it in place,
as a restarted or added replica does.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.botprocess import BotProcess, bench_env
from bench.report import Figure, Section
from bench.rig import Database, Fakes, fakes, wait_until
from bench.stats import median
from bench.steps import CHANNEL, pickers_answered

REQUESTS_BEFORE_RSS = 5


@dataclass(frozen=True)
class StartupResult:
    seconds: list[float]  # spawn -> first 200 from /healthz, per run; the first on an empty database
    rss_kib: list[int]  # VmRSS after start-up and a few requests, per run


def measure(db: Database, *, runs: int) -> StartupResult:
    seconds: list[float] = []
    rss: list[int] = []
    with fakes() as found, tempfile.TemporaryDirectory(prefix="rollback-bench-start-") as directory:
        for _ in range(runs):
            took, resident = _start_once(found, db, Path(directory))
            seconds.append(took)
            rss.append(resident)
    return StartupResult(seconds, rss)


def _start_once(found: Fakes, db: Database, directory: Path) -> tuple[float, int]:
    bot = BotProcess(bench_env(found, db), directory)
    try:
        took = bot.wait_healthy()
        sender = bot.sender(found.slack)
        urls = [sender.command("", user=f"USTART{n}", channel=CHANNEL)[1] for n in range(REQUESTS_BEFORE_RSS)]
        wait_until(lambda: pickers_answered(found.slack, urls), 60, "the pickers")
        time.sleep(1.0)  # idle: the answers are sent, nothing else to do
        return took, bot.rss_kib()
    finally:
        bot.stop()


def section(result: StartupResult) -> Section:
    restarts = result.seconds[1:] or result.seconds
    return Section(
        "Start-up and memory",
        [
            Figure(
                "start-up: spawn -> first 200 on /healthz",
                f"median {median(restarts) * 1000:.0f} ms over {len(restarts)} restart(s); "
                f"first start (empty database) {result.seconds[0] * 1000:.0f} ms",
            ),
            Figure(
                "resident memory at idle (VmRSS)",
                f"median {median(result.rss_kib) / 1024:.1f} MiB over {len(result.rss_kib)} run(s) "
                f"(min {min(result.rss_kib) / 1024:.1f}, max {max(result.rss_kib) / 1024:.1f})",
            ),
        ],
        [
            f"{len(result.seconds)} runs of `python app.py` on one database; time.monotonic() from just before "
            "spawning to the first 200 (polled every 5 ms); the bot checks the Slack token (auth.test) and the "
            "schema before it listens",
            f"VmRSS from /proc/<pid>/status after {REQUESTS_BEFORE_RSS} slash commands were answered and 1 s idle",
        ],
    )
