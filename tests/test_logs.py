import logging
import sys

from bot.logs import REDACTED, RedactingFormatter, redact


def test_redacts_tokens_in_urls_and_bodies() -> None:
    line = (
        'GET /wxa/revertcoderelease?access_token=ABC.def-123&app_version=7 '
        '{"access_token": "XYZ987", "secret": "s3cr3t", "component_verify_ticket": "tick3t"} xoxb-1-2-abc xapp-1-A-2'
    )
    cleaned = redact(line)
    for secret in ("ABC.def-123", "XYZ987", "s3cr3t", "tick3t", "xoxb-1-2-abc", "xapp-1-A-2"):
        assert secret not in cleaned
    assert "app_version=7" in cleaned
    assert cleaned.count(REDACTED) == 6


def test_formatter_redacts_known_secrets_and_exception_text() -> None:
    formatter = RedactingFormatter("%(message)s", ["the-app-secret"])
    try:
        raise RuntimeError("failed with the-app-secret in it")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", ("?access_token=tok123",), None)
        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert "the-app-secret" not in text
    assert "tok123" not in text
    assert "RuntimeError" in text
