"""What every benchmark stands on: waiting, bursts of threads, the fakes and a database.

The bot runs in its own `python app.py` processes (bench/botprocess.py), so it has its own GIL; the load
generator (bench/sender.py) and the fakes share this process. Times are `time.monotonic()`, system-wide on Linux,
so they compare across the processes. bench/steps.py holds the steps a person takes in Slack.
"""

from __future__ import annotations

import os
import platform
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text

from bench.wechat_timing import TimedWeChat
from bot.samples import FAKE_RELEASES
from tests.fakes.slack import FakeSlack
from tests.support.databases import POSTGRES_SERVER

T = TypeVar("T")

# ---- waiting


def wait_until(predicate: Callable[[], T | None], timeout: float, what: str, poll: float = 0.02) -> T:
    """Poll until `predicate()` is truthy and return it; a LookupError from it means "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except LookupError:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


def burst(count: int, send: Callable[[int], T]) -> list[T]:
    """Run `send(0..count-1)` in `count` threads released at once by a barrier; re-raise the first failure."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = send(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,), name=f"load-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# ---- the fakes and a database


@dataclass
class Fakes:
    slack: FakeSlack
    wechat: TimedWeChat  # a FakeWeChat that also records when it answered each call


# The fakes are http.server servers, which listen with a backlog of 5: fifty losing clicks answered at once then
# find their connections to the fake Slack reset (and slack_sdk retries them a second or more later), which real
# Slack never does. This process hosts nothing else, so every server in it gets a backlog as deep as a burst.
ThreadingHTTPServer.request_queue_size = 256


@contextmanager
def fakes() -> Iterator[Fakes]:
    """Fake Slack and WeChat on loopback, WeChat with a few releases (so there is something to roll back to)."""
    with FakeSlack() as slack, TimedWeChat() as wechat:
        for version, description, released in FAKE_RELEASES:
            wechat.release(version, description, released)
        yield Fakes(slack, wechat)


@dataclass(frozen=True)
class Database:
    url: str
    label: str  # what the report says, e.g. "PostgreSQL 15.2 at 127.0.0.1:5432"


def postgres_version() -> str | None:
    """The server's version when PostgreSQL answers at the tests' address, else None."""
    engine = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar()).split()[0]
    except Exception:
        return None
    finally:
        engine.dispose()


@contextmanager
def database(prefer_postgres: bool = True) -> Iterator[Database]:
    """A throwaway PostgreSQL database (created and dropped as tests/support/databases.py does) when a server answers,
    else a SQLite file in a temporary directory."""
    version = postgres_version() if prefer_postgres else None
    if version is None:
        with tempfile.TemporaryDirectory(prefix="rollback-bench-") as directory:
            yield Database(f"sqlite:///{Path(directory) / 'rollback.db'}", "SQLite file (shared by the processes)")
        return
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"rollback_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    host = POSTGRES_SERVER.rsplit("@", 1)[-1].rsplit("/", 1)[0]
    try:
        yield Database(POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}", f"PostgreSQL {version} at {host}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def machine_line(db_label: str) -> str:
    model = ""
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        model = f" ({found.group(1).strip()})" if found else ""
    except OSError:
        pass
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs{model}{load}; Python {platform.python_version()} on "
        f"{platform.system()} {platform.release()}; database: {db_label}"
    )
