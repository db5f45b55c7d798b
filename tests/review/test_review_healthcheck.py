"""Review of #16: the Docker image's HEALTHCHECK (`python -m bot.healthcheck`) where a proxy is configured.

The README tells operators behind a proxy to set HTTPS_PROXY; many set HTTP_PROXY (or http_proxy) with it, for the
whole container. urllib sends http://127.0.0.1:$PORT/healthz through that proxy unless NO_PROXY names 127.0.0.1,
so a healthy bot is reported unhealthy and the orchestrator restarts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import bot_env
from tests.support.processes import ROOT, free_port, start_app, stop, wait_healthy


def test_the_healthcheck_reaches_the_bot_on_loopback_whatever_proxy_the_container_has(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    port = free_port()
    process = start_app(bot_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", PORT=str(port)), tmp_path)
    try:
        assert wait_healthy(process, port).status_code == 200
        clean = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "http_proxy", "https_proxy")}
        proxy = f"http://127.0.0.1:{free_port()}"  # nothing listens there: a proxy this host cannot use
        base = {**clean, "PORT": str(port), "PYTHONPATH": str(ROOT)}
        plain = subprocess.run([sys.executable, "-m", "bot.healthcheck"], env=base, capture_output=True, text=True)
        assert plain.returncode == 0, plain.stderr  # the bot is healthy
        behind = subprocess.run(
            [sys.executable, "-m", "bot.healthcheck"],
            env={**base, "HTTP_PROXY": proxy, "http_proxy": proxy, "HTTPS_PROXY": proxy},
            capture_output=True,
            text=True,
        )
    finally:
        stop(process)
    assert behind.returncode == 0, behind.stderr
