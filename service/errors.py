"""API errors in FastAPI's own shape (``{"detail": [{"loc", "msg", "type"}]}``) and the
handlers that map domain exceptions to status codes with stable messages."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from models.errors import StoreError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A client error about one location in the request."""

    def __init__(self, status: int, loc: list[str | int], msg: str, type_: str) -> None:
        super().__init__(msg)
        self.status = status
        self.loc = loc
        self.msg = msg
        self.type = type_

    def body(self) -> dict[str, object]:
        return {"detail": [{"loc": self.loc, "msg": self.msg, "type": self.type}]}


class NotFound(ApiError):
    def __init__(self, loc: list[str | int], msg: str) -> None:
        super().__init__(404, loc, msg, "not_found")


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status)


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


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StoreError, _store_error)
