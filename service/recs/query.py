"""The user list's query parameters, validated without FastAPI's per-parameter machinery.

On ``GET /v1/users/{user_id}/recommendations`` FastAPI's dependency and parameter
resolution cost more than building the list itself (measured in ``bench/recs_serve.py``),
so that route reads its query string once into one pydantic model, answers a bad value
with FastAPI's own 422 shape (``loc: ["query", name]``), and documents the parameters in
OpenAPI from the same model (:func:`openapi_parameters`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import QueryParams

from service.recs.catalog import Filters
from service.schemas.fields import IsoDate
from service.schemas.recommendations import KindName

LISTS = frozenset({"exclude_artists"})
PARSED = 1024  # query strings whose parse is kept (a client repeats its own few)


class UserListQuery(BaseModel):
    """What ``GET /v1/users/{user_id}/recommendations`` takes in its query string."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: Annotated[int, Field(ge=1, le=200, description="items to return")] = 20
    exclude_listened: Annotated[bool, Field(description="leave out what the listener played")] = (
        True
    )
    kind: Annotated[KindName | None, Field(description="only items of this kind")] = None
    genre: Annotated[
        str | None, Field(min_length=1, max_length=128, description="only artists with this tag")
    ] = None
    exclude_artists: Annotated[
        list[int], Field(description="leave out these artists (repeat the parameter)")
    ] = []
    released_after: Annotated[
        IsoDate | None,
        Field(description="only items first heard on or after this date (the release proxy)"),
    ] = None
    max_per_artist: Annotated[
        int | None, Field(ge=1, le=200, description="at most this many per artist")
    ] = None

    def filters(self) -> Filters:
        return Filters(self.kind, self.genre, frozenset(self.exclude_artists),
                       self.released_after, self.max_per_artist)  # fmt: skip


_parsed: dict[bytes, tuple[UserListQuery, Filters]] = {}


def parse_raw(raw: bytes) -> tuple[UserListQuery, Filters] | JSONResponse:
    """:func:`parse` of the raw query string ``raw``, with its filters; a query string
    seen before is not parsed again (the parse is a pure function of its bytes)."""
    known = _parsed.get(raw)
    if known is not None:
        return known
    params = parse(QueryParams(raw))
    if isinstance(params, JSONResponse):
        return params
    if len(_parsed) >= PARSED:
        _parsed.clear()
    _parsed[raw] = found = (params, params.filters())
    return found


def parse(query: QueryParams) -> UserListQuery | JSONResponse:
    """The validated query, or the 422 answer naming every bad parameter."""
    raw: dict[str, Any] = {}
    for key, value in query.multi_items():
        if key in LISTS:
            raw.setdefault(key, []).append(value)
        else:
            raw[key] = value
    try:
        return UserListQuery.model_validate(raw)
    except ValidationError as exc:
        detail = [
            {"type": e["type"], "loc": ["query", *e["loc"]], "msg": e["msg"], "input": e["input"]}
            for e in exc.errors(include_url=False, include_context=False)
        ]
        return JSONResponse({"detail": detail}, status_code=422)


def openapi_parameters(model: type[BaseModel] = UserListQuery) -> list[dict[str, Any]]:
    """OpenAPI query parameters for the fields of ``model``."""
    schema = model.model_json_schema()
    out = []
    for name, prop in schema["properties"].items():
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out
