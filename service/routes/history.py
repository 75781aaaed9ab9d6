"""``GET /v1/users/{user_id}/history``: a user's plays, newest first, cursor-paginated."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query

from models.history import Position, find_user, get_history
from service.deps import SessionDep
from service.errors import ApiError, NotFound
from service.schemas.errors import refusal
from service.schemas.fields import parse_timestamp
from service.schemas.history import HistoryEntry, HistoryPage

router = APIRouter(prefix="/v1/users", tags=["history"])


def encode_cursor(position: Position) -> str:
    raw = orjson.dumps([position.ts.isoformat(), position.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, event_id = orjson.loads(raw)
        if not isinstance(event_id, int) or isinstance(event_id, bool):
            raise ValueError("cursor id is not an integer")
        if not 0 < event_id < 2**63:
            raise ValueError("cursor id out of range")
        return Position(ts=parse_timestamp(ts), id=event_id)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise ApiError(
            422, ["query", "cursor"], "not a cursor returned by this endpoint", "value_error"
        ) from None


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(int(value) if value.isdigit() else value)
    except ValueError as exc:
        raise ApiError(422, ["query", name], str(exc), "value_error") from None


@router.get(
    "/{user_id}/history", response_model=HistoryPage, responses={404: refusal("unknown user")}
)
def read_history(
    session: SessionDep,
    user_id: Annotated[str, Path(min_length=1, max_length=128)],
    from_: Annotated[
        str | None,
        Query(alias="from", min_length=1, description="inclusive, ISO 8601 or epoch"),
    ] = None,
    to: Annotated[
        str | None, Query(min_length=1, description="exclusive, ISO 8601 or epoch")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HistoryPage:
    """The user's listening events in ``[from, to)``, newest first. Pass ``next_cursor``
    back as ``cursor`` for the next page; it is null on the last page."""
    start, end = _time("from", from_), _time("to", to)
    if start and end and start >= end:
        raise ApiError(422, ["query", "to"], "must be after from", "value_error")
    after = decode_cursor(cursor) if cursor else None
    user = find_user(session, user_id)
    if user is None:
        raise NotFound(["path", "user_id"], "unknown user")
    rows = get_history(session, user=user, start=start, end=end, after=after, limit=limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor(Position(ts=last.ts, id=last.id))
    return HistoryPage(data=[HistoryEntry.of(e, i) for e, i in page], next_cursor=next_cursor)
