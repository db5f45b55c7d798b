"""Logging set-up whose every line, exception text included, is scrubbed of tokens and secrets."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

# The WeChat access token rides in URL query strings and JSON bodies; urllib3 logs URLs at DEBUG.
_TOKEN_PATTERNS = (
    re.compile(r"(access_token=)[^&\s\"'<>]+"),
    re.compile(r"(\"[a-z_]*(?:token|secret|ticket)\"\s*:\s*\")[^\"]+"),
    re.compile(r"(xox[abpr]-|xapp-)[A-Za-z0-9-]+"),
)
REDACTED = "[redacted]"


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({secret for secret in secrets if len(secret) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


def configure_logging(secrets: Iterable[str], level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
