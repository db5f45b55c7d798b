"""The HTTP transport to WeChat: one place that turns requests' errors into messages without the token."""

from __future__ import annotations

import json
from typing import Any

import requests

from bot.wechat.errors import WeChatUnavailable

# (connect, read) seconds: a rollback that takes longer than this is reported as "outcome unknown".
DEFAULT_TIMEOUT = (3.05, 15.0)


class Transport:
    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._timeout = timeout

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return self._send("GET", path, params, None)

    def post_json(self, path: str, params: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, params, payload)

    def _send(
        self, method: str, path: str, params: dict[str, str], payload: dict[str, Any] | None
    ) -> dict[str, Any]:
        # requests' exception texts include the full URL, access_token and all: never let them out.
        try:
            response = self._session.request(
                method,
                self._base_url + path,
                params=params,
                data=None if payload is None else json.dumps(payload).encode(),
                headers=None if payload is None else {"Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except requests.Timeout:
            raise WeChatUnavailable(f"no answer from WeChat within {self._timeout[1]:g} s") from None
        except requests.ConnectionError:
            raise WeChatUnavailable("could not connect to WeChat") from None
        except requests.RequestException as error:
            raise WeChatUnavailable(f"request to WeChat failed ({type(error).__name__})") from None
        if response.status_code != 200:
            raise WeChatUnavailable(f"WeChat answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise WeChatUnavailable("WeChat's answer was not JSON") from None
        if not isinstance(body, dict):
            raise WeChatUnavailable("WeChat's answer was not a JSON object")
        return body
