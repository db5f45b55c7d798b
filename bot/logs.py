"""Logging set-up whose every line, exception text included, is scrubbed of tokens and secrets."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Credentials ride in URLs and JSON bodies, and urllib3, websocket-client and slack_sdk log URLs at DEBUG: the
# WeChat access token (access_token=), Socket Mode's WebSocket URL (ticket=), a token service's own key
# (key=, api_key=, sig=...), Slack's capability URLs (a response_url, /actions/T…/…/SECRET; an incoming webhook,
# /services/T…/B…/SECRET), and Slack's tokens themselves.
_QUERY_SECRET = r"[A-Za-z_]*(?:token|secret|ticket|key|sig|signature|password|passwd|auth|credential)[A-Za-z_]*"
# A URL's slash as it is written in a log line: plainly, JSON-escaped as Slack's answers write it ("\/", or "\\/"
# inside a JSON string), or URL-encoded in a form body ("%2F").
_SLASH = r"(?:/|\\{1,2}/|%2[Ff])"
_TOKEN_PATTERNS = (
    re.compile(r"([?&;]" + _QUERY_SECRET + r"=)[^&#\s\"'<>]+", re.IGNORECASE),
    re.compile(r"(\"[a-z_]*(?:token|secret|ticket)\"\s*:\s*\")[^\"]+"),
    re.compile(r"('[a-z_]*(?:token|secret|ticket)'\s*:\s*')[^']+"),  # the same in a Python repr
    re.compile(rf"({_SLASH}(?:actions|commands){_SLASH}[A-Z0-9]+{_SLASH}[0-9]+{_SLASH})[A-Za-z0-9_-]+"),
    re.compile(
        rf"({_SLASH}(?:services|triggers|workflows){_SLASH}[A-Z0-9]+{_SLASH}[A-Za-z0-9]+{_SLASH})[A-Za-z0-9_-]+"
    ),
    re.compile(r"(xox[abpr]-|xapp-)[A-Za-z0-9-]+"),
)
# An `extra` field named like this has its whole value replaced, whatever its type.
_SENSITIVE_KEY = re.compile(r"[a-z_]*(?:token|secret|ticket)")
REDACTED = "[redacted]"
# Bolt writes request and response bodies into its own lines: a badly signed request's whole body at INFO, every
# answer's body at DEBUG, a request no middleware answered at WARNING. A body holds the response_url (a
# capability), what people typed and who they are: the line keeps its shape, the body is withheld. slack_sdk does
# the same at DEBUG: its Socket Mode client with every envelope, its Web API and webhook clients with every call's
# parameters and every answer (a modal's private_metadata, a person's profile, the text of every message).
_BODY_LOGGERS = ("slack_bolt", "slack_sdk")
_BOLT_BODIES = (
    (re.compile(r"(?s)^(Sending a request - url: [^,\s]+).*$"), r"\1 [withheld]"),
    (re.compile(r"(?s)^(Unhandled request) \(.*$"), r"\1 ([withheld])"),  # with what was typed in a suggestion
    (re.compile(r"(?s)\b(message|payload|data): .*$"), r"\1: [withheld]"),
    (re.compile(r"(?is)\b(body:?)\s.*?(\s\(\d+ millis\))?(\)?)$"), r"\1 [withheld]\2\3"),
    (re.compile(r"(?s)(without providing a response for the request) \(.*\)$"), r"\1 ([withheld])"),
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")

# Whatever a LogRecord carries on its own; anything else on a record came from `extra=`.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = _ordered(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the record's `extra` fields, exception text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = _ordered(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Each string is scrubbed before encoding: JSON escaping could hide a secret from a scan of the line,
        # and scrubbing the encoded line could eat an escape and break the JSON.
        return json.dumps(self._clean(entry), ensure_ascii=False)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, self._secrets)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {
                redact(str(key), self._secrets): REDACTED if _SENSITIVE_KEY.fullmatch(str(key)) else self._clean(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self._clean(item) for item in value]
        return redact(str(value), self._secrets)


class WithholdBodies(logging.Filter):
    """Rewrites Bolt's and Socket Mode's lines that carry a Slack request or response body (see _BOLT_BODIES)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_BODY_LOGGERS):
            message = original = record.getMessage()
            for pattern, replacement in _BOLT_BODIES:
                message = pattern.sub(replacement, message)
            if message != original:
                record.msg, record.args = message, ()
        return True


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


def configure_logging(secrets: Iterable[str], level: int | str = logging.INFO, fmt: str = "text") -> None:
    """Send every log line to stderr, as text or JSON, through the redaction."""
    secrets = list(secrets)
    if fmt == "json":
        formatter: logging.Formatter = JsonFormatter(secrets)
    elif fmt == "text":
        formatter = RedactingFormatter(TEXT_FORMAT, secrets)
    else:
        raise ValueError(f"unknown log format {fmt!r}: expected one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(WithholdBodies())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)


def _ordered(secrets: Iterable[str]) -> list[str]:
    # Longest first, so a secret that contains another is replaced whole.
    return sorted({secret for secret in secrets if len(secret) >= 6}, key=len, reverse=True)
