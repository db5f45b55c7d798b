"""BOT_LANGUAGE=zh for what is run from a shell: `python -m bot.cli`, `python -m bot.store.migrate` and a start-up
that fails (`python app.py`), each a real process. Their lines read in Chinese, but for what the person typed or
must type (settings, paths, options) and a library's own words; a secret never shows; and when BOT_LANGUAGE itself
is what is wrong, they are in English."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.rollback.changes import Change, ChangeKind, SeenChange
from bot.store.database import make_engine
from bot.store.migrate import head_revision, upgrade
from bot.store.models import ReleaseWatchRow
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.review.test_review_i18n import english_in
from tests.support.factories import T0
from tests.support.harness import bot_env
from tests.support.processes import ROOT, free_port, start_app

SECRET = "pw-zh-secret-1"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Slack's app settings pages are in English only: a person looks for these names as they are.
SLACK_PAGES = "Bot User OAuth Token|Install App|Basic Information|App-Level Tokens|Signing Secret|Socket Mode"


def _run(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "VIRTUAL_ENV")
    clean = {key: value for key, value in os.environ.items() if key in keep}
    return subprocess.run(
        [sys.executable, *argv],
        env={**clean, "PYTHONPATH": str(ROOT), "BOT_LANGUAGE": "zh", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _reads_in_chinese(line: str) -> None:
    """Chinese, and no run of English words once the names a person types are taken out."""
    assert CJK.search(line), line
    names = rf"{SLACK_PAGES}|python app\.py|python -m \S+|[A-Z][A-Z0-9_]{{2,}}|--?[a-z][a-z-]*|'[^']*'|\S+://\S+|\S*/\S+|miniprogram-rollback"
    assert english_in(re.sub(names, " ", line)) == [], line


def _migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


# --- the command line


def test_the_cli_reads_in_chinese(tmp_path: Path) -> None:
    url = _migrated(tmp_path)
    history = _run(tmp_path, "-m", "bot.cli", "history", DATABASE_URL=url)
    verify = _run(tmp_path, "-m", "bot.cli", "audit", "verify", DATABASE_URL=url)
    assert (history.returncode, verify.returncode) == (0, 0), history.stderr + verify.stderr
    assert history.stdout.strip() == "没有回滚申请"
    for line in verify.stdout.splitlines():
        _reads_in_chinese(line.replace("head", "").replace(" 0 ", " "))  # `head <hash>` names the hash


def test_a_cli_configuration_error_reads_in_chinese_and_hides_the_password(tmp_path: Path) -> None:
    gone = _run(tmp_path, "-m", "bot.cli", "history", DATABASE_URL=f"sqlite:///{tmp_path / 'gone.db'}")
    assert gone.returncode == 2
    _reads_in_chinese(gone.stderr.strip())
    unreachable = _run(
        tmp_path, "-m", "bot.cli", "history", DATABASE_URL=f"mysql://rollback:{SECRET}@127.0.0.1:1/rollback"
    )
    assert unreachable.returncode == 2
    [line] = unreachable.stderr.strip().splitlines()
    assert "SQLite" in line and "mysql" in line and SECRET not in line, line
    _reads_in_chinese(line)


# --- migrations


def test_migrate_reads_in_chinese(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'bot.db'}\n", "utf-8")
    done = _run(tmp_path, "-m", "bot.store.migrate")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"数据库处于修订版本 {head_revision()}（最新）\n"
    helped = _run(tmp_path, "-m", "bot.store.migrate", "--help")
    assert helped.returncode == 0 and "将机器人的数据库升级到最新的结构修订版本" in helped.stdout, helped.stdout
    _reads_in_chinese(helped.stdout.replace("python -m bot.store.migrate", " "))


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("not a url", True),
        (f"mysql://rollback:{SECRET}@127.0.0.1:1/rollback", True),
        # The driver's own words ("invalid port number") follow, as they are.
        (f"postgresql+psycopg://rollback:{SECRET}@127.0.0.1:99999/rollback", False),
    ],
)
def test_a_failed_migration_reads_in_chinese_and_hides_the_password(tmp_path: Path, url: str, ours: bool) -> None:
    done = _run(tmp_path, "-m", "bot.store.migrate", url)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("迁移失败："), line
    assert SECRET not in done.stderr and "Traceback" not in done.stderr
    _reads_in_chinese(line if ours else line.split("：")[0])


def test_a_one_letter_password_is_hidden_without_taking_its_letter_out_of_every_word(tmp_path: Path) -> None:
    done = _run(
        tmp_path, "-m", "bot.store.migrate", "postgresql+psycopg://rollback:p@127.0.0.1:1/rollback", BOT_LANGUAGE="en"
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "[redacted]ort" not in line and "port" in line, line


# --- start-up


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "未设置 SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, "SLACK_BOT_TOKEN 仍是占位值"),
        ({"SLACK_SIGNING_SECRET": f"'{SECRET}'"}, "SLACK_SIGNING_SECRET 带有引号"),
        ({"DATABASE_TIMEOUT_SECONDS": "soon"}, "DATABASE_TIMEOUT_SECONDS 格式不对"),
        ({"WECHAT_APPID": "wx123"}, "WECHAT_APPID 格式不对"),
        ({"APPROVALS_REQUIRED": "3", "APPROVER_USER_IDS": "U0BOB,U0CAROL"}, "只列出了 2 位审批人"),
    ],
)
def test_a_configuration_error_at_start_up_reads_in_chinese(
    slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path, changes: dict[str, str], said: str
) -> None:
    env = bot_env(slack, wechat, sqlite_url, PORT=str(free_port()), BOT_LANGUAGE="zh", **changes)
    _, stderr = _app(env, tmp_path, 2)
    [line] = stderr.strip().splitlines()
    assert line.startswith("miniprogram-rollback：配置错误：") and said in line, line
    assert SECRET not in line and wechat.SECRET not in line
    _reads_in_chinese(line)


def test_a_database_that_cannot_be_used_stops_start_up_in_chinese(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    url = f"mysql://rollback:{SECRET}@127.0.0.1:1/rollback"
    env = bot_env(slack, wechat, url, PORT=str(free_port()), BOT_LANGUAGE="zh")
    _, stderr = _app(env, tmp_path, 1)
    [line] = stderr.strip().splitlines()
    assert line.startswith("miniprogram-rollback：无法启动：DATABASE_URL "), line
    assert "不支持 mysql" in line and SECRET not in stderr
    _reads_in_chinese(line)


def test_a_bad_bot_language_is_told_in_english(slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path) -> None:
    env = bot_env(slack, wechat, "sqlite://", PORT=str(free_port()), BOT_LANGUAGE="chinese")
    _, stderr = _app(env, tmp_path, 2)
    assert stderr.strip() == (
        "miniprogram-rollback: configuration error: BOT_LANGUAGE is malformed: expected one of en, zh, got 'chinese'"
    )
    migrated = _run(tmp_path, "-m", "bot.store.migrate", f"sqlite:///{tmp_path / 'bot.db'}", BOT_LANGUAGE="chinese")
    assert migrated.stdout.startswith("database at revision "), migrated.stdout


def _app(env: dict[str, str], cwd: Path, code: int) -> tuple[str, str]:
    process = start_app(env, cwd)
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert "Traceback" not in err
    return out, err


def test_the_apps_help_reads_in_chinese_and_names_every_setting(tmp_path: Path) -> None:
    helped = _run(tmp_path, str(ROOT / "app.py"), "--help")
    english = _run(tmp_path, str(ROOT / "app.py"), "--help", BOT_LANGUAGE="en")
    assert helped.returncode == 0 and helped.stdout.startswith("用法：python app.py"), helped.stdout
    settings = re.compile(r"^  ([A-Z][A-Z0-9_]+)\b", re.M)
    assert settings.findall(helped.stdout) == settings.findall(english.stdout) != []  # the same settings, in order
    for line in helped.stdout.splitlines():
        if CJK.search(line):
            _reads_in_chinese(line)
        else:  # a group's name, or a setting's name alone on its line
            assert re.fullmatch(r"Slack|  [A-Z_]+|", line), line
    unknown = _run(tmp_path, str(ROOT / "app.py"), "--frobnicate")
    assert unknown.returncode == 2
    _reads_in_chinese(unknown.stderr.strip().splitlines()[-1])


def test_the_cli_status_reads_in_chinese_with_the_last_change_seen(
    slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    """`status` with a change the version watch recorded (as facts since revision 0010): the change is worded in
    Chinese, not printed as its English record; a version name is printed as it is (no mrkdwn escaping)."""
    url = _migrated(tmp_path)
    seen = SeenChange(
        (Change(ChangeKind.RELEASED, "1.3.0&rc", "1.2.0"), Change(ChangeKind.GRAY_MOVED, None, None, 1, 20, 5))
    )
    with make_engine(url).begin() as connection:
        connection.execute(
            insert(ReleaseWatchRow).values(
                appid=wechat.APPID, last_change=seen.words, last_change_facts=seen.to_json(), last_change_at=T0
            )
        )
    env = {name: value for name, value in bot_env(slack, wechat, url).items() if not name.startswith("SLACK_")}
    done = _run(tmp_path, "-m", "bot.cli", "status", **env)
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if "1.3.0" in line]
    assert "1.3.0&rc" in line and "20%" in line and seen.words not in line, line
    _reads_in_chinese(line.replace("1.3.0&rc", ""))
