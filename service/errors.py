"""API errors in FastAPI's own shape (``{"detail": [{"loc", "msg", "type"}]}``) and the
handlers that map domain exceptions to status codes with stable messages."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from models.errors import StoreError
from recsys.errors import ModelNotReady
from service.middleware import BodyTooLarge, too_large_body
from wrapped.errors import (
    InvalidWindow,
    NotEligible,
    NothingToWrap,
    UnknownUser,
    WrappedError,
    WrappedOptedOut,
)

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A client error about one location in the request."""

    def __init__(
        self,
        status: int,
        loc: list[str | int],
        msg: str,
        type_: str,
        ctx: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(msg)
        self.headers = headers
        self.status = status
        self.loc = loc
        self.msg = msg
        self.type = type_
        self.ctx = ctx

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"loc": self.loc, "msg": self.msg, "type": self.type}
        if self.ctx is not None:
            error["ctx"] = self.ctx
        return {"detail": [error]}


class SignInRequired(Exception):
    """A browser asked for a page without a session: send it to sign in, then back."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


async def _sign_in(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(exc.location, status_code=303, headers={"cache-control": "no-store"})


class NotFound(ApiError):
    def __init__(self, loc: list[str | int], msg: str) -> None:
        super().__init__(404, loc, msg, "not_found")


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = dict(exc.headers or {})
    if exc.status == 401:
        headers.setdefault("www-authenticate", "Bearer")
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


async def _store_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("store unavailable: %s", exc)
    return JSONResponse(
        {
            "detail": [
                {"loc": [], "msg": "the database is unavailable", "type": "store_unavailable"}
            ]
        },
        status_code=503,
    )


async def _model_not_ready(_request: Request, exc: Exception) -> JSONResponse:
    body = {"detail": [{"loc": [], "msg": str(exc), "type": "model_not_ready"}]}
    return JSONResponse(body, status_code=503)


WRAPPED_STATUS: dict[type[WrappedError], tuple[int, str]] = {
    UnknownUser: (404, "not_found"),
    WrappedOptedOut: (403, "wrapped_opted_out"),
    NothingToWrap: (404, "nothing_to_wrap"),
    NotEligible: (409, "not_eligible"),
    InvalidWindow: (422, "value_error"),
}


def wrapped_error(exc: WrappedError, path_params: dict[str, str]) -> ApiError:
    """The API error for a reason Wrapped refused, located at the path or query part the
    client would change."""
    status, type_ = WRAPPED_STATUS[type(exc)]
    loc: list[str | int] = ["path", "user_id"]
    if isinstance(exc, InvalidWindow):
        loc = ["path" if exc.field in path_params else "query", exc.field]
    elif isinstance(exc, NothingToWrap | NotEligible):
        loc = ["path", "year"] if "year" in path_params else ["query", "from"]
    ctx = exc.numbers.as_dict() if isinstance(exc, NotEligible) else None
    return ApiError(status, loc, str(exc), type_, dict(ctx) if ctx else None)


async def _wrapped_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WrappedError)
    return await _api_error(request, wrapped_error(exc, request.path_params))


async def _body_too_large(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyTooLarge)
    return Response(
        too_large_body(exc.limit), status_code=413, media_type="application/json",
        headers={"connection": "close"},
    )  # fmt: skip


METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer, except that a 405 names in ``Allow`` the methods of every route
    on the path: Starlette names only those of the first route that matched it."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = [
            method
            for method in METHODS
            if any(
                route.matches({**request.scope, "method": method})[0] is Match.FULL
                for route in request.app.router.routes
            )
        ]
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
    return await http_exception_handler(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(WrappedError, _wrapped_error)
    app.add_exception_handler(ModelNotReady, _model_not_ready)
