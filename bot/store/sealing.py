"""WeChat credentials sealed at rest: access tokens and rotated refresh tokens are stored encrypted with
`TOKEN_ENCRYPTION_KEY` (cryptography's Fernet: AES-128-CBC with an HMAC-SHA256, a timestamp and a random IV).

The setting holds one or more Fernet keys separated by commas: the first seals, all of them open (MultiFernet),
so a key is rotated by putting the new one first, restarting every replica (each start re-seals what is stored
with the first key), then dropping the old one. Without a key, values are stored as they are, with one warning at
start-up. A sealed value is stored as `fernet:` and the token; a value without the prefix was stored without a
key and is still read (and sealed by the next start with a key).
"""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)
PREFIX = "fernet:"


class SealedValueUnreadable(Exception):
    """A stored value was sealed with a key the setting no longer holds (or was altered): it cannot be used."""


class Sealer:
    def __init__(self, keys: str | None) -> None:
        """`keys`: TOKEN_ENCRYPTION_KEY, comma-separated Fernet keys, the sealing one first; None: no sealing."""
        fernets = [Fernet(key.strip()) for key in (keys or "").split(",") if key.strip()]
        self._first = fernets[0] if fernets else None
        self._fernet = MultiFernet(fernets) if fernets else None

    @property
    def sealing(self) -> bool:
        return self._fernet is not None

    def seal(self, value: str) -> str:
        if self._fernet is None:
            return value
        return PREFIX + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # stored before a key was set
        if self._fernet is None:
            raise SealedValueUnreadable("a stored WeChat credential is sealed and TOKEN_ENCRYPTION_KEY is not set")
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise SealedValueUnreadable(
                "a stored WeChat credential cannot be opened with TOKEN_ENCRYPTION_KEY: sealed with a key it no "
                "longer lists, or altered"
            ) from None

    def reseal(self, stored: str) -> str | None:
        """The value sealed with the first key, when it is not yet (stored in clear, or sealed with an older key)."""
        if self._fernet is None or self._first is None:
            return None
        if not stored.startswith(PREFIX):
            return self.seal(stored)
        token = stored.removeprefix(PREFIX).encode("ascii")
        try:
            self._first.decrypt(token)
            return None  # already under the first key
        except InvalidToken:
            pass
        try:
            return PREFIX + self._fernet.rotate(token).decode("ascii")
        except InvalidToken:
            return None  # under no listed key: left alone, and opening it says what is wrong when it is needed
