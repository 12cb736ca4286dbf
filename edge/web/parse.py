"""Provides request parsing that names the field: JSON bodies under a size cap, typed fields and query values.

Every refusal is a `BadRequest` (400) or `PayloadTooLarge` (413) whose message starts with the
field or parameter, e.g. `student_id: expected a string, got 12`. Unknown fields and unknown
query parameters are refused too: a typo must not pass silently as "not given".
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any, TypeVar

from aiohttp import web

from edge.web.errors import BadRequest, PayloadTooLarge

T = TypeVar("T")

MAX_TEXT = 500  # characters in one text field: ids are ~10, a note a sentence or two

_JSON_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
               dict: "an object"}  # fmt: skip


async def read_json(request: web.Request, limit: int) -> Any:
    """The request's JSON body, at most `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body is {request.content_length} bytes; this route takes at most {limit}")
    parts, size = [], 0
    try:
        async for chunk in request.content.iter_any():  # a chunked body has no length to check first
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"request body is over {limit} bytes; this route takes at most {limit}")
            parts.append(chunk)
    except ConnectionError:
        # The client went away mid-upload (a cut network): nothing was read whole, nothing is done,
        # and it is not a bug of ours. The answer will not reach it, but is in the one shape anyway.
        raise BadRequest(f"body: the connection was lost after {size} bytes", code="incomplete_body") from None
    raw = b"".join(parts)
    if not raw.strip():
        raise BadRequest("body: expected JSON, got an empty body", code="invalid_json")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise BadRequest("body: not UTF-8 text", code="invalid_json") from None
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"body: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}", code="invalid_json"
        ) from None
    except RecursionError:
        # `[` x 30,000 fits any body cap; the decoder recurses once a level and gives up near 1,000.
        # No request of ours nests more than five deep.
        raise BadRequest("body: not valid JSON: nested too deeply", code="invalid_json") from None


def _no_constant(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def fields(value: Any, allowed: Collection[str], where: str = "body") -> dict[str, Any]:
    """`value` as an object whose keys are all in `allowed`."""
    if not isinstance(value, dict):
        raise BadRequest(f"{where}: expected an object, got {_kind(value)}", code="invalid_field")
    for name in value:
        if name not in allowed:
            raise BadRequest(
                f"{where}.{name}: unknown field (known: {', '.join(sorted(allowed))})", code="invalid_field"
            )
    return value


def field(body: Mapping[str, Any], name: str, kind: type[T], default: T | None = None) -> T:
    """`body[name]` of JSON type `kind`; required unless a default is given."""
    if name not in body:
        if default is None:
            raise BadRequest(f"{name}: missing", code="invalid_field")
        return default
    value = body[name]
    # JSON true is a Python int too; a flag where a number belongs is a mistake, not a 1.
    wrong = not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, wrong = float(value), False
    if kind is int and isinstance(value, float) and value.is_integer():  # JSON's 801.0 is the integer 801
        value, wrong = int(value), False
    if wrong:
        raise BadRequest(f"{name}: expected {_JSON_NAMES.get(kind, kind.__name__)}, got {_kind(value)}",
                         code="invalid_field")  # fmt: skip
    if isinstance(value, str) and default is None and not value.strip():
        raise BadRequest(f"{name}: must not be empty", code="invalid_field")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise BadRequest(f"{name}: longer than {MAX_TEXT} characters", code="invalid_field")
    return value  # type: ignore[no-any-return]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


# -- query parameters ---------------------------------------------------------------------------


def query(request: web.Request, allowed: Collection[str]) -> Mapping[str, str]:
    for name in request.query:
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise BadRequest(f"{name}: unknown query parameter (known: {known})", code="invalid_parameter")
        if len(request.query.getall(name)) > 1:
            raise BadRequest(f"{name}: given more than once", code="invalid_parameter")
    return request.query


def query_int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise BadRequest(f"{name}: expected a whole number from {low} to {high}, got {text!r}",
                         code="invalid_parameter")  # fmt: skip
    return int(text)


def query_number(params: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN fails this too
        raise BadRequest(f"{name}: expected a number from {low:g} to {high:g}, got {text!r}",
                         code="invalid_parameter")  # fmt: skip
    return value


def query_date(params: Mapping[str, str], name: str, default: date) -> date:
    text = params.get(name)
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}: expected a date as YYYY-MM-DD, got {text!r}", code="invalid_parameter") from None


def query_choice(params: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    text = params.get(name, choices[0])
    if text not in choices:
        raise BadRequest(f"{name}: expected one of {', '.join(choices)}, got {text!r}", code="invalid_parameter")
    return text
