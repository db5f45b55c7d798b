"""Schema migrations, on SQLite and on PostgreSQL.

The head revision must build exactly the schema the models describe: a model change without a migration fails
`test_upgrade_builds_the_schema_the_models_describe`.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.rollback.model import Event, EventKind, NewRequest, RequestKind, Target
from bot.store import migrate
from bot.store.database import create_schema, make_engine, session_factory
from bot.store.models import Base, CredentialRow, RequestRow
from bot.store.request_rows import to_request
from bot.store.request_store import RequestStore
from bot.store.watch_store import WatchStore
from bot.wechat.types import GrayReleasePlan
from tests.support.databases import database_urls
from tests.support.factories import T0

ROOT = Path(__file__).resolve().parents[2]
HEAD = "0012"


@pytest.fixture(params=database_urls())
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    yield engine
    engine.dispose()


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would write into a new migration: nothing, when the database matches the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, Base.metadata))


def index_names(engine: Engine) -> set[str]:
    inspector = inspect(engine)
    return {str(index["name"]) for table in inspector.get_table_names() for index in inspector.get_indexes(table)}


def open_request(appid: str, state: str = "pending") -> RequestRow:
    return RequestRow(
        appid=appid,
        channel_id="C1",
        requester_id="UALICE",
        reason="broken",
        target_app_version=101,
        target_user_version="1.1.0",
        target_user_desc="stable",
        target_commit_time=1_700_000_000,
        state=state,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=15),
    )


def test_upgrade_builds_the_schema_the_models_describe(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision() == HEAD
    assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}
    assert index_names(engine) == {str(i.name) for t in Base.metadata.tables.values() for i in t.indexes}
    assert differences(engine) == []


def test_create_schema_migrates(engine: Engine) -> None:
    create_schema(engine)
    assert migrate.current_revision(engine) == HEAD
    assert differences(engine) == []


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add(CredentialRow(key="k", value="v", updated_at=T0))
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    with Session(engine) as session:
        assert session.scalars(select(CredentialRow.value)).all() == ["v"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    assert differences(engine) == []


def baseline_without_history(engine: Engine) -> None:
    """What `Base.metadata.create_all` made before the bot had migrations: the baseline schema, no alembic_version."""
    with engine.begin() as connection:
        config = migrate.make_config(engine.url.render_as_string(hide_password=False), connection)
        command.upgrade(config, migrate.BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))


BASELINE_COLUMNS = (
    "appid, channel_id, requester_id, reason, target_app_version, target_user_version, target_user_desc, "
    "target_commit_time, state, created_at, expires_at, policy_bypass"
)


def insert_baseline_request(engine: Engine, appid: str, state: str = "pending") -> int:
    """A request row as the baseline schema holds it (the models have columns it does not)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO rollback_requests ({BASELINE_COLUMNS}) VALUES (:appid, 'C1', 'UALICE', 'broken', 101, "
                "'1.1.0', 'stable', 1700000000, :state, :at, :at, false)"
            ),
            {"appid": appid, "state": state, "at": T0},
        )
        return int(connection.execute(text("SELECT max(id) FROM rollback_requests")).scalar_one())


def test_database_made_by_create_all_is_adopted(engine: Engine) -> None:
    baseline_without_history(engine)
    insert_baseline_request(engine, "wx_app")
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    with Session(engine) as session:
        assert session.scalars(select(RequestRow.appid)).all() == ["wx_app"]
    assert differences(engine) == []
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD


def test_old_database_unlike_the_baseline_is_refused_not_stamped(engine: Engine) -> None:
    # As made before the one-open-request index and the credentials table existed.
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX uq_rollback_requests_one_open"))
        connection.execute(text("DROP TABLE wechat_credentials"))

    with pytest.raises(migrate.LegacySchemaError, match="uq_rollback_requests_one_open") as refused:
        migrate.upgrade(engine)
    assert "table wechat_credentials" in str(refused.value)
    assert migrate.current_revision(engine) is None
    assert "alembic_version" not in inspect(engine).get_table_names()


def test_requests_an_older_bot_left_executing_become_approving_or_sending(engine: Engine) -> None:
    """0003: `executing` with WeChat asked is `sending`, without it `approving`; both with a lease already run
    out, so the next sweep settles them as before (never re-sending)."""
    with engine.begin() as connection:
        command.upgrade(migrate.make_config(engine.url.render_as_string(hide_password=False), connection), "0002")
    asked, unasked = insert_baseline_request(engine, "wx_asked", "executing"), insert_baseline_request(engine, "wx_not")
    with engine.begin() as connection:
        connection.execute(text("UPDATE rollback_requests SET state = 'executing', decided_at = :at"), {"at": T0})
        connection.execute(
            text(
                "INSERT INTO rollback_events (id, request_id, kind, at, appid, app_version, detail, prev_hash, hash) "
                "VALUES (1, :id, 'wechat_called', :at, 'wx_asked', 101, '', :zero, :zero)"
            ),
            {"id": asked, "at": T0, "zero": "0" * 64},
        )
    migrate.upgrade(engine)
    with Session(engine) as session:
        rows = {row.id: row for row in session.scalars(select(RequestRow))}
    assert (rows[asked].state, rows[unasked].state) == ("sending", "approving")
    assert rows[asked].lease_until == rows[unasked].lease_until == T0 + timedelta(minutes=30)
    assert rows[asked].rechecks == 0 and rows[asked].owner is None


def test_an_older_bot_cannot_write_executing_after_the_upgrade(engine: Engine) -> None:
    migrate.upgrade(engine)
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(open_request("wx_app", state="executing"))


def test_one_open_request_per_appid(engine: Engine) -> None:
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        first = open_request("wx_app")
        session.add_all([first, open_request("wx_other")])
        session.flush()
        first_id = first.id
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(open_request("wx_app", state="approving"))
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(open_request("wx_app", state="sending"))

    with Session(engine) as session, session.begin():
        session.get_one(RequestRow, first_id).state = "succeeded"
    with Session(engine) as session, session.begin():
        session.add(open_request("wx_app"))
    with Session(engine) as session:
        states = session.execute(select(RequestRow.appid, RequestRow.state).order_by(RequestRow.id)).all()
    assert [tuple(row) for row in states] == [("wx_app", "succeeded"), ("wx_other", "pending"), ("wx_app", "pending")]


def test_replicas_migrating_a_fresh_database_together_all_succeed(url: str) -> None:
    engines = [make_engine(url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            migrate.upgrade(engine)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert migrate.current_revision(engines[0]) == HEAD
        assert differences(engines[0]) == []
    finally:
        for engine in engines:
            engine.dispose()


def _upgrade_in_process(url: str, barrier: Barrier) -> None:
    engine = make_engine(url)
    barrier.wait(timeout=60)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def test_replica_processes_migrating_a_fresh_database_together_all_succeed(url: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(3)
    processes = [spawn.Process(target=_upgrade_in_process, args=(url, barrier)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=90)
    assert [process.exitcode for process in processes] == [0, 0, 0]
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == HEAD
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_command_line_in_two_processes_at_once(url: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.store.migrate", url],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert (process.returncode, out, err) == (0, f"database at revision {HEAD} (head)\n", "")


def test_command_line_takes_database_url_from_the_environment(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    assert migrate.main([]) == 0
    assert capsys.readouterr().out == f"database at revision {HEAD} (head)\n"


def test_command_line_reports_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert migrate.main([f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"]) == 1
    assert capsys.readouterr().err.startswith("migration failed: ")


def test_autogenerated_migration_uses_plain_types_and_builds_the_models(engine: Engine, tmp_path: Path) -> None:
    """The template and render hook: a generated migration needs no bot module, and it runs."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    for revision in (scripts / "versions").glob("0*.py"):
        revision.unlink()
    with engine.connect() as connection:
        config = migrate.make_config(engine.url.render_as_string(hide_password=False), connection)
        config.set_main_option("script_location", str(scripts))
        command.revision(config, "initial", autogenerate=True, rev_id="0001")
    generated = (scripts / "versions" / "0001_initial.py").read_text()
    assert "sa.DateTime(timezone=True)" in generated
    assert "bot." not in generated and "UTCDateTime" not in generated
    compile(generated, "0001_initial.py", "exec")

    with engine.begin() as connection:
        config = migrate.make_config(engine.url.render_as_string(hide_password=False), connection)
        config.set_main_option("script_location", str(scripts))
        command.upgrade(config, "head")
    assert differences(engine) == []


def test_url_with_percent_signs_is_escaped_for_configparser() -> None:
    url = "postgresql+psycopg://bot:p%40ss%25word@db/rollback"
    assert migrate.make_config(url).get_main_option("sqlalchemy.url") == url


def test_a_notice_an_older_bot_left_unposted_is_moved_to_watch_notices(engine: Engine) -> None:
    """0009: the notice kept in `release_watch.notice` becomes the first row of `watch_notices`, to be posted."""
    with engine.begin() as connection:
        command.upgrade(migrate.make_config(engine.url.render_as_string(hide_password=False), connection), "0008")
        connection.execute(
            text(
                "INSERT INTO release_watch (appid, checked_at, last_change, last_change_at, notice) "
                "VALUES ('wx_app', :at, 'released 1.3.0', :at, 'released 1.3.0.'), ('wx_quiet', :at, NULL, NULL, NULL)"
            ),
            {"at": T0},
        )
    migrate.upgrade(engine)
    watched = WatchStore(session_factory(engine))
    [notice] = watched.waiting_notices("wx_app")
    assert (notice.text, notice.seen_at, notice.in_doubt, notice.failures) == ("released 1.3.0.", T0, False, 0)
    assert watched.waiting_notices("wx_quiet") == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM release_watch WHERE notice IS NOT NULL")).scalar() == 0


def test_a_change_recorded_in_words_only_stays_readable_after_0010(engine: Engine) -> None:
    """0010: the facts beside the words. A change, a notice and a stale request an older bot recorded in English
    words only keep their words, and read as having no facts (shown as recorded)."""
    with engine.begin() as connection:
        command.upgrade(migrate.make_config(engine.url.render_as_string(hide_password=False), connection), "0009")
        connection.execute(
            text(
                "INSERT INTO release_watch (appid, checked_at, last_change, last_change_at) "
                "VALUES ('wx_app', :at, 'released 1.3.0 (online before: 1.2.0)', :at)"
            ),
            {"at": T0},
        )
        connection.execute(
            text("INSERT INTO watch_notices (appid, text, seen_at) VALUES ('wx_app', 'released 1.3.0.', :at)"),
            {"at": T0},
        )
    migrate.upgrade(engine)
    watched = WatchStore(session_factory(engine))
    seen = watched.get("wx_app")
    assert seen is not None and (seen.last_change, seen.last_seen) == ("released 1.3.0 (online before: 1.2.0)", None)
    [notice] = watched.waiting_notices("wx_app")
    assert (notice.text, notice.change) == ("released 1.3.0.", None)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM rollback_requests WHERE stale IS NOT NULL")).scalar() == 0


def test_a_stop_recorded_before_0012_keeps_its_words_and_has_no_plan_facts(engine: Engine) -> None:
    """0012: a stop's plan as facts. A stop an older bot recorded keeps its English words and no plan facts in its
    row (nothing rewritten); its plan is read from the summary the bot wrote, as before the upgrade."""
    with engine.begin() as connection:
        command.upgrade(migrate.make_config(engine.url.render_as_string(hide_password=False), connection), "0011")
        connection.execute(
            text(
                "INSERT INTO rollback_requests (appid, channel_id, requester_id, reason, target_app_version, "
                "target_user_version, target_user_desc, target_commit_time, state, created_at, expires_at, kind, "
                "policy_bypass) "
                "VALUES ('wx_app', 'C1', 'UALICE', 'bad', 0, '5% experiencer_first=False debuger_first=False', "
                "'running at 5%, started 2023-11-14 22:13 UTC', 1700000000, 'pending', :at, :at, 'stop_gray', FALSE)"
            ),
            {"at": T0},
        )
    migrate.upgrade(engine)
    [request] = RequestStore(session_factory(engine)).recent("wx_app", 10)
    # Its words are the bot's own summary: read back for such a row only, they give the plan as it was shown.
    assert request.stops_gray and request.plan == GrayReleasePlan(1, 5, 1_700_000_000)
    assert request.target.user_desc == "running at 5%, started 2023-11-14 22:13 UTC"


def test_going_back_below_0012_is_refused_once_a_stop_has_its_plan_as_facts(engine: Engine) -> None:
    """The audit chain vouches for a stop's plan facts: dropping them would leave every such request reported as
    edited behind the bot's back once upgraded again (and the facts lost)."""
    migrate.upgrade(engine)
    plan = Target(0, "5% traits", "running at 5%, started 2023-11-14 22:13 UTC", 1_700_000_000, 1, 5)
    new = NewRequest("wx_app", "C1", "UALICE", "bad", "1.2.0", plan, T0, T0, kind=RequestKind.STOP_GRAY)
    RequestStore(session_factory(engine)).create(new, Event(EventKind.REQUESTED, "UALICE", T0))
    config = migrate.make_config(engine.url.render_as_string(hide_password=False))
    with pytest.raises(RuntimeError, match="cannot downgrade below 0012"):
        command.downgrade(config, "0011")
    assert migrate.current_revision(engine) == HEAD


@pytest.mark.parametrize(
    ("column", "facts", "refused_below"),
    [("outcome_cause", '{"cause": "database"}', "0011"), ("stale", '{"cause": "version_gone"}', "0010")],
)
def test_going_back_is_refused_while_audited_facts_would_be_dropped(
    engine: Engine, column: str, facts: str, refused_below: str
) -> None:
    """0010's `stale` and 0011's `outcome_cause` are audited as 0012's plan facts are: a downgrade dropping them
    is refused, and the facts are kept (PostgreSQL undoes the whole downgrade, SQLite stops at the refusal)."""
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add(open_request("wx_app", state="failed"))
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE rollback_requests SET {column} = :facts"), {"facts": facts})
    config = migrate.make_config(engine.url.render_as_string(hide_password=False))
    with pytest.raises(RuntimeError, match=f"cannot downgrade below {refused_below}"):
        command.downgrade(config, "0009")
    assert migrate.current_revision(engine) in (refused_below, HEAD)
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT {column} FROM rollback_requests")).scalar() == facts


@pytest.mark.parametrize(
    ("words", "facts"),
    [
        ("paused at 20%, started 2023-11-14 22:13 UTC", (2, 20)),
        ("status 7 at 10%, started ?", (7, 10)),
        ("running at 5%", (None, None)),  # not the bot's own form: words only
        ("a plan", (None, None)),
    ],
)
def test_the_bots_own_summary_is_read_back_for_a_stop_recorded_before_0012(
    words: str, facts: tuple[int | None, int | None]
) -> None:
    row = open_request("wx_app")
    row.id, row.kind, row.target_user_desc, row.policy_bypass = 1, RequestKind.STOP_GRAY.value, words, False
    target = to_request(row).target
    assert (target.plan_status, target.plan_percentage) == facts
