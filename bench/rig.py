"""What every benchmark stands on: the fakes, a database, the bot as a separate `python app.py` process, and
signed Slack requests whose HTTP response time is recorded.

The load generator and the fakes share this process; the bot runs in its own, so it has its own GIL.
Times are `time.monotonic()`, system-wide on Linux, so they compare across the processes.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, text

from bot.slack.ids import APPROVE, PICK_VERSION, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.web import EVENTS_PATH, HEALTH_PATH
from tests.databases import POSTGRES_SERVER
from tests.fakes.slack import ApiCall, FakeSlack, ResponseUrlPost
from tests.fakes.wechat import REVERT, FakeWeChat
from tests.harness import SIGNING_SECRET, bot_env
from tests.processes import free_port, start_app
from tests.slack_requests import SlackSender

T = TypeVar("T")

CHANNEL = "CINCIDENT"
REQUESTER = "UALICE"


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
    wechat: FakeWeChat


@contextmanager
def fakes() -> Iterator[Fakes]:
    """Fake Slack and WeChat on loopback, WeChat with a few releases (so there is something to roll back to)."""
    with FakeSlack() as slack, FakeWeChat() as wechat:
        wechat.release("1.0.0", "first release", 1_690_000_000)
        wechat.release("1.1.0", "stable build", 1_700_000_000)
        wechat.release("1.2.0", "new checkout", 1_710_000_000)
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
    """A throwaway PostgreSQL database (created and dropped as tests/databases.py does) when a server answers,
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


# ---- timed requests


@dataclass(frozen=True)
class Timing:
    started: float  # time.monotonic() just before the request was sent
    seconds: float  # until its HTTP response arrived: for Slack, that is the ack
    status: int


@dataclass(frozen=True)
class Prepared:
    body: bytes  # form-encoded, as Slack sends it
    response_url: str  # where the bot's ephemeral answers to this request go


class TimedSender(SlackSender):
    """SlackSender that records, per thread, how long each HTTP request took to be answered (a new connection
    each time, as SlackSender makes)."""

    def __init__(self, events_url: str, fake: FakeSlack) -> None:
        super().__init__(events_url, SIGNING_SECRET, fake)
        self._local = threading.local()

    def post(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        captured = getattr(self._local, "capture", None)
        if captured is not None:
            captured.append(body)
            unsent = requests.Response()
            unsent.status_code = 200
            return unsent
        # Signed and labelled exactly as SlackSender.post does, but sent with http.client: with 50 threads on a
        # small machine, requests' own CPU cost (about half the floor) would be counted as the bot's.
        headers = self.headers(body, content_type, timestamp=timestamp, signature=signature)
        url = urlsplit(self.events_url)
        started = time.monotonic()
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
        try:
            connection.request("POST", url.path, body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
        finally:
            connection.close()
        self._local.last = Timing(started, time.monotonic() - started, answer.status)
        response = requests.Response()
        response.status_code, response._content = answer.status, content
        return response

    def prepare(self, make: Callable[[], tuple[Any, str]]) -> Prepared:
        """Build a request with one of SlackSender's methods without sending it, so that a burst sends only
        ready bodies (signed as they go out) and the load generator's own work does not spread the burst."""
        captured: list[bytes] = []
        self._local.capture = captured
        try:
            _, response_url = make()
        finally:
            del self._local.capture
        if len(captured) != 1:
            raise RuntimeError(f"expected one request, built {len(captured)}")
        return Prepared(captured[0], response_url)

    def send(self, prepared: Prepared) -> Timing:
        self.post(prepared.body)
        return self.last

    @property
    def last(self) -> Timing:
        """The timing of this thread's latest request."""
        timing: Timing = self._local.last
        return timing


# ---- the bot as a process


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


# ---- steps a person takes in Slack, against a bot in another process


def pickers_answered(slack: FakeSlack, response_urls: list[str]) -> bool:
    """Every command's version list (its replace_original post with blocks) has arrived."""
    answered = {post.key for post in slack.response_posts if post.body.get("blocks")}
    return all(url.rsplit("/", 1)[-1] in answered for url in response_urls)


def open_picker(sender: TimedSender, slack: FakeSlack, user: str = REQUESTER, timeout: float = 30) -> dict[str, Any]:
    response, response_url = sender.command("", user=user, channel=CHANNEL)
    if response.status_code != 200:
        raise RuntimeError(f"the command was answered {response.status_code}")
    posts: list[ResponseUrlPost] = wait_until(
        lambda: [post for post in slack.posts_to(response_url) if post.body.get("blocks")], timeout, "the picker"
    )
    return posts[-1].body


def version_buttons(picker: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        block["accessory"]
        for block in picker.get("blocks", [])
        if isinstance(block.get("accessory"), dict) and PICK_VERSION.match(str(block["accessory"].get("action_id")))
    ]


@dataclass(frozen=True)
class OpenRequest:
    id: int
    channel: str
    message_ts: str


def open_request(sender: TimedSender, slack: FakeSlack, user: str = REQUESTER, timeout: float = 30) -> OpenRequest:
    """Command, the newest version's button, the reason: returns the request once its message is posted."""
    buttons = version_buttons(open_picker(sender, slack, user, timeout))
    if not buttons:
        raise RuntimeError("the picker offered no version to roll back to")
    opened_before = len(slack.calls_to("views.open"))
    response, picker_url = sender.block_action(
        buttons[0]["action_id"], buttons[0]["value"], user=user, channel=CHANNEL, container_ephemeral=True
    )
    if response.status_code != 200:
        raise RuntimeError(f"the version button was answered {response.status_code}")
    view = wait_until(lambda: slack.calls_to("views.open")[opened_before:], timeout, "the reason modal")[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "benchmark"}}}
    if sender.view_submission(REASON_VIEW, values, view["private_metadata"], user).status_code != 200:
        raise RuntimeError("the reason was refused")

    def posted_id() -> int | None:
        for post in slack.posts_to(picker_url):
            found = re.search(r"Request #(\d+) posted", str(post.body.get("text", "")))
            if found:
                return int(found.group(1))
        return None

    request_id = wait_until(posted_id, timeout, "the request to be posted")
    return OpenRequest(request_id, CHANNEL, request_message_ts(slack, request_id))


def request_message_ts(slack: FakeSlack, request_id: int) -> str:
    """The ts of the channel message carrying this request's Approve button."""
    for call in reversed(slack.calls_to("chat.postMessage")):
        for block in call.args.get("blocks") or []:
            elements = block.get("elements") if isinstance(block, dict) and block.get("type") == "actions" else None
            for element in elements or []:
                if element.get("action_id") == APPROVE and element.get("value") == str(request_id):
                    return str(call.response["ts"])
    raise LookupError(f"no message carries request #{request_id}")


def direct_rollback_seconds(wechat: FakeWeChat) -> float:
    """One rollback call straight to the fake (a fresh release makes it possible), timed: the baseline."""
    wechat.release(f"9.{time.monotonic_ns()}", "baseline release")
    target = wechat.history[0].app_version
    token = wechat.issue_token()
    started = time.monotonic()
    params = {"access_token": token, "app_version": str(target)}
    answer = requests.get(wechat.base_url + REVERT, params=params, timeout=60).json()
    took = time.monotonic() - started
    if answer.get("errcode") != 0:
        raise RuntimeError(f"the direct rollback was refused: {answer}")
    return took


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


FINAL_HEADLINES = ("Rolled back", "Rollback failed", "Rollback outcome unknown")


def final_update(slack: FakeSlack, request: OpenRequest, after: float) -> ApiCall | None:
    """The chat.update that shows a rollback's outcome on the request message, if it has arrived."""
    for call in slack.calls_to("chat.update"):
        text = str(call.args.get("text") or "")
        if call.args.get("ts") == request.message_ts and call.at >= after and any(h in text for h in FINAL_HEADLINES):
            return call
    return None
