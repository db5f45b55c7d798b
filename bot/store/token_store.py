"""Queries for the shared token cache: read, take the refresh lease by compare-and-set, save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import CredentialRow, WeChatTokenRow


@dataclass(frozen=True)
class StoredToken:
    value: str
    expires_at: datetime
    refresh_after: datetime


class TokenStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, key: str) -> StoredToken | None:
        with self._sessions() as session:
            row = session.get(WeChatTokenRow, key)
            if row is None or row.access_token is None or row.expires_at is None or row.refresh_after is None:
                return None
            return StoredToken(row.access_token, row.expires_at, row.refresh_after)

    def ensure(self, key: str) -> None:
        try:
            with self._sessions.begin() as session:
                if session.get(WeChatTokenRow, key) is None:
                    session.add(WeChatTokenRow(key=key, fetch_count=0))
        except IntegrityError:
            pass  # another replica created it first

    def take_lease(
        self, key: str, owner: str, now: datetime, until: datetime, *, rejected: str | None
    ) -> bool:
        """Become the one replica allowed to fetch, if the token still needs it and nobody else holds the lease."""
        needs_refresh = or_(
            WeChatTokenRow.access_token.is_(None),
            WeChatTokenRow.refresh_after <= now,
            *([WeChatTokenRow.access_token == rejected] if rejected is not None else []),
        )
        statement = (
            update(WeChatTokenRow)
            .where(
                WeChatTokenRow.key == key,
                or_(WeChatTokenRow.lease_until.is_(None), WeChatTokenRow.lease_until < now),
                needs_refresh,
            )
            .values(lease_owner=owner, lease_until=until)
        )
        with self._sessions.begin() as session:
            result = session.execute(statement)
            assert isinstance(result, CursorResult)
            return result.rowcount == 1

    def save(self, key: str, owner: str, token: StoredToken, now: datetime) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(WeChatTokenRow)
                .where(WeChatTokenRow.key == key, WeChatTokenRow.lease_owner == owner)
                .values(
                    access_token=token.value,
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
            return None if row is None else row.value

    def put_credential(self, key: str, value: str, now: datetime) -> None:
        with self._sessions.begin() as session:
            row = session.get(CredentialRow, key)
            if row is None:
                session.add(CredentialRow(key=key, value=value, updated_at=now))
            else:
                row.value, row.updated_at = value, now
