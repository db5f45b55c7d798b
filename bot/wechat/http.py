"""The HTTP transport to WeChat: one place that turns requests' errors into messages without the token,
and fails over to the disaster-recovery host when the primary cannot be reached."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from bot.wechat.errors import NotSent, Unavailable, WeChatUnavailable, WeChatUnreachable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.05
DEFAULT_READ_TIMEOUT = 15.0
# After failing over, stay on the host that worked this long before trying the primary again.
STICKY_SECONDS = 300.0
# Kept-alive connections per host: as many as listeners may call WeChat at once (bot.runtime.LISTENER_THREADS).
CONNECTIONS_PER_HOST = 128


class Transport:
    def __init__(
        self,
        base_urls: str | Sequence[str],
        session: requests.Session | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        observe: Callable[[str, int | None, float], None] | None = None,
    ) -> None:
        """`observe(path, errcode, seconds)`: told of each call (errcode None: no answer), for the metrics."""
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not urls:
            raise ValueError("at least one WeChat API base URL is needed")
        self._hosts = [url.rstrip("/") for url in urls]
        self._session = session or _pooled_session()
        self._timeout = (CONNECT_TIMEOUT, read_timeout)
        self._lock = threading.Lock()
        self._preferred = 0
        self._preferred_until = 0.0
        self._observe = observe

    def get(self, path: str, params: dict[str, str], may_send: Callable[[], bool] | None = None) -> dict[str, Any]:
        """`may_send`: asked right before the request goes to each host (the first, and a fallback after the
        first could not be connected to); when it says no, NotSent is raised and nothing goes out."""
        return self._send("GET", path, params, None, may_send)

    def post_json(self, path: str, params: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, params, payload)

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        payload: dict[str, Any] | None,
        may_send: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        # Moving to another host is safe only when the request certainly never left: WeChatUnreachable.
        order = self._host_order()
        for position, index in enumerate(order):
            if may_send is not None and not may_send():
                raise NotSent()
            try:
                body = self._send_to(self._hosts[index], method, path, params, payload)
            except WeChatUnreachable as error:
                if position == len(order) - 1:
                    raise
                log.warning("WeChat host %s unreachable (%s); failing over", self._hosts[index], error)
                continue
            self._prefer(index)
            return body
        raise AssertionError("unreachable")

    def _host_order(self) -> list[int]:
        with self._lock:
            first = self._preferred if time.monotonic() < self._preferred_until else 0
        return [first, *(index for index in range(len(self._hosts)) if index != first)]

    def _prefer(self, index: int) -> None:
        with self._lock:
            if index != self._preferred:
                self._preferred = index
                self._preferred_until = time.monotonic() + STICKY_SECONDS

    def _send_to(
        self, host: str, method: str, path: str, params: dict[str, str], payload: dict[str, Any] | None
    ) -> dict[str, Any]:
        """One request to one host, and one log line for it: the path only, as the query holds the token."""
        fields: dict[str, Any] = {"method": method, "host": host, "path": path.split("?", 1)[0]}
        started = time.monotonic()
        try:
            body = self._exchange(host, method, path, params, payload)
        except Exception as error:
            self._observed(path, params, None, started)
            fields.update(error=type(error).__name__, duration_ms=round((time.monotonic() - started) * 1000))
            # Our own WeChatUnavailable texts never hold the URL; anything else is named by its type only.
            detail = str(error) if isinstance(error, WeChatUnavailable) else fields["error"]
            log.warning(
                "WeChat %(method)s %(path)s failed in %(duration_ms)d ms: %(detail)s",
                {**fields, "detail": detail},
                extra=fields,
            )
            raise
        fields.update(status=200, errcode=body.get("errcode", 0))
        self._observed(path, params, fields["errcode"], started)
        fields["duration_ms"] = round((time.monotonic() - started) * 1000)
        log.info("WeChat %(method)s %(path)s 200 errcode %(errcode)s in %(duration_ms)d ms", fields, extra=fields)
        return body

    def _observed(self, path: str, params: dict[str, str], errcode: Any, started: float) -> None:
        if self._observe is None:
            return
        # The history read shares the rollback's path: told apart by its action. Nothing else of the query.
        action = params.get("action")
        shown = f"{path}?action={action}" if action == "get_history_version" else path.split("?", 1)[0]
        try:
            code = int(errcode) if errcode is not None else None
        except (TypeError, ValueError):
            code = -(10**9)  # unreadable: counted as "other"
        self._observe(shown, code, time.monotonic() - started)

    def _exchange(
        self, host: str, method: str, path: str, params: dict[str, str], payload: dict[str, Any] | None
    ) -> dict[str, Any]:
        # requests' exception texts include the full URL, access_token and all: never let them out.
        try:
            response = self._session.request(
                method,
                host + path,
                params=params,
                data=None if payload is None else json.dumps(payload).encode(),
                headers=None if payload is None else {"Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except requests.ConnectTimeout:
            raise WeChatUnreachable(Unavailable.CONNECT_TIMEOUT, seconds=CONNECT_TIMEOUT) from None
        except requests.Timeout:
            raise WeChatUnavailable(Unavailable.NO_ANSWER, seconds=self._timeout[1]) from None
        except requests.ConnectionError as error:
            if _never_connected(error):
                raise WeChatUnreachable(Unavailable.UNREACHABLE) from None
            raise WeChatUnavailable(Unavailable.CONNECTION_BROKE) from None
        except requests.RequestException as error:
            raise WeChatUnavailable(Unavailable.REQUEST_FAILED, error=type(error).__name__) from None
        if response.status_code != 200:
            raise WeChatUnavailable(Unavailable.HTTP_STATUS, status=response.status_code)
        try:
            body = response.json()
        except ValueError:
            raise WeChatUnavailable(Unavailable.NOT_JSON) from None
        if not isinstance(body, dict):
            raise WeChatUnavailable(Unavailable.NOT_OBJECT)
        return body


def _never_connected(error: requests.ConnectionError) -> bool:
    """True when the TCP connection was never made (refused, no route, name not resolved)."""
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | NameResolutionError)


def _pooled_session() -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=CONNECTIONS_PER_HOST)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
