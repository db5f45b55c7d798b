"""The bot as a separate `python app.py` process in HTTP mode, on the fakes and a benchmark database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.rig import Database, Fakes
from bench.sender import TimedSender
from bot.web import EVENTS_PATH, HEALTH_PATH
from tests.fakes.slack import FakeSlack
from tests.support.harness import bot_env
from tests.support.processes import free_port, start_app


@dataclass
class BotProcess:
    """`python app.py` in HTTP mode, its output drained (a full pipe would stall it) and kept for inspection."""

    env: dict[str, str]
    cwd: Path
    port: int = field(default_factory=free_port)
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.spawned = time.monotonic()
        self.process: subprocess.Popen[str] = start_app({**self.env, "PORT": str(self.port)}, self.cwd)
        self._lock = threading.Lock()
        self._drains = [
            threading.Thread(target=self._drain, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for drain in self._drains:
            drain.start()

    def _drain(self, stream: Any) -> None:
        for line in stream:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 60.0) -> float:
        """Seconds from spawning the process to the first 200 from /healthz (polled every 5 ms)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.url + HEALTH_PATH, timeout=1).status_code == 200:
                    return time.monotonic() - self.spawned
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("the bot exited:\n" + "\n".join(self.output()[-20:]))
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not answer /healthz")
            time.sleep(0.005)

    def sender(self, slack: FakeSlack) -> TimedSender:
        return TimedSender(self.url + EVENTS_PATH, slack)

    def rss_kib(self) -> int:
        """VmRSS from /proc/<pid>/status, in KiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"no VmRSS for process {self.pid}")
        return int(found.group(1))

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far (/proc/<pid>/stat, all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def output(self, start: int = 0) -> list[str]:
        with self._lock:
            return self.lines[start:]

    def mark(self) -> int:
        """A position in the output, for access_ms(since=...)."""
        with self._lock:
            return len(self.lines)

    def access_ms(self, since: int) -> list[float]:
        """Durations of the Slack requests the bot logged since a mark (LOG_FORMAT=json): its own view of the ack."""
        durations = []
        for line in self.output(since):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("path") == EVENTS_PATH and "duration_ms" in entry:
                durations.append(float(entry["duration_ms"]))
        return durations

    def warnings(self, since: int = 0) -> list[str]:
        found = []
        for line in self.output(since):
            try:
                entry = json.loads(line)
            except ValueError:
                found.append(line)  # not the bot's own log line: a traceback, say
                continue
            if isinstance(entry, dict) and entry.get("level") in ("WARNING", "ERROR", "CRITICAL"):
                found.append(f"{entry.get('level')} {entry.get('logger')}: {entry.get('message')}")
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for drain in self._drains:
            drain.join(timeout=5)


def _stop_all(processes: list[BotProcess]) -> None:
    for process in processes:
        process.stop()


def bench_env(found: Fakes, db: Database, **extra: str) -> dict[str, str]:
    """The tests' environment, with JSON logs (the bot's own request durations) and the default sweep interval."""
    return bot_env(found.slack, found.wechat, db.url, LOG_FORMAT="json", EXPIRY_SWEEP_SECONDS="30", **extra)


@contextmanager
def bots(found: Fakes, db: Database, count: int = 1, **extra: str) -> Iterator[list[BotProcess]]:
    """`count` bot processes on one database, healthy, stopped on the way out."""
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rollback-bench-bot-")))
        started: list[BotProcess] = []
        stack.callback(_stop_all, started)
        for _ in range(count):
            started.append(BotProcess(bench_env(found, db, **extra), directory))
        for bot in started:
            bot.wait_healthy()
        yield started
