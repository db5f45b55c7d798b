"""Database URLs for tests: a SQLite file always, and a fresh PostgreSQL database when a server is there.

In CI (CI=true) PostgreSQL must be reachable: a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NO_POSTGRES = f"PostgreSQL is not reachable at {POSTGRES_SERVER}: PostgreSQL tests skipped"


def database_urls() -> list[str]:
    """Fixture names, for `params=`: each resolves to a URL of an empty database."""
    return ["sqlite_url", "postgres_url"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rollback.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"PostgreSQL is not reachable at {POSTGRES_SERVER} in CI") from error
        pytest.skip(NO_POSTGRES)
    name = f"rollback_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Every PostgreSQL test skipped for want of a server is reported at this file, so that `-ra` folds them
    into one summary line ("SKIPPED [160] tests/support/databases.py: PostgreSQL is not reachable ...")
    instead of one line per test."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2] == f"Skipped: {NO_POSTGRES}":
        report.longrepr = (__file__, None, report.longrepr[2])
