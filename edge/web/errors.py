"""Provides the API's one error shape, `{"error": {"code": ..., "message": ...}}`, and the middleware.

Every refusal is a 4xx in that shape: our own `ApiError`s, the rules' `ActionError` (422), a
dataset the store refused, and aiohttp's own (unknown route 404, wrong method 405, body over the
size cap 413). A write the disk refused is 507 `storage_full` (503 `storage_error` for an I/O
failure), in the request's language. Otherwise only a bug is a 5xx; it is logged with its
traceback and answered without one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from edge.core.errors import DatasetRefused, StorageError, StorageFull
from edge.core.i18n import t
from edge.core.rules import ActionError

log = logging.getLogger("rollcall.api")

dumps = partial(json.dumps, ensure_ascii=False)


class ApiError(Exception):
    """A request the API refuses; `status` and `code` say how, the message says why, for a person."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, extra: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.code = code or type(self).code
        self.extra = dict(extra or {})


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class Unprocessable(ApiError):
    status, code = 422, "unprocessable"


class TooManyRequests(ApiError):
    status, code = 429, "too_many_requests"


_AIOHTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
_DATASET_STATUS = {"unknown_dataset": 404, "version_not_newer": 409}


def error_response(
    status: int, code: str, message: str, extra: Mapping[str, Any] | None = None
) -> web.Response:
    body = {"error": {"code": code, "message": message}} | dict(extra or {})
    headers = {"WWW-Authenticate": 'Bearer realm="rollcall"'} if status == 401 else None
    return web.json_response(body, status=status, dumps=dumps, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, str(error), error.extra)
    except ActionError as error:
        # `refusal` names the rule's own code and its parameters, so a console says it in its language.
        return error_response(422, "action_refused", str(error), {"refusal": {"code": error.code, **error.params}})
    except DatasetRefused as error:
        return error_response(_DATASET_STATUS.get(error.code, 422), error.code, str(error))
    except StorageError as error:
        # 507 Insufficient Storage: the device is up and will record again once space is back.
        status = 507 if isinstance(error, StorageFull) else 503
        lang = "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "zh"
        return error_response(status, error.code, t(f"error.{error.code}", lang, what=error.what))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _AIOHTTP_CODES.get(error.status, "http_error")
        answer = error_response(error.status, code, _aiohttp_message(request, error))
        if "Allow" in error.headers:
            answer.headers["Allow"] = error.headers["Allow"]
        return answer
    except Exception:  # noqa: BLE001 (a bug: log it whole, answer in the one shape, keep serving)
        log.exception("api_bug method=%s path=%s", request.method, request.path)
        return error_response(500, "internal", "internal error: a bug in the device; it is in the device log")


def _aiohttp_message(request: web.Request, error: web.HTTPException) -> str:
    if error.status == 404:
        return f"no route {request.path}"
    if error.status == 405:
        return f"{request.method} is not allowed on {request.path} (allowed: {error.headers.get('Allow', '')})"
    return error.text or error.reason
