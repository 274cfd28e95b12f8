"""One JSON error shape for every failure: `{"error": {"code": ..., "message": ...}}`.

Core exceptions are mapped here, in one place, so each route only calls the core and lets
its errors travel: bad input is a 4xx with the core's own message, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import httpcore
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from briefing.api.schemas import ErrorResponse
from briefing.core.errors import BriefingError
from briefing.ingest.fetch import FetchError

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_input", 500: "internal_error", 502: "upstream_error", 503: "unavailable",
    504: "upstream_timeout",
}


class ApiError(Exception):
    """Raised by routes and middleware; rendered by `error_response`."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} does not exist")


def error_response(status: int, message: str, code: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def fetch_error(exc: FetchError) -> ApiError:
    """Permanent failures mean the URL itself is the problem (422: retrying will not help);
    transient ones are the remote's trouble (502, or 504 when it was too slow)."""
    if not exc.transient:
        return ApiError(422, str(exc), "bad_url")
    if _is_timeout(exc):
        return ApiError(504, str(exc))
    return ApiError(502, str(exc))


def _is_timeout(exc: FetchError) -> bool:
    timeouts = (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError)
    # The whole-download deadline has no cause exception; its message is the only sign.
    return isinstance(exc.__cause__, timeouts) or str(exc).startswith("timed out")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "invalid request"


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.code, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
    if exc.status_code == 404 and message == "Not Found":
        message = "no such route or resource"
    if exc.status_code == 405:
        # Not listing methods: with several routes on one path Starlette names only one's.
        message = f"{request.method} is not allowed on {request.url.path}"
    if exc.status_code == 400:  # FastAPI's answer to a body it could not decode at all
        return error_response(400, f"the request body is not valid UTF-8 JSON ({message})",
                              "malformed_json")
    return error_response(exc.status_code, message, headers=dict(exc.headers or {}))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return error_response(400, "the request body is not valid JSON", "malformed_json")
    return error_response(422, _validation_message(exc))


async def _briefing_error(_: Request, exc: Exception) -> JSONResponse:
    """Every core error by its base class: input 422, not found 404, exists 409, down 503."""
    assert isinstance(exc, BriefingError)
    return error_response(exc.http_status, str(exc))


async def _fetch_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FetchError)
    error = fetch_error(exc)
    return error_response(error.status, error.message, error.code)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    handlers: dict[Any, Any] = {
        ApiError: _api_error,
        StarletteHTTPException: _http_error,
        RequestValidationError: _validation_error,
        BriefingError: _briefing_error,
        FetchError: _fetch_error,
        Exception: _unexpected,
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers a route can give."""
    return {status: {"model": ErrorResponse, "description": CODES[status].replace("_", " ")}
            for status in statuses}
