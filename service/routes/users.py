"""A listener's own controls: tokens, privacy flags, export and deletion.

``POST .../tokens`` needs an ``admin`` key; the rest an ``admin`` key or the listener's
own token (the ROUTERS table says so for the whole router).
"""

from __future__ import annotations

import io
import zipfile
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request, Response

from models import privacy
from service.deps import AdminScope, SessionDep
from service.errors import NotFound
from service.routes.wrapped import UserId
from service.schemas.errors import refusal
from service.schemas.users import PrivacyPublic, PrivacyUpdate, TokenCreate, UserToken

router = APIRouter(prefix="/v1/users", tags=["users"])

UNKNOWN = "unknown user"
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: refusal(UNKNOWN)}
JSON_OPTS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
"""Table and column names are ``str`` subclasses, which orjson takes only with this."""


def forget(request: Request, user_id: str) -> None:
    """Tell every in-process cache about a listener to drop what it holds on them, so a
    deletion or opt-out takes effect on the next request (caches register themselves in
    ``app.state.user_caches``)."""
    for cache in getattr(request.app.state, "user_caches", ()):
        cache.forget(user_id)


@router.post("/{user_id}/tokens", response_model=UserToken, status_code=201,
             dependencies=[AdminScope])  # fmt: skip
def create_token(request: Request, user_id: UserId, body: TokenCreate | None = None) -> UserToken:
    """Mint a token that lets one listener read their own recommendations, history and
    Wrapped, and manage their privacy, export and deletion; nobody else's."""
    signer = request.app.state.gate.signer
    token, expires = signer.mint("user", user_id, ttl_seconds=body.ttl_seconds if body else None)
    base = str(request.base_url).rstrip("/")
    return UserToken(
        user_id=user_id, token=token, expires_at=expires,
        signin_url=f"{base}/signin?{urlencode({'token': token})}",
    )  # fmt: skip


def _public(user_id: str, flags: privacy.Privacy) -> PrivacyPublic:
    return PrivacyPublic(
        user_id=user_id, personalization=flags.personalization, wrapped=flags.wrapped,
        comparisons=flags.comparisons,
    )  # fmt: skip


@router.get("/{user_id}/privacy", response_model=PrivacyPublic, responses=NOT_FOUND)
def read_privacy(session: SessionDep, user_id: UserId) -> PrivacyPublic:
    """What the listener allows: personalization, Wrapped and comparisons."""
    user = privacy.find(session, user_id)
    if user is None:
        raise NotFound(["path", "user_id"], UNKNOWN)
    return _public(user_id, privacy.Privacy.of(user))


@router.put("/{user_id}/privacy", response_model=PrivacyPublic, responses=NOT_FOUND)
def update_privacy(
    request: Request, session: SessionDep, user_id: UserId, body: PrivacyUpdate
) -> PrivacyPublic:
    """Opt in or out of personalization (out: popular recommendations, and the next
    retrain leaves the listener out), of Wrapped, and of comparisons (percentiles)."""
    try:
        flags = privacy.set_privacy(
            session, user_id=user_id, personalization=body.personalization,
            wrapped=body.wrapped, comparisons=body.comparisons,
        )  # fmt: skip
    except LookupError:
        raise NotFound(["path", "user_id"], UNKNOWN) from None
    forget(request, user_id)
    return _public(user_id, flags)


EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/json": {}, "application/zip": {}},
        "description": "everything stored about the listener",
    },
    **NOT_FOUND,
}


@router.get("/{user_id}/export", response_class=Response, responses=EXPORT)
def export_user(
    session: SessionDep,
    user_id: UserId,
    format: Annotated[Literal["json", "zip"], Query(description="one JSON, or a zip")] = "json",
) -> Response:
    """Everything Encore stores about the listener: profile and privacy flags, every
    listening event, feedback, share link, served recommendation list and import job,
    with the catalog items they name. ``zip`` has one JSON file per table."""
    data = privacy.export_user(session, user_id=user_id)
    if data is None:
        raise NotFound(["path", "user_id"], UNKNOWN)
    name = f"encore-export-{''.join(c if c.isalnum() else '_' for c in user_id)[:64]}"
    if format == "json":
        return Response(
            orjson.dumps(data, option=JSON_OPTS), media_type="application/json",
            headers={"content-disposition": f'attachment; filename="{name}.json"'},
        )  # fmt: skip
    return Response(
        _zip(data), media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}.zip"'},
    )  # fmt: skip


def _zip(data: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("user.json", orjson.dumps(data["user"], option=JSON_OPTS))
        out.writestr("items.json", orjson.dumps(data["items"], option=JSON_OPTS))
        for table, rows in data["tables"].items():
            out.writestr(f"{table}.json", orjson.dumps(rows, option=JSON_OPTS))
    return buffer.getvalue()


@router.delete("/{user_id}", status_code=204, responses=NOT_FOUND)
def delete_user(request: Request, session: SessionDep, user_id: UserId) -> Response:
    """Delete the listener and every row about them (events, feedback, share links,
    served lists, import jobs, ...) in one transaction. Their recommendations are
    non-personal from the next request on, and the next retrain has no trace of them."""
    if privacy.delete_user(session, user_id=user_id) is None:
        raise NotFound(["path", "user_id"], UNKNOWN)
    forget(request, user_id)
    return Response(status_code=204)
