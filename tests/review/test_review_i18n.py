"""Review of issue 17's Chinese/English half: each test here failed on the commit reviewed (67a2260).

The bot runs as a real process (`python app.py`) against the fake Slack and WeChat; the CLI as a real process."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Message

from bot.i18n import speaking
from bot.rollback.model import Event, EventKind, Known, NewRequest, RollbackRequest, State, Target
from bot.rollback.outcome import judge_accepted
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.samples import sample_request
from bot.sandbox.wechat import SimulatedWeChat
from bot.slack.ids import APPROVE, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.slack.messages.notices import database_notice
from bot.store.database import make_engine, session_factory
from bot.store.migrate import upgrade
from bot.store.request_store import RequestStore
from bot.store.watch_store import WatchStore
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.records import ApiCall
from tests.fakes.wechat import FakeWeChat, Fault
from tests.support.flow import (
    Replica,
    click,
    has_buttons,
    message_text,
    open_picker,
    request_rollback,
    version_buttons,
    wait_posted,
    wait_state,
)
from tests.support.harness import SIGNING_SECRET, bot_env
from tests.support.processes import ROOT, free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender
from tests.test_translations import placeholder_problems

WATCH = "CWATCH"
# Two or more English words in a row: what a Chinese reader must not be handed (code spans, mentions, emoji
# codes and version names are taken out first).
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b")


def english_in(text: str) -> list[str]:
    cleaned = re.sub(r"`[^`]*`|<[^>]*>|:[a-z_]+:|app_version|access_token|errcode|errmsg", " ", text)
    return ENGLISH_RUN.findall(cleaned)


@pytest.fixture
def zh_bot(slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []
    engine = make_engine(sqlite_url)

    def start(**settings: str) -> tuple[Replica, WatchStore]:
        port = free_port()
        env = bot_env(slack, wechat, sqlite_url, PORT=str(port), BOT_LANGUAGE="zh", **settings)
        process = start_app(env, tmp_path)
        started.append(process)
        assert wait_healthy(process, port).status_code == 200
        record = RollbackWorkflow(
            wechat.APPID, RequestStore(session_factory(engine)), SimulatedWeChat(), ApprovalPolicy(), timedelta(1), _now
        )
        sender = SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack)
        return Replica(sender, record), WatchStore(session_factory(engine))

    yield start
    errors = [stop(process) for process in started]
    engine.dispose()
    for process, error in zip(started, errors, strict=True):
        assert process.returncode == 0, error


def test_a_console_release_notice_reads_in_chinese(zh_bot: Any, slack: FakeSlack, wechat: FakeWeChat) -> None:
    """BOT_LANGUAGE=zh: the version watch's notice of a release made in the console, and the status answer's
    "last change seen", are Chinese templates around the workflow's English sentence ("released 1.3.0 (online
    before: 1.2.0)", bot/rollback/watch.py describe()): the workflow hands Slack words, not facts."""
    _bot, watched = zh_bot(VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH)
    slack.wait_for(lambda _: _checked(watched, wechat.APPID), 30)
    wechat.release("1.3.0", "hotfix from the console")
    [post] = slack.wait_for(_notices, 30)
    text = (
        str(post.args["text"])
        + "\n"
        + "\n".join(str(block["text"]["text"]) for block in post.args["blocks"] if "text" in block)
    )
    assert "外部" in text or "机器人之外" in text or "变更" in text, text  # the template is Chinese...
    assert english_in(text) == [], text  # ...and so is what changed


def test_a_request_the_watch_withdrew_reads_in_chinese_and_names_no_approver(
    zh_bot: Any, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """A pending request the version watch withdrew (nobody clicked anything): its thread says the bot "tried to
    approve" it (timeline.py, EventKind.STALE always reads "when {who} tried to approve"), in both languages; in
    Chinese with a stray space as well ("机器人 审批时"), the template spacing meant for a mention."""
    bot, watched = zh_bot(VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH)
    slack.wait_for(lambda _: _checked(watched, wechat.APPID), 30)
    pending = request_rollback(bot, slack, "1.1.0")
    first = _checked(watched, wechat.APPID)
    assert first is not None
    slack.wait_for(lambda _: (_checked(watched, wechat.APPID) or first) > first, 30)  # a reading after the request
    wechat.release("1.3.0")
    withdrawn = slack.wait_for(lambda _: _cancelled(bot, pending.id), 30)
    assert withdrawn.message_ts is not None
    ts = str(withdrawn.message_ts)
    thread = slack.wait_for(lambda s: [t for t in _thread(s, ts) if ":hourglass:" in t])
    # Nobody tried to approve it: the version watch withdrew it.
    # Yet: "机器人 审批时发现申请已过时..." (the bot, when approving, found it stale).
    assert all("审批时" not in line and "tried to approve" not in line for line in thread), thread


def test_a_rollback_a_phased_release_blocked_says_why_in_chinese(
    zh_bot: Any, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """A phased release started after the request: the bot does not send, and says why in English ("A phased
    (gray) release is in progress, and WeChat refuses a rollback while it runs" + what to do). In Chinese the cause
    is dropped: judge_blocked_by_gray_release records no errcode, so outcome_words falls to the generic "was not
    sent. Nothing was changed" (a fact the workflow did not hand over: the sentence was the only carrier)."""
    bot, _watched = zh_bot()
    request = request_rollback(bot, slack, "1.1.0")
    wechat.set_gray_release(1)
    click(bot, request, APPROVE, "UBOB")
    done = wait_state(bot, slack, request.id, State.FAILED)
    text = slack.wait_for(lambda s: "*结果*" in (shown := message_text(s, done)) and not has_buttons(s, done) and shown)
    assert wechat.rollback_calls() == []
    assert "灰度" in text.split("*结果*", 1)[-1], text  # the outcome names the phased release that blocked it


def test_a_stop_of_a_plan_without_create_timestamp_reads_in_chinese(
    zh_bot: Any, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """WeChat may answer getgrayreleaseplan without create_timestamp (the bot stops such plans since #14). Then
    plan_summary (bot/slack/messages/kinds.py) shows the English record to a Chinese reader: "running at 5%,
    started ?" in the request message and its thread. (With a timestamp, the Chinese reader instead loses the
    state and percentage the English one sees: "the plan started {when}" only.)"""
    bot, _watched = zh_bot()
    wechat.start_phased_release("1.3.0", 5, created=0)  # answered without create_timestamp
    [stop] = version_buttons(open_picker(bot, slack))
    opened_before = len(slack.calls_to("views.open"))
    _, picker_url = bot.sender.block_action(stop["action_id"], stop["value"], "UALICE", container_ephemeral=True)
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "测试版购物车崩溃"}}}
    assert bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], "UALICE").status_code == 200
    request = wait_posted(bot, slack, picker_url)
    shown = message_text(slack, request)
    assert english_in(shown.replace("stable build", "")) == [], shown


def test_help_follows_the_only_programs_language(
    slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path
) -> None:
    """One mini program, `language = "zh"` in the configuration file, BOT_LANGUAGE left at English: its picker,
    request and status read in Chinese, but `/rollback help` and an unknown subcommand answer in English
    (rollback_command acks them before answer_for(): the program is only looked at after)."""
    config = tmp_path / "rollback.toml"
    config.write_text(
        f'[programs.shop]\nappid = "{wechat.APPID}"\nappsecret_env = "SHOP_SECRET"\nlanguage = "zh"\n', "utf-8"
    )
    port = free_port()
    env = bot_env(slack, wechat, sqlite_url, PORT=str(port), ROLLBACK_CONFIG=str(config), SHOP_SECRET=wechat.SECRET)
    del env["WECHAT_APPID"], env["WECHAT_APPSECRET"], env["VERSION_WATCH_SECONDS"], env["WECHAT_API_FALLBACK"]
    process = start_app(env, tmp_path)
    try:
        assert wait_healthy(process, port).status_code == 200
        sender = SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack)
        held = sender.command("status")[0].json()["text"]
        assert english_in(held) == [], held  # the program's language: Chinese
        help_text = sender.command("help")[0].json()["text"]
        unknown = sender.command("frobnicate")[0].json()["text"]
    finally:
        error = stop(process)
    assert process.returncode == 0, error
    assert "列出微信允许小程序回滚到的版本" in help_text, help_text
    assert english_in(unknown.replace("frobnicate", "")) == [], unknown


def test_wechat_unreachable_is_explained_in_chinese(zh_bot: Any, slack: FakeSlack, wechat: FakeWeChat) -> None:
    """WeChat answering HTTP 502 to the version list: the Chinese template carries the WeChat client's English
    reason (the words "WeChat answered HTTP 502" inside the Chinese sentence): bot/wechat/http.py and client.py raise
    WeChatUnavailable with sentences, not facts (docs/messages.md shows it too: "could not connect to WeChat
    within 5 s", "WeChat's version list was unreadable")."""
    bot, _watched = zh_bot()
    for _ in range(3):  # a read is tried up to three times
        wechat.fail_next("/wxa/revertcoderelease#list", Fault(status=502))
    _, response_url = bot.sender.command("")
    problem = slack.wait_for(
        lambda s: [str(p.body.get("text", "")) for p in s.posts_to(response_url) if "502" in str(p.body.get("text"))]
    )[0]
    assert english_in(problem) == [], problem


def test_a_sent_but_unrecorded_rollback_is_told_in_chinese() -> None:
    """The database stopped answering after the rollback went out: the clicker is told WeChat's answer, which the
    workflow hands over as its English outcome sentence (Decision.wechat_answer = Outcome.words), so the Chinese
    notice reads "...Rolled back to *1.1.0* (app_version 101) (WeChat accepted). Reading the online version back to
    verify..." after its Chinese opening (docs/messages.md, "The database stopped answering", shows exactly this)."""
    sending = sample_request(state=State.SENDING)
    answer = judge_accepted(sending)  # what bot/rollback hands the notice: the request and WeChat's answer judged
    with speaking("zh"):
        notice = database_notice(Known.SENT_UNRECORDED, sending, answer)
    assert "微信" in notice and "1.1.0" in notice, notice  # WeChat's answer is told...
    assert english_in(notice) == [], notice  # ...in Chinese


def test_the_cli_speaks_chinese_for_a_missing_alias(tmp_path: Path) -> None:
    """BOT_LANGUAGE=zh (from ./.env, as the bot reads it): `history --app` with a name the configuration file
    does not know answers an English sentence (bot/cli.py _appid: an f-string, not `_()`)."""
    config = tmp_path / "rollback.toml"
    config.write_text('[programs.shop]\nappid = "wx0a0000000000000a"\nappsecret_env = "SHOP_APPSECRET"\n', "utf-8")
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    (tmp_path / ".env").write_text(f"BOT_LANGUAGE=zh\nROLLBACK_CONFIG={config}\nDATABASE_URL={url}\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "history", "--app", "nothere"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "配置" in done.stderr, done.stderr  # the CLI did read BOT_LANGUAGE=zh
    assert english_in(done.stderr.split(":", 1)[-1]) == [], done.stderr


def test_the_cli_counts_one_in_the_singular(tmp_path: Path) -> None:
    """English CLI, one request with one event: "audit log intact: 1 entries, 1 requests match their events" and
    "exported 1 events to ...": counted sentences built with `_()` where ngettext is needed (bot/cli.py)."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    at = datetime(2026, 5, 14, 9, 12, tzinfo=UTC)
    new = NewRequest("wx0a0000000000000a", "C1", "UALICE", "x", "1.2.0", Target(101, "1.1.0", "stable", 1), at, at)
    RequestStore(session_factory(engine)).create(new, Event(EventKind.REQUESTED, "UALICE", at, detail="x"))
    engine.dispose()
    env = {**_clean_env(), "DATABASE_URL": url}
    out = tmp_path / "audit.json"
    verify, export = (
        subprocess.run(
            [sys.executable, "-m", "bot.cli", *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        for argv in (["audit", "verify"], ["audit", "export", "--format", "json", "-o", str(out)])
    )
    assert verify.returncode == 0 and export.returncode == 0, verify.stderr + export.stderr
    said = verify.stdout + export.stdout
    assert "1 entries" not in said and "1 requests" not in said and "1 events" not in said, said


def test_the_cli_help_reads_in_chinese(tmp_path: Path) -> None:
    """BOT_LANGUAGE=zh: `--help` (and argparse's usage errors) stay English: the parser's help texts are not marked
    for translation and are built before the language is read (bot/cli.py main, build_parser)."""
    env = {**_clean_env(), "BOT_LANGUAGE": "zh"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "Audit log, history and status" not in done.stdout, done.stdout
    assert "export or verify the tamper-evident audit log" not in done.stdout
    assert "用法" in done.stdout and "显示本帮助信息并退出" in done.stdout, done.stdout  # argparse's own words too
    assert english_in(_without_names(done.stdout)) == [], done.stdout


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["frobnicate"], "无效的选项"),  # an unknown command
        (["audit", "export"], "缺少以下必需参数"),  # a required option left out
        (["history", "--limit", "0"], "不小于 1 的整数"),  # a value our own check refuses
        (["history", "--app"], "需要一个值"),  # an option without its value
    ],
)
def test_cli_usage_errors_read_in_chinese(tmp_path: Path, argv: list[str], said: str) -> None:
    """BOT_LANGUAGE=zh from ./.env, as the bot reads it: argparse's usage line and error, and the value checks'
    own words, in Chinese; exit code 2 as before."""
    (tmp_path / ".env").write_text("BOT_LANGUAGE=zh\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("用法"), done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert said in error and "错误" in error, error
    assert english_in(_without_names(error)) == [], error


def test_a_bad_bot_language_leaves_the_cli_in_english(tmp_path: Path) -> None:
    """BOT_LANGUAGE is what is wrong: `--help` still answers (in English), and a command says what to fix."""
    env = {**_clean_env(), "BOT_LANGUAGE": "fr"}
    helped, refused = (
        subprocess.run(
            [sys.executable, "-m", "bot.cli", *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        for argv in (["--help"], ["history"])
    )
    assert helped.returncode == 0 and "show this help message and exit" in helped.stdout, helped.stdout
    assert refused.returncode == 2
    assert "configuration error: BOT_LANGUAGE is malformed: expected one of en, zh, got 'fr'" in refused.stderr


def _without_names(text: str) -> str:
    """What the person types stays as it is: the program's name, commands, options, their metavars and choices."""
    text = re.sub(r"miniprogram-rollback|\{[^}]*\}|'[^']*'|--?[a-z][a-z-]*|\b[A-Z][A-Z_-]+\b", " ", text)
    return re.sub(r"\b(?:audit|history|status|export|verify)\b", " ", text)


# A *bold* span with a CJK character just outside either asterisk.
BOLD_AGAINST_CJK = re.compile(r"[\u4e00-\u9fff]\*[^*\s][^*\\]*\*|\*[^*\\]*[^*\s]\*[\u4e00-\u9fff]")


def test_bold_in_chinese_is_set_off_from_the_words_around_it() -> None:
    """Slack's mrkdwn opens and closes *bold* only at a word boundary; a CJK character right against the `*`
    (no space or punctuation between) leaves the asterisks showing, e.g.
    "微信规定*每次发布只能回滚一次*" on every request message. (English always has a space there.)"""
    po = (Path(__file__).resolve().parents[2] / "bot/locale/zh/LC_MESSAGES/bot.po").read_text("utf-8")
    glued = [line for line in po.splitlines() if line.startswith("msgstr") and BOLD_AGAINST_CJK.search(line)]
    assert glued == []


def test_the_placeholder_check_catches_a_dropped_repeat_and_broken_mrkdwn() -> None:
    """tests/test_translations.py placeholder_problems compares the placeholders as sets (a placeholder used twice
    and translated once passes, though `fields` says "repeats kept"), and counts emoji, code spans and line breaks
    but not Slack's *bold*, _italic_ or <link|...> marks: a translation that leaves one `*` open makes the rest of
    the message bold, and passes."""
    made_up = [
        Message("{command} lists; `{command} status` shows", "`{command} status` 显示"),  # a repeat dropped
        Message("*Approved by* {who}", "*审批人 {who}"),  # bold left open
        Message("See <{url}|the console>", "见 <{url}|控制台"),  # a link left open
    ]
    assert [original for original, _translation in placeholder_problems(made_up)] == [
        "{command} lists; `{command} status` shows",
        "*Approved by* {who}",
        "See <{url}|the console>",
    ]


def _clean_env() -> dict[str, str]:
    import os

    keep = ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "PYTHONPATH")
    return {key: value for key, value in os.environ.items() if key in keep} | {"PYTHONPATH": str(ROOT)}


def _notices(slack: FakeSlack) -> list[ApiCall]:
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call.args.get("channel") == WATCH and call.response.get("ok") and not call.args.get("thread_ts")
    ]


def _thread(slack: FakeSlack, ts: str) -> list[str]:
    return [str(c.args["text"]) for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]


def _cancelled(bot: Replica, request_id: int) -> RollbackRequest | None:
    found = bot.workflow.get(request_id)
    return found if found is not None and found.state == "cancelled" and found.message_ts else None


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def _now() -> datetime:
    return datetime.now(UTC)
