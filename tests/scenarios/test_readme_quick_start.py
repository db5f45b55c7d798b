"""The README's "Try it in a sandbox", step by step, as a newcomer copies it: `.env.example` copied and edited as
step 3 says, `python app.py --sandbox` over Socket Mode, a rollback approved by a colleague, then the several
mini programs variant with a copy of `rollback.example.toml`, and the command line afterwards, each run in the
directory the bot ran in. Slack is the fake workspace (its Web API and Socket Mode server); nothing else is set
but where that fake Slack is (SLACK_API_URL) and a free port.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.rollback.model import RollbackRequest
from bot.slack.ids import APPROVE, CHOOSE_PROGRAM_PREFIX, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.store.database import make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.usage import help_text
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.support.flow import (
    click,
    message_text,
    open_picker,
    request_rollback,
    version_buttons,
    wait_posted,
    wait_verified,
)
from tests.support.processes import ROOT, free_port
from tests.support.socket_harness import NO_PROXY, SocketSender

SANDBOX_DB = "miniprogram-rollback-sandbox.db"
EXAMPLE_SHOP_APPID = "wx0123456789abcdef"  # rollback.example.toml's [programs.shop]
# Every setting the bot reads: none may leak in from the environment the tests run in.
SETTINGS = set(re.findall(r"^  ([A-Z][A-Z0-9_]+)\b", help_text(), re.M))


class _Requests:
    """What flow.py asks of a bot's workflow, read from the database the bot process writes."""

    def __init__(self, database: Path) -> None:
        self._database = database

    def get(self, request_id: int) -> RollbackRequest | None:
        engine = make_engine(f"sqlite:///{self._database}")
        try:
            return RequestStore(session_factory(engine)).get(request_id)
        finally:
            engine.dispose()


class _BotProcess:
    """`python app.py --sandbox` run in `clone`, as flow.py's steps see a bot: a sender and its requests."""

    def __init__(self, clone: Path, slack: FakeSlack, socket: FakeSocketMode, connection: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--sandbox"],
            env={**_clean_environment(), **NO_PROXY, "SLACK_API_URL": slack.api_url, "PORT": str(free_port())},
            cwd=clone,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.sender = SocketSender(socket, slack)
        self.workflow = _Requests(clone / SANDBOX_DB)
        deadline = time.monotonic() + 30
        while True:  # connected once the fake Socket Mode server has sent this run's connection its hello
            try:
                socket.wait_for_connection(connection, timeout=0.5)
                break
            except AssertionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the bot did not connect: {self.stop()}") from None

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        _, stderr = self.process.communicate(timeout=30)
        return stderr


def _clean_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in SETTINGS and not key.startswith("SLACK_")}


def cli(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`miniprogram-rollback ARGS` in the clone, as typed after the bot stopped."""
    command = [sys.executable, "-m", "bot.cli", *args]
    return subprocess.run(command, cwd=clone, env=_clean_environment(), capture_output=True, text=True, timeout=60)


@pytest.fixture
def socket_server(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode(app_id=slack.APP_ID, ping_interval=0.1) as server:
        slack.socket_mode = server
        yield server


@pytest.fixture
def clone(tmp_path: Path, slack: FakeSlack) -> Path:
    """Steps 1 and 3: `cp .env.example .env`, then the two tokens pasted in; nothing else touched."""
    shutil.copy(ROOT / ".env.example", tmp_path / ".env.example")
    shutil.copy(ROOT / "rollback.example.toml", tmp_path / "rollback.example.toml")
    shutil.copy(tmp_path / ".env.example", tmp_path / ".env")
    env = (tmp_path / ".env").read_text()
    assert "\nSLACK_BOT_TOKEN=xoxb-your-bot-token\n" in env and "\nSLACK_APP_TOKEN=\n" in env
    env = env.replace("\nSLACK_BOT_TOKEN=xoxb-your-bot-token\n", f"\nSLACK_BOT_TOKEN={slack.bot_token}\n")
    env = env.replace("\nSLACK_APP_TOKEN=\n", f"\nSLACK_APP_TOKEN={slack.app_token}\n")
    (tmp_path / ".env").write_text(env)
    return tmp_path


def test_the_readmes_sandbox_the_several_programs_variant_and_the_command_line_afterwards(
    clone: Path, slack: FakeSlack, socket_server: FakeSocketMode
) -> None:
    # Step 4: python app.py --sandbox
    bot = _BotProcess(clone, slack, socket_server, connection=1)
    try:
        # Step 5: the versions, a request, a colleague's Approve, the outcome verified.
        picker = open_picker(bot, slack)  # flow.py's steps need only .sender and .workflow
        assert [b["text"]["text"] for b in version_buttons(picker)] == [
            "Roll back to 2.4.0",
            "Roll back to 2.3.2",
            "Roll back to 2.3.1",
        ]
        request = request_rollback(bot, slack, "2.3.2", user="UALICE")
        click(bot, request, APPROVE, "UBOB")
        done = wait_verified(bot, slack, request.id)
        shown = slack.wait_for(lambda s: "Verified" in message_text(s, done) and message_text(s, done))
        # as step 5 shows it
        assert "Rolled back to 2.3.2 (app_version 415). Verified: WeChat reports 2.3.2 online." in shown, shown
        for word in ("status", "history"):
            assert bot.sender.command(word)[0].json()["text"].startswith("[Sandbox]")
    finally:
        stderr = bot.stop()
    assert bot.process.returncode == 0, stderr
    assert "SANDBOX: a simulated WeChat answers for demo" in stderr
    assert "connecting to Slack in Socket Mode" in stderr and "connected to Slack as @" in stderr
    # "its records go to their own file, miniprogram-rollback-sandbox.db"
    assert (clone / SANDBOX_DB).is_file() and not (clone / "miniprogram-rollback.db").exists()

    # Step 6: the command line reads the same database.
    history = cli(clone, "--sandbox", "history")
    assert history.returncode == 0, history.stderr
    [row] = [line for line in history.stdout.splitlines() if line.startswith(f"{request.id} ")]
    assert "succeeded" in row and "UBOB" in row, history.stdout
    verified = cli(clone, "--sandbox", "audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("audit log intact:"), verified.stderr
    without = cli(clone, "history")
    assert without.returncode == 2 and "add --sandbox" in without.stderr

    # Several mini programs: cp rollback.example.toml rollback.toml; echo ROLLBACK_CONFIG=rollback.toml >> .env.
    # The people, group and channel it names are this fake workspace's own, as the README says to make them.
    shutil.copy(clone / "rollback.example.toml", clone / "rollback.toml")
    with (clone / ".env").open("a") as env:
        env.write("ROLLBACK_CONFIG=rollback.toml\n")
    slack.add_channel("C0123SHOPINC")
    slack.usergroup_members["S0123ONCALL"] = ["U0123LEAD1", "U0123LEAD2", "UBOB"]
    bot = _BotProcess(clone, slack, socket_server, connection=2)
    try:
        # Without a name: a button for each mini program that may be rolled back here (shop is for its channel).
        offered = bot.sender.command("")[0].json()  # the acknowledgement itself
        assert sorted(_program_buttons(offered)) == ["games", "pay"]

        request = _request_in(bot, slack, "shop", "C0123SHOPINC", "2.3.2")
        assert request.appid == EXAMPLE_SHOP_APPID
        click(bot, request, APPROVE, "U0123LEAD1")
        done = wait_verified(bot, slack, request.id)
        assert done.decided_by == "U0123LEAD1"
    finally:
        stderr = bot.stop()
    assert bot.process.returncode == 0, stderr
    assert "SANDBOX: a simulated WeChat answers for shop, games, pay" in stderr

    shop = cli(clone, "--sandbox", "history", "--app", "shop")  # the alias, from ROLLBACK_CONFIG in .env
    assert shop.returncode == 0, shop.stderr
    rows = shop.stdout.splitlines()[1:]
    assert len(rows) == 1 and EXAMPLE_SHOP_APPID in rows[0] and "succeeded" in rows[0]
    assert len(cli(clone, "--sandbox", "history").stdout.splitlines()[1:]) == 2  # both runs, one database


def _program_buttons(message: dict[str, Any]) -> list[str]:
    buttons = [
        element
        for block in message["blocks"]
        for element in [block.get("accessory"), *block.get("elements", [])]
        if isinstance(element, dict) and str(element.get("action_id", "")).startswith(CHOOSE_PROGRAM_PREFIX)
    ]
    return [str(button["action_id"]).removeprefix(CHOOSE_PROGRAM_PREFIX) for button in buttons]


def _request_in(bot: _BotProcess, slack: FakeSlack, alias: str, channel: str, version: str) -> RollbackRequest:
    """`/miniprogram-rollback <alias>` in `channel`, the version picked, a reason given: the request as posted."""
    _, response_url = bot.sender.command(alias, channel=channel)
    picker = slack.wait_for(lambda s: [p.body for p in s.posts_to(response_url) if p.body.get("blocks")])[-1]
    button = next(b for b in version_buttons(picker) if b["text"]["text"] == f"Roll back to {version}")
    opened = len(slack.calls_to("views.open"))
    _, picker_url = bot.sender.block_action(
        button["action_id"], button["value"], user="UALICE", channel=channel, container_ephemeral=True
    )
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened:])[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "checkout broken"}}}
    assert bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], "UALICE").status_code == 200
    return wait_posted(bot, slack, picker_url)
