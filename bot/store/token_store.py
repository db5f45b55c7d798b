"""Queries for the shared token cache: read, take the refresh lease by compare-and-set, save.

Tokens and rotated credentials are sealed at rest (bot/store/sealing.py): the database holds ciphertext, and the
lease's compare-and-set compares the ciphertext read, so a token another replica saved meanwhile still wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import CredentialRow, WeChatTokenRow
from bot.store.sealing import SealedValueUnreadable, Sealer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredToken:
    value: str
    expires_at: datetime
    refresh_after: datetime


class TokenStore:
    def __init__(self, sessions: sessionmaker[Session], sealer: Sealer | None = None) -> None:
        self._sessions = sessions
        self._sealer = sealer or Sealer(None)

    def get(self, key: str) -> StoredToken | None:
        with self._sessions() as session:
            row = session.get(WeChatTokenRow, key)
            if row is None or row.access_token is None or row.expires_at is None or row.refresh_after is None:
                return None
            value = self._open(key, row.access_token)
            return None if value is None else StoredToken(value, row.expires_at, row.refresh_after)

    def ensure(self, key: str) -> None:
        try:
            with self._sessions.begin() as session:
                if session.get(WeChatTokenRow, key) is None:
                    session.add(WeChatTokenRow(key=key, fetch_count=0))
        except IntegrityError:
            pass  # another replica created it first

    def take_lease(self, key: str, owner: str, now: datetime, until: datetime, *, rejected: str | None) -> bool:
        """Become the one replica allowed to fetch, if the token still needs it and nobody else holds the lease."""
        with self._sessions.begin() as session:
            row = session.get(WeChatTokenRow, key)
            if row is None:
                return False
            stored = row.access_token
            value = None if stored is None else self._open(key, stored)
            due = value is None or row.refresh_after is None or row.refresh_after <= now or value == rejected
            if not due:
                return False
            # The compare-and-set: still the token read (sealed values differ each time, so compare what is stored).
            same: ColumnElement[bool] = (
                WeChatTokenRow.access_token.is_(None) if stored is None else WeChatTokenRow.access_token == stored
            )
            statement = (
                update(WeChatTokenRow)
                .where(
                    WeChatTokenRow.key == key,
                    or_(WeChatTokenRow.lease_until.is_(None), WeChatTokenRow.lease_until < now),
                    same,
                )
                .values(lease_owner=owner, lease_until=until)
                .execution_options(synchronize_session=False)
            )
            result = session.execute(statement)
            assert isinstance(result, CursorResult)
            return result.rowcount == 1

    def save(self, key: str, owner: str, token: StoredToken, now: datetime) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(WeChatTokenRow)
                .where(WeChatTokenRow.key == key, WeChatTokenRow.lease_owner == owner)
                .values(
                    access_token=self._sealer.seal(token.value),
                    expires_at=token.expires_at,
                    refresh_after=token.refresh_after,
                    fetched_at=now,
                    fetch_count=WeChatTokenRow.fetch_count + 1,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    def release(self, key: str, owner: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(WeChatTokenRow)
                .where(WeChatTokenRow.key == key, WeChatTokenRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def fetch_count(self, key: str) -> int:
        with self._sessions() as session:
            row = session.get(WeChatTokenRow, key)
            return 0 if row is None else row.fetch_count

    def credential(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.get(CredentialRow, key)
            return None if row is None else self._open(key, row.value)

    def put_credential(self, key: str, value: str, now: datetime) -> None:
        sealed = self._sealer.seal(value)
        with self._sessions.begin() as session:
            row = session.get(CredentialRow, key)
            if row is None:
                session.add(CredentialRow(key=key, value=sealed, updated_at=now))
            else:
                row.value, row.updated_at = sealed, now

    def reseal(self) -> int:
        """Seal every stored token and credential with the first key (those stored without a key, or with an older
        one); each by compare-and-set, so a value another replica saved meanwhile is left as saved. Returns how
        many were sealed anew."""
        if not self._sealer.sealing:
            return 0
        changed = 0
        for table, column, key_column in (
            (WeChatTokenRow, WeChatTokenRow.access_token, WeChatTokenRow.key),
            (CredentialRow, CredentialRow.value, CredentialRow.key),
        ):
            with self._sessions() as session:
                stored = session.execute(select(key_column, column).where(column.is_not(None))).all()
            for key, value in stored:
                resealed = None if value is None else self._sealer.reseal(value)
                if resealed is None or resealed == value:
                    continue
                with self._sessions.begin() as session:
                    result = session.execute(
                        update(table)
                        .where(key_column == key, column == value)
                        .values({column.key: resealed})
                        .execution_options(synchronize_session=False)
                    )
                    assert isinstance(result, CursorResult)
                    changed += result.rowcount
        return changed

    def _open(self, key: str, stored: str) -> str | None:
        """The stored value in clear; None when it cannot be opened (a new one is fetched, or the configured one
        used), said in the log without the value."""
        try:
            return self._sealer.open(stored)
        except SealedValueUnreadable as error:
            log.error("%s: %s", key, error)
            return None
