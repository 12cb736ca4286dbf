"""Provides `EdgeClient`: the console's one HTTP session to an edge device (or the school server).

Every request carries the bearer token and the guard's language (the device words its answers
in it). A device that cannot be reached raises `Unreachable`; a refusal raises `ApiError` with
the device's own sentence, which the console shows as it is: it names what was wrong.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from tui.rows import (
    ActionResult,
    AlertRow,
    Health,
    Report,
    SessionRow,
    StudentHit,
    alert_from_json,
    health_from_json,
    report_from_json,
    session_from_json,
    student_from_json,
)

REQUEST_TIMEOUT = 10.0  # s: a Pi answers in milliseconds; ten seconds means it is not answering
HEARTBEAT = 10.0  # s between WebSocket pings: a pulled cable is noticed within about twice this


class ApiError(Exception):
    """The device refused a request; `message` is its sentence for a person."""

    def __init__(self, status: int, code: str, message: str, refusal: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.refusal = dict(refusal or {})  # the rules' own code and parameters, when the rules refused


class Unreachable(Exception):
    """The device did not answer (not running, no network, timed out)."""


class EdgeClient:
    def __init__(self, url: str, token: str, lang: str = "zh") -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.lang = lang
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Create the one session (inside the running loop, as aiohttp requires)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self.token}", "Accept-Language": self.lang},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("EdgeClient.open() first")
        return self._session

    # -- reading ----------------------------------------------------------------------------------

    async def sessions(self) -> list[SessionRow]:
        body = await self._json("GET", "/api/v1/sessions")
        return [session_from_json(s) for s in body.get("sessions", ())]

    async def alerts(self) -> tuple[str, list[AlertRow]]:
        """The device's time and the alerts that hold at it."""
        body = await self._json("GET", "/api/v1/alerts")
        return str(body.get("now", "")), [alert_from_json(a) for a in body.get("alerts", ())]

    async def health(self) -> Health:
        return health_from_json(await self._json("GET", "/api/v1/health"))

    async def report(self, session_id: str) -> Report:
        return report_from_json(await self._json("GET", f"/api/v1/sessions/{session_id}/report"))

    async def report_csv(self, session_id: str) -> str:
        params = {"format": "csv", "lang": self.lang}
        async with self._request("GET", f"/api/v1/sessions/{session_id}/report", params=params) as response:
            return await response.text(encoding="utf-8")

    async def search(self, text: str, limit: int = 20) -> list[StudentHit]:
        body = await self._json("GET", "/api/v1/students", params={"q": text[:64], "limit": str(limit)})
        return [student_from_json(s) for s in body.get("students", ())]

    # -- acting -----------------------------------------------------------------------------------

    async def act(self, kind: str, **fields: str) -> ActionResult:
        """`POST /api/v1/actions`; a refused release comes back as `accepted=False`, not as an error."""
        body = await self._json("POST", "/api/v1/actions", json={"type": kind, **fields})
        return _result(body)

    async def sign(self, session_id: str, staff_id: str, pin: str = "", card_event: str = "") -> ActionResult:
        """Sign as `staff_id`, shown by `pin` or by their staff card's tap `card_event` (the device checks)."""
        proof = {"card_event": card_event} if card_event else {"pin": pin}
        body = await self._json("POST", f"/api/v1/sessions/{session_id}/report/sign", json={"staff_id": staff_id, **proof})
        return _result(body)

    # -- the live stream --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def live(self) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        try:
            ws = await self.session.ws_connect(
                f"{self.url}/api/v1/live", params={"lang": self.lang}, heartbeat=HEARTBEAT, autoping=True
            )
        except aiohttp.WSServerHandshakeError as error:
            raise ApiError(error.status, "handshake", error.message) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise Unreachable(str(error) or type(error).__name__) from None
        try:
            yield ws
        finally:
            await ws.close()

    # -- plumbing ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _request(
        self, method: str, path: str, params: Mapping[str, str] | None = None, json: Any = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        try:
            async with self.session.request(method, f"{self.url}{path}", params=params, json=json) as response:
                if response.status >= 400:
                    raise await _error(response)
                yield response
        except (aiohttp.ClientConnectionError, aiohttp.ServerTimeoutError, OSError, TimeoutError) as error:
            raise Unreachable(str(error) or type(error).__name__) from None

    async def _json(
        self, method: str, path: str, params: Mapping[str, str] | None = None, json: Any = None
    ) -> dict[str, Any]:
        async with self._request(method, path, params, json) as response:
            body = await response.json()
        if not isinstance(body, dict):
            raise ApiError(response.status, "unexpected", f"{path}: expected a JSON object")
        return body


async def _error(response: aiohttp.ClientResponse) -> ApiError:
    try:
        body = await response.json(content_type=None)
        error = body["error"]
        refusal = body.get("refusal")
        refusal = {str(k): str(v) for k, v in refusal.items()} if isinstance(refusal, dict) else None
        return ApiError(response.status, str(error["code"]), str(error["message"]), refusal)
    except (ValueError, KeyError, TypeError, aiohttp.ContentTypeError):
        return ApiError(response.status, "http", f"HTTP {response.status} {response.reason or ''}".strip())


def _result(body: Mapping[str, Any]) -> ActionResult:
    raw = body.get("event")
    event: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return ActionResult(bool(body.get("accepted", False)), str(body.get("message", "")), str(body.get("outcome", "")),
                        str(event.get("uuid") or ""), str(event.get("reason") or ""))  # fmt: skip
