"""The bot as separate `python app.py` processes, the way operators and replicas run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_app(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "WECHAT_"))}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), *args],
        env={**clean, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_healthy(process: subprocess.Popen[str], port: int, timeout: float = 20.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except requests.ConnectionError:
            if process.poll() is not None:
                raise AssertionError(f"the bot exited: {process.communicate()[1]}") from None
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not start listening") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, as a container runtime stops it; returns what it wrote to stderr."""
    process.terminate()
    _, stderr = process.communicate(timeout=20)
    return stderr
