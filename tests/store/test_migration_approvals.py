"""Revision 0005 (approvals and reminders) on a database an older bot used, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from bot.store import migrate
from bot.store.database import make_engine
from bot.store.models import RequestRow
from tests.store.test_migrations import insert_baseline_request
from tests.support.databases import database_urls


@pytest.fixture(params=database_urls())
def old(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty database, on each backend, for a migration to run on."""
    engine = make_engine(str(request.getfixturevalue(request.param)))
    yield engine
    engine.dispose()


def test_requests_an_older_bot_approved_count_their_approver_as_their_one_approval(old: Engine) -> None:
    """0005: an approved request's approver is its one approval; pending, rejected and break-glass ones have none."""
    with old.begin() as connection:
        command.upgrade(migrate.make_config(old.url.render_as_string(hide_password=False), connection), "0004")
    ids = {name: insert_baseline_request(old, f"wx_{name}") for name in ("approved", "bypass", "rejected", "open")}
    with old.begin() as connection:
        for name, state, bypass in (
            ("approved", "succeeded", False),
            ("bypass", "failed", True),
            ("rejected", "rejected", False),
        ):
            connection.execute(
                text(
                    "UPDATE rollback_requests SET state = :state, decided_by = 'UBOB', policy_bypass = :bypass "
                    "WHERE id = :id"
                ),
                {"state": state, "bypass": bypass, "id": ids[name]},
            )
    migrate.upgrade(old)
    with Session(old) as session:
        rows = {row.id: row for row in session.scalars(select(RequestRow))}
    assert {name: rows[ids[name]].approvals for name in ids} == {
        "approved": "UBOB",
        "bypass": "",
        "rejected": "",
        "open": "",
    }
    assert {row.approvals_required for row in rows.values()} == {1}
    assert {(row.reminders, row.reminded_at, row.escalated_to, row.paged) for row in rows.values()} == {
        (0, None, None, "")
    }
