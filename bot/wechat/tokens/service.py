"""Tokens from a company's central token service, the single refresher WeChat's documentation recommends.

The service is asked over HTTP (`GET url?appid=…`) or through a local command; both answer
`{"access_token": "…", "expires_in": 7200}`. When WeChat has refused a token, the service is told which one
by a short hash, never by the token itself. Messages name the source but never repeat what it answered.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from bot.wechat.errors import Fact, Unavailable, WeChatError, WeChatUnavailable, error_for
from bot.wechat.tokens.fetchers import FetchedToken, token_from

# Without a stated lifetime the token is treated as about to expire, so the service is asked again soon.
DEFAULT_EXPIRES_IN = 300
STALE_HASH_LENGTH = 12


def stale_hash(token: str) -> str:
    """Names a refused token to the service without sending it."""
    return hashlib.sha256(token.encode()).hexdigest()[:STALE_HASH_LENGTH]


class ServiceTokenFetcher:
    def __init__(
        self,
        appid: str,
        *,
        url: str | None = None,
        command: str | None = None,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        if (url is None) == (command is None):
            raise ValueError("the central token service needs exactly one of a URL or a command")
        self.key = f"service:{appid}"
        self._appid = appid
        self._timeout = timeout
        self._url = url
        self._argv: list[str] = []
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("the central token service URL must be an http:// or https:// URL")
            # Named in messages without its query or user info, which may carry credentials.
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            self._source: dict[str, Fact] = {"service": urlunsplit((parts.scheme, netloc, parts.path, "", ""))}
            self._session = session or requests.Session()
        else:
            assert command is not None
            self._argv = shlex.split(command)
            if not self._argv:
                raise ValueError("the token command is empty")
            self._source = {"command": self._argv[0]}

    def fetch(self, rejected: str | None) -> FetchedToken:
        answer = self._ask_url(rejected) if self._url is not None else self._run_command(rejected)
        fetched = self._read(answer)
        if rejected is not None and fetched.value == rejected:
            raise error_for(40001, "the central token service returned the token WeChat refused")
        return fetched

    def _ask_url(self, rejected: str | None) -> bytes:
        assert self._url is not None
        params = {"appid": self._appid}
        if rejected is not None:
            params["stale"] = stale_hash(rejected)
        # requests' exception texts include the URL: only the type is kept.
        try:
            response = self._session.get(self._url, params=params, timeout=self._timeout)
        except requests.Timeout:
            raise WeChatUnavailable(Unavailable.SOURCE_NO_ANSWER, seconds=self._timeout, **self._source) from None
        except requests.RequestException as error:
            raise WeChatUnavailable(
                Unavailable.SOURCE_UNREACHABLE, error=type(error).__name__, **self._source
            ) from None
        if response.status_code != 200:
            raise WeChatUnavailable(Unavailable.SOURCE_HTTP_STATUS, status=response.status_code, **self._source)
        return response.content

    def _run_command(self, rejected: str | None) -> bytes:
        env = {**os.environ, "MINIPROGRAM_APPID": self._appid}
        if rejected is not None:
            env["MINIPROGRAM_STALE_TOKEN_HASH"] = stale_hash(rejected)
        try:
            # A session of its own, so a timeout kills whatever the command started too.
            process = subprocess.Popen(
                self._argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        except OSError as error:
            raise WeChatUnavailable(
                Unavailable.SOURCE_NOT_STARTED, error=type(error).__name__, **self._source
            ) from None
        try:
            output, _ = process.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            raise WeChatUnavailable(Unavailable.SOURCE_TOO_SLOW, seconds=self._timeout, **self._source) from None
        if process.returncode != 0:
            raise WeChatUnavailable(Unavailable.SOURCE_EXIT_CODE, code=process.returncode, **self._source)
        return output

    def _read(self, raw: bytes) -> FetchedToken:
        try:
            answer: Any = json.loads(raw)
        except ValueError:
            raise WeChatUnavailable(Unavailable.SOURCE_NOT_JSON, **self._source) from None
        if not isinstance(answer, dict):
            raise WeChatUnavailable(Unavailable.SOURCE_NOT_OBJECT, **self._source)
        if answer.get("expires_in") is None:
            answer = {**answer, "expires_in": DEFAULT_EXPIRES_IN}
        try:
            return token_from(answer, "access_token")
        except WeChatError:
            raise  # WeChat's own error, passed on by the service
        except WeChatUnavailable as error:
            raise WeChatUnavailable(error.why, **error.facts, **self._source) from None


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it finished meanwhile
        os.killpg(process.pid, signal.SIGKILL)
