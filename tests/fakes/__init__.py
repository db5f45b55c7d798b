"""Fakes of Slack and WeChat: real servers on loopback with the real semantics.

Every credential they deal in is remembered here, so that a check over the whole test suite (tests/conftest.py)
can prove none of them ever reaches a log line: CONFIGURED holds what the bot is given as settings (and so
knows to scrub), ISSUED what the fakes hand out while the bot runs (access tokens, rotated refresh tokens,
tickets), which the bot must scrub without knowing them.
"""

CONFIGURED: set[str] = set()
ISSUED: set[str] = set()


def configured(secret: str) -> str:
    CONFIGURED.add(secret)
    return secret


def issued(secret: str) -> str:
    ISSUED.add(secret)
    return secret
