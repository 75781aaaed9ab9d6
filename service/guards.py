"""Checks every request passes before its route runs."""

from __future__ import annotations

from fastapi import Request

from service.errors import ApiError


async def refuse_nul(request: Request) -> None:
    """Refuse a NUL character in any path or query parameter with a 422 naming it.

    PostgreSQL cannot store or compare text holding NUL and fails the query, which would
    surface as a 500 on any route that looks the value up; SQLite would let it through.
    A share ``token`` is left to its route, which matches it against the token pattern
    first and answers any malformed one with the same 404 as an unknown one.
    """
    for name, value in request.path_params.items():
        if name != "token" and isinstance(value, str) and "\x00" in value:
            raise ApiError(422, ["path", name], "must not contain NUL characters", "value_error")
    raw = request.scope.get("query_string", b"")
    if b"%00" not in raw and b"\x00" not in raw:  # the only ways a NUL gets in: no parsing
        return
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise ApiError(422, ["query", name], "must not contain NUL characters", "value_error")
