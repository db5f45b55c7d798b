"""Helpers the tests share: a TCP proxy (tcp_proxy), and running a call in the background."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def in_background(call: Callable[[], T]) -> Future[T]:
    """Run `call` in a daemon thread: a test waits for its future with a bound, and a call that never returns
    cannot keep the test run from ending."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, name="test-background", daemon=True).start()
    return future
