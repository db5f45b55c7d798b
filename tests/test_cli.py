"""`miniprogram-rollback`, the operator's command line: on real databases, and `status` against the fake WeChat."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, select, text

from bot import cli
from bot.config import SANDBOX_DATABASE_URL
from bot.rollback.model import Event, EventKind, NewRequest, State, Target
from bot.store import audit, audit_check, export, migrate
from bot.store.database import create_schema, make_engine, session_factory
from bot.store.models import EventRow
from bot.store.request_store import RequestStore
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat, Fault
from tests.support.databases import database_urls
from tests.support.factories import T0
from tests.support.harness import bot_env

ROOT = Path(__file__).resolve().parents[1]
BOT_VARIABLES = (
    "DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "WECHAT_APPID", "ROLLBACK_CONFIG",
    "SANDBOX",
)  # fmt: skip


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No ./.env and none of the bot's variables from outside; the logging `status` sets up is undone."""
    monkeypatch.chdir(tmp_path)
    for name in BOT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


@pytest.fixture(params=database_urls())
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> RequestStore:
    return RequestStore(session_factory(engine))


def request(store: RequestStore, appid: str, at: datetime, user: str = "UALICE") -> int:
    new = NewRequest(appid, "C1", user, "checkout broken", "1.2.0", Target(101, "1.1.0", "stable", 1), at, at)
    return store.create(new, Event(EventKind.REQUESTED, user, at, detail="checkout broken")).id


def rolled_back(store: RequestStore, appid: str, at: datetime) -> int:
    request_id = request(store, appid, at)
    approved = Event(EventKind.APPROVED, "UBOB", at)
    assert store.transition(request_id, State.PENDING, State.SENDING, approved, decided_by="UBOB", decided_at=at)
    done = Event(EventKind.EXECUTED, None, at, errcode=0, errmsg="ok")
    assert store.transition(request_id, State.SENDING, State.SUCCEEDED, done, finished_at=at + timedelta(minutes=1))
    return request_id


@pytest.fixture
def history(store: RequestStore) -> list[int]:
    """One app rolled back on day 0, another on day 1, and the first asking again on day 2: seven events."""
    return [
        rolled_back(store, "wx0a0000000000000a", T0),
        rolled_back(store, "wx0b0000000000000b", T0 + timedelta(days=1)),
        request(store, "wx0a0000000000000a", T0 + timedelta(days=2), user="UCAROL"),
    ]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- audit verify


def test_verify_an_intact_log(url: str, engine: Engine, history: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "audit", "verify", "--database-url", url)
    head = audit_check.verify(engine).head
    assert (code, out, err) == (0, f"audit log intact: 7 entries, 3 requests match their events\nhead {head}\n", "")


def test_verify_expects_a_head_the_chain_contains(
    url: str, engine: Engine, store: RequestStore, history: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    anchored = audit_check.verify(engine).head
    store.record(history[2], Event(EventKind.REFUSED, "UBOB", T0))  # the log goes on: the old head stays in it
    assert run(capsys, "audit", "verify", "--expect-head", anchored.upper(), "--database-url", url)[0] == 0
    with engine.begin() as connection:  # the chain rewritten from scratch, consistently: only the anchor tells
        rewrite_chain(connection)
    code, out, _ = run(capsys, "audit", "verify", "--database-url", url)
    assert code == 0
    code, out, _ = run(capsys, "audit", "verify", "--expect-head", anchored, "--database-url", url)
    assert code == 1
    assert out == (
        f"audit log BROKEN after 8 intact entries: audit chain head: the chain does not contain the expected head "
        f"{anchored}: it was rewritten since that head was recorded, or the hash is from another database\n"
    )
    code, _, err = run(capsys, "audit", "verify", "--expect-head", anchored[:16], "--database-url", url)
    assert code == 2 and "expected a SHA-256 hash" in err


def rewrite_chain(connection: Connection) -> None:
    """What an attacker with the database can do: change a detail and recompute every hash and the head."""
    connection.execute(text("UPDATE rollback_events SET detail = 'nothing to see' WHERE id = 1"))
    prev = audit.GENESIS
    for row in connection.execute(select(EventRow).order_by(EventRow.id)).mappings().all():
        digest = audit.entry_hash(prev, row)
        relink = text("UPDATE rollback_events SET prev_hash = :p, hash = :h WHERE id = :i")
        connection.execute(relink, {"p": prev, "h": digest, "i": row["id"]})
        prev = digest
    connection.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})


def test_verify_takes_the_url_before_the_command_or_from_the_environment(
    url: str, history: list[int], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "--database-url", url, "audit", "verify")[1].startswith("audit log intact: 7 entries")
    monkeypatch.setenv("DATABASE_URL", url)
    assert run(capsys, "audit", "verify")[1].startswith("audit log intact: 7 entries")
    code, _, err = run(capsys, "audit", "verify", "--database-url", "sqlite:///elsewhere.db")
    assert code == 2 and "no SQLite database at elsewhere.db" in err  # the option wins over the environment


def test_verify_reports_the_first_broken_link(
    url: str, engine: Engine, history: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE rollback_events SET detail = 'nothing to see' WHERE id = 5"))
        connection.execute(text("DELETE FROM rollback_events WHERE id = 6"))
    code, out, err = run(capsys, "audit", "verify", "--database-url", url)
    assert code == 1 and err == ""
    assert out == (
        "audit log BROKEN after 4 intact entries: row 5: its content does not match its hash: the row was edited "
        "or moved after it was written, or forged\n"
    )


def test_verify_reports_a_deleted_last_row(
    url: str, engine: Engine, history: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM rollback_events WHERE id = 7"))
    code, out, _ = run(capsys, "audit", "verify", "--database-url", url)
    assert code == 1 and "row 7: the head records row 7 as the newest, but the log ends at row 6" in out


# --- audit export


def test_export_json_to_standard_output(url: str, history: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "audit", "export", "--format", "json", "--database-url", url)
    assert (code, err) == (0, "")
    records = json.loads(out)
    assert [r["event_id"] for r in records] == list(range(1, 8))
    assert records[0]["appid"] == "wx0a0000000000000a" and records[0]["state"] == "succeeded"
    assert records[-1] == {**records[-1], "kind": "requested", "requester_id": "UCAROL", "state": "pending"}


def test_export_csv_filtered_to_a_file(url: str, history: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "audit", "export", "--format", "csv", "--since", "2026-11-30", "--app", "wx0a0000000000000a",
        "--output", "audit.csv", "--database-url", url,
    )  # fmt: skip
    assert (code, out, err) == (0, "exported 1 event to audit.csv\n", "")
    rows = list(csv.DictReader(io.StringIO(Path("audit.csv").read_text(encoding="utf-8"))))
    assert [(r["event_id"], r["appid"], r["kind"], r["requester_id"]) for r in rows] == [
        ("7", "wx0a0000000000000a", "requested", "UCAROL")
    ]
    assert rows[0]["at"] == "2026-12-01T08:00:00.000000Z"

    other = "wx0b0000000000000b"
    code, out, _ = run(capsys, "audit", "export", "--format", "csv", "--app", other, "--database-url", url)
    assert code == 0
    assert out.splitlines()[0] == ",".join(export.EXPORT_FIELDS)
    assert [r["event_id"] for r in csv.DictReader(io.StringIO(out))] == ["4", "5", "6"]


def test_export_to_an_unwritable_file_fails(url: str, history: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "audit", "export", "--format", "json", "-o", "no/such/dir.json", "--database-url", url)
    assert code == 1 and err.startswith("miniprogram-rollback: cannot write no/such/dir.json")


# --- history


def test_history_table_newest_first(url: str, history: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "history", "--database-url", url)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [" ".join(line.split()) for line in lines] == [
        "ID CREATED (UTC) APP REQUESTER FROM TO STATE DECIDED BY FINISHED (UTC)",
        "3 2026-12-01 08:00 wx0a0000000000000a UCAROL 1.2.0 1.1.0 (101) pending - -",
        "2 2026-11-30 08:00 wx0b0000000000000b UALICE 1.2.0 1.1.0 (101) succeeded UBOB 2026-11-30 08:01",
        "1 2026-11-29 08:00 wx0a0000000000000a UALICE 1.2.0 1.1.0 (101) succeeded UBOB 2026-11-29 08:01",
    ]
    assert len(lines) == 4
    assert lines[0].index("APP") == lines[1].index("wx0a0000000000000a")  # aligned columns

    code, out, _ = run(capsys, "history", "--app", "wx0a0000000000000a", "--limit", "1", "--database-url", url)
    assert code == 0 and len(out.splitlines()) == 2 and out.splitlines()[1].startswith("3 ")
    none = "wx0c0000000000000c"
    assert run(capsys, "history", "--app", none, "--database-url", url)[1] == f"no rollback requests for {none}\n"


def test_history_and_export_take_an_alias_from_the_configuration_file(
    url: str, history: list[int], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "rollback.toml"
    # The secret's variable is not set: reading aliases needs no secret.
    config.write_text('[programs.shop]\nappid = "wx0a0000000000000a"\nappsecret_env = "SHOP_APPSECRET"\n')
    monkeypatch.setenv("ROLLBACK_CONFIG", str(config))
    code, out, _ = run(capsys, "history", "--app", "shop", "--database-url", url)
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["3", "1"]
    code, out, _ = run(capsys, "audit", "export", "--format", "json", "--app", "shop", "--database-url", url)
    assert code == 0 and {event["appid"] for event in json.loads(out)} == {"wx0a0000000000000a"}
    other = run(capsys, "history", "--app", "wx0b0000000000000b", "--database-url", url)[1]
    assert other.splitlines()[1].startswith("2 ")


# --- status, through the bot's own WeChat client


@pytest.fixture
def status_env(
    url: str, engine: Engine, slack: FakeSlack, wechat: FakeWeChat, monkeypatch: pytest.MonkeyPatch
) -> FakeWeChat:
    for name, value in bot_env(slack, wechat, url).items():
        if not name.startswith("SLACK_"):  # status never needs Slack's settings
            monkeypatch.setenv(name, value)
    return wechat


def test_status_asks_wechat_and_the_database(
    status_env: FakeWeChat, store: RequestStore, slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    appid = status_env.APPID
    code, out, err = run(capsys, "status")
    assert (code, err) == (0, "")
    released = datetime.fromtimestamp(1_710_000_000, UTC).strftime("%Y-%m-%d %H:%M")
    assert out.splitlines() == [
        f"Mini program:       {appid}",
        f"Online:             1.2.0, released {released} UTC: new checkout",
        "Trial (experience): none reported",
        "Phased release:     none",
        "Last change seen:   none",
        "Open request:       none",
        "Last rollback:      none",
    ]

    done = rolled_back(store, appid, T0)
    waiting = request(store, appid, T0 + timedelta(hours=1), user="UCAROL")
    status_env.set_gray_release(1, 5)
    code, out, _ = run(capsys, "status", "--app", appid)
    assert code == 0
    assert "Phased release:     running at 5% (rollbacks are refused until it ends)" in out
    assert (
        f"Open request:       #{waiting} 2026-11-29 09:00 UTC by UCAROL: 1.2.0 -> 1.1.0, pending; 0 of 1 approvals; "
        "0 reminders sent"
    ) in out
    assert f"Last rollback:      #{done} 2026-11-29 08:00 UTC by UALICE: 1.2.0 -> 1.1.0, rolled back by UBOB" in out
    assert slack.calls == []  # Slack is neither needed nor asked


def test_status_of_another_app_is_refused(status_env: FakeWeChat, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "--app", "wx0b0000000000000b")
    assert code == 2
    assert err == "miniprogram-rollback: configuration error: this bot does not manage wx0b0000000000000b: " \
        f"it manages {status_env.APPID}\n"  # fmt: skip
    assert status_env.calls == []


def test_status_reports_wechat_refusing(status_env: FakeWeChat, capsys: pytest.CaptureFixture[str]) -> None:
    status_env.fail_next("/wxa/getversioninfo", Fault(errcode=48001))
    code, out, err = run(capsys, "status")
    assert code == 1 and out == ""
    assert err.startswith("miniprogram-rollback: could not read the status from WeChat: ")
    assert "48001" in err and len(err.strip().splitlines()) == 1
    assert status_env.SECRET not in err


def test_status_needs_the_bots_wechat_settings_not_slacks(
    url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "status", "--database-url", url)
    assert (code, out) == (2, "")
    assert err == (
        "miniprogram-rollback: configuration error: WECHAT_APPID is not set: the mini program's AppID (wx...), "
        "or ROLLBACK_CONFIG for a configuration file\n"
    )


def test_status_in_the_sandbox_is_refused_with_where_to_ask(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--sandbox", "status")
    assert (code, out) == (2, "")
    assert "the sandbox's simulated WeChat lives inside the running bot" in err


# --- which database


def test_the_sandbox_flag_or_setting_reads_the_sandboxs_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run where the sandbox ran (this test's directory): no DATABASE_URL, as .env.example leaves it."""
    engine = make_engine(SANDBOX_DATABASE_URL)
    create_schema(engine)
    request(RequestStore(session_factory(engine)), "wx0a0000000000000a", T0)
    engine.dispose()
    code, _, err = run(capsys, "history")
    assert code == 2
    assert err == (
        "miniprogram-rollback: configuration error: no SQLite database at miniprogram-rollback.db: set DATABASE_URL "
        "or --database-url to the bot's database (the sandbox's records are in miniprogram-rollback-sandbox.db: "
        "add --sandbox)\n"
    )
    assert run(capsys, "--sandbox", "history")[1].splitlines()[1].startswith("1 ")
    assert run(capsys, "history", "--sandbox")[1].splitlines()[1].startswith("1 ")
    monkeypatch.setenv("SANDBOX", "true")
    assert run(capsys, "audit", "verify")[1].startswith("audit log intact: 1 entry,")


# --- errors


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["audit"],
        ["audit", "export"],  # --format is required
        ["audit", "export", "--format", "xml"],
        ["audit", "export", "--format", "csv", "--since", "yesterday"],
        ["history", "--limit", "0"],
        ["rollback"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "usage: miniprogram-rollback" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "audit" in out and "history" in out and "status" in out


def test_missing_or_malformed_database_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "history")  # the default URL: no database file here, and none is created
    assert code == 2
    assert err == (
        "miniprogram-rollback: configuration error: no SQLite database at miniprogram-rollback.db: "
        "set DATABASE_URL or --database-url to the bot's database\n"
    )
    assert not Path("miniprogram-rollback.db").exists()
    code, _, err = run(capsys, "audit", "verify", "--database-url", "not a url")
    assert code == 2 and err == (
        "miniprogram-rollback: configuration error: DATABASE_URL (or --database-url) is not a database URL the bot "
        "can use: it does not read as dialect+driver://user:password@host:port/database\n"
    )


def test_unreachable_database_is_one_line_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "audit", "verify", "--database-url", "postgresql+psycopg://bot:pw@127.0.0.1:1/x")
    assert code == 1
    assert err.startswith("miniprogram-rollback: the database at DATABASE_URL (or --database-url) failed: ")
    assert err.count("\n") == 1 and err.endswith("check that it runs and is reachable from here, and the URL\n")
    assert "pw" not in err.replace("port", "")


def test_a_database_the_bot_has_not_migrated_is_refused_not_changed(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(migrate.make_config(url, connection), "0001")
        code, _, err = run(capsys, "audit", "verify", "--database-url", url)
        assert code == 1
        assert err == (
            f"miniprogram-rollback: the database is at schema revision 0001, not {migrate.head_revision()}: start "
            "the bot once (it migrates) or run `python -m bot.store.migrate`\n"
        )
        assert migrate.current_revision(engine) == "0001"
    finally:
        engine.dispose()


# --- as a program


def test_python_m_bot_cli_reads_dot_env(url: str, history: list[int], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    env = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "audit", "verify"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("audit log intact: 7 entries, 3 requests match their events\nhead ")


def test_console_script_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"miniprogram-rollback": "bot.cli:main"}
