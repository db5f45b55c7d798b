"""Where access tokens come from (fetchers) and how replicas share them (the shared cache)."""

from typing import Protocol


class TokenSource(Protocol):
    """What the client needs: the current token, and a new one when WeChat refuses it."""

    def token(self) -> str: ...

    def replace(self, rejected: str) -> str: ...
