"""What a migration says in the log: each step once, and one line of the bot's own."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.store.database import create_schema, make_engine
from bot.store.migrate import head_revision


def test_a_fresh_database_runs_each_migration_once_and_says_so_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        with caplog.at_level(logging.INFO):
            create_schema(engine)
            steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Running upgrade")]
            assert [step.split(",")[0] for step in steps if "-> 0001" in step] == ["Running upgrade  -> 0001"]
            assert len(steps) == len(set(steps))
            ours = [r.getMessage() for r in caplog.records if r.name == "bot.store.migrate"]
            assert ours == [f"database {engine.url} migrated from schema revision none (empty) to {head_revision()}"]
            caplog.clear()
            create_schema(engine)  # the next start
            assert [r.getMessage() for r in caplog.records if r.name == "bot.store.migrate"] == [
                f"database {engine.url} at schema revision {head_revision()}"
            ]
    finally:
        engine.dispose()
