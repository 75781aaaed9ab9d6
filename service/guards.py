"""Checks every request passes before its route runs."""

from __future__ import annotations

from fastapi import Request

from service.errors import ApiError


async def refuse_nul(request: Request) -> None:
    """Refuse a NUL character in any path or query parameter with a 422 naming it.

    PostgreSQL cannot store or compare text holding NUL and fails the query, which would
    surface as a 500 on any route that looks the value up; SQLite would let it through.
    """
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise ApiError(422, ["path", name], "must not contain NUL characters", "value_error")
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise ApiError(422, ["query", name], "must not contain NUL characters", "value_error")
