"""`python app.py` as an operator runs it: a real process, configured from the environment."""

from __future__ import annotations

import socket
from pathlib import Path

import requests

from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy


def test_http_mode_serves_healthz_and_signed_slack_requests(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", PORT=str(port))
    process = start_app(env, tmp_path)
    try:
        assert wait_healthy(process, port).status_code == 200
        assert requests.post(f"http://127.0.0.1:{port}/slack/events", data=b"x=1", timeout=5).status_code == 401
        assert requests.get(f"http://127.0.0.1:{port}/nowhere", timeout=5).status_code == 404
    finally:
        stderr = stop(process)
    assert process.returncode == 0, stderr
    assert wechat.SECRET not in stderr and slack.BOT_TOKEN not in stderr


def test_missing_setting_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    process = start_app({"SLACK_BOT_TOKEN": "xoxb-1-2-3", "SLACK_SIGNING_SECRET": "s3cret-value"}, tmp_path)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.strip().splitlines() == [
        "miniprogram-rollback: configuration error: WECHAT_APPID is not set: the mini program's AppID (wx...), "
        "or ROLLBACK_CONFIG for a configuration file"
    ]


def test_a_mistake_in_the_configuration_file_stops_start_up_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "rollback.toml"
    config.write_text('[programs.shop]\nappid = "wx7b921c88a50ba98c"\nappsecret = "in-the-file-0123"\n')
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2-3", "SLACK_SIGNING_SECRET": "s3cret-value", "ROLLBACK_CONFIG": str(config)}
    process = start_app(env, tmp_path)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.strip().splitlines() == [
        f"miniprogram-rollback: configuration error: {config}: programs.shop.appsecret: secrets are not read from "
        "this file; put it in an environment variable and name that variable with appsecret_env"
    ]


def test_unreachable_slack_stops_start_up_without_a_traceback(wechat: FakeWeChat, tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-3",
        "SLACK_SIGNING_SECRET": "s3cret-value",
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        "WECHAT_APPID": wechat.APPID,
        "WECHAT_APPSECRET": wechat.SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    process = start_app(env, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "could not start" in stderr and "Traceback" not in stderr
    assert "xoxb-1-2-3" not in stderr and wechat.SECRET not in stderr


def test_a_taken_port_stops_start_up_with_one_line(slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**bot_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}"), "PORT": str(port)}
        process = start_app(env, tmp_path)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1 and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"miniprogram-rollback: could not start: port {port}: Address already in use (see PORT)"
    )
