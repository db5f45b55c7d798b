"""Modal submissions acted on, so a replayed one is acted on never again, by whichever replica receives it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.rollback.model import StoreUnavailable
from bot.store.models import ViewSubmissionRow

# Slack refuses a signature older than five minutes (and the bot too): a day is far past any replay.
KEPT_FOR = timedelta(days=1)


class SubmissionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def first(self, view_id: str, view_hash: str, now: datetime) -> bool:
        """Record the submission as acted on: True the first time, False for every replay (the primary key
        decides between replicas racing on the same one)."""
        try:
            with self._sessions.begin() as session:
                session.execute(delete(ViewSubmissionRow).where(ViewSubmissionRow.acted_at < now - KEPT_FOR))
                session.add(ViewSubmissionRow(view_id=view_id, view_hash=view_hash, acted_at=now))
        except IntegrityError:
            return False
        except DBAPIError as error:  # told to the person as the database not answering; nothing was done
            raise StoreUnavailable(type(error.orig or error).__name__) from error
        return True
