"""The sending half of the load generator, in a process of its own.

A burst's requests are timed in a process that does nothing else: the fakes, which the bot calls while a burst is
answered (a losing click's notice, a command's WeChat reads), run in the benchmark's process, and under one GIL
their work would be counted in the acks. This module imports nothing heavy: the process is spawned afresh.
"""

from __future__ import annotations

import atexit
import http.client
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

Request = tuple[bytes, dict[str, str]]  # a body and its headers, signed beforehand


@dataclass(frozen=True)
class Timing:
    started: float  # time.monotonic() just before the request was sent (system-wide on Linux)
    seconds: float  # until its HTTP response arrived: for Slack, that is the ack
    status: int


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[Timing, bytes]:
    """One POST over a new connection (as Slack makes them), timed."""
    parts = urlsplit(url)
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        answer = connection.getresponse()
        content = answer.read()
    finally:
        connection.close()
    return Timing(started, time.monotonic() - started, answer.status), content


def send_together(url: str, requests: list[Request]) -> list[Timing]:
    """Every request from a thread of its own, released at once by a barrier."""
    barrier = threading.Barrier(len(requests))
    timings: list[Timing | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            timings[index] = post(url, *requests[index])[0]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,), name=f"load-{n}") for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [timing for timing in timings if timing is not None]


class LoadGenerator:
    """A spawned process that sends bursts (started on first use, stopped with close())."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def burst(self, url: str, requests: list[Request]) -> list[Timing]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool.submit(send_together, url, requests).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_SHARED = LoadGenerator()
atexit.register(_SHARED.close)


def load_generator() -> LoadGenerator:
    """The one load generator of this benchmark process."""
    return _SHARED
