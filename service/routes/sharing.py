"""Wrapped to look at and pass on: the share card, the story page and share links.

``GET /v1/users/{user_id}/wrapped/{year}/card.png`` and ``.../story`` show the listener's
year; ``POST``/``DELETE .../share`` turn a read-only link on and off; ``GET /share/{token}``
and ``/share/{token}/card.png`` are what that link opens. The page's stylesheet and script
are served from ``/static/wrapped/``: the story loads nothing from anywhere else, under a
Content-Security-Policy that says so.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from models import shares
from service.deps import AdminOrOwnerScope, SessionDep, SettingsDep
from service.errors import NotFound
from service.routes.wrapped import Tz, UserId, Year, load
from service.schemas.sharing import ShareLinkPublic
from service.schemas.wrapped import REFUSALS
from service.settings import Settings
from wrapped.errors import UnknownUser, WrappedError
from wrapped.render.card import CardFormat, render_card
from wrapped.render.story import STATIC, StoryLinks, render_story
from wrapped.report import Report
from wrapped.window import Window

log = logging.getLogger(__name__)
router = APIRouter(tags=["wrapped"])
public = APIRouter(tags=["wrapped"])
"""What a share link opens: no credential, by design; the token is the capability."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PRIVATE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
PAGE = {**PRIVATE, "content-security-policy": CSP}
SHARED = {"x-robots-tag": "noindex, nofollow"}
STATIC_TYPES = {
    "story.css": "text/css; charset=utf-8",
    "story.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
    "upload.css": "text/css; charset=utf-8",
    "upload.js": "text/javascript; charset=utf-8",
}
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")

Format = Annotated[CardFormat, Query(description="story (1080x1920), square or wide (1200x630)")]
Responses = dict[int | str, dict[str, Any]]
PNG: Responses = {200: {"content": {"image/png": {}}, "description": "the card"}}
HTML: Responses = {200: {"content": {"text/html": {}}, "description": "the story page"}}
GONE: Responses = {404: {"description": "an unknown or revoked share link"}}


def _report(
    session: Session, settings: Settings, user_id: str, year: int, tz: str | None
) -> Report:
    """The year as the JSON route answers it (stored when fresh); pages and cards made
    live leave "you might have missed" to the JSON, which has the model."""
    window = lambda own: Window.for_year(year, tz or own)  # noqa: E731
    return load(session, settings, None, None, user_id, window).report()


def _shared(session: Session, settings: Settings, token: str) -> tuple[shares.Share, Report]:
    """The link's report; an unknown or revoked token, or a Wrapped that is no longer
    there (the listener opted out since), is the same 404, so a link tells nothing more."""
    share = shares.get(session, token=token) if TOKEN.fullmatch(token) else None
    if share is not None:
        try:
            return share, _report(session, settings, share.user_id, share.year, None)
        except WrappedError as exc:
            log.info("share link %s... opens nothing: %s", token[:4], exc)
    raise NotFound(["path", "token"], "unknown or revoked share link")


def _card(report: Report, fmt: CardFormat, headers: dict[str, str]) -> Response:
    filename = f"wrapped-{report.window.label}-{fmt.value}.png"
    return Response(
        render_card(report, fmt),
        media_type="image/png",
        headers={**headers, "content-disposition": f'inline; filename="{filename}"'},
    )


@lru_cache
def _static(name: str) -> tuple[bytes, str]:
    body = (STATIC / name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:12]


def static_url(request: Request, name: str) -> str:
    """The root-relative URL of a static file, versioned by its content."""
    root = request.scope.get("root_path", "")
    return f"{root}/static/wrapped/{name}?v={_static(name)[1]}"


def _links(request: Request, base: str, tz: str | None) -> StoryLinks:
    """Root-relative URLs (behind a proxy's path prefix too) for the page to link to."""
    root = request.scope.get("root_path", "")
    query = {"tz": tz} if tz else {}
    return StoryLinks(
        stylesheet=f"{root}/static/wrapped/story.css?v={_static('story.css')[1]}",
        script=f"{root}/static/wrapped/story.js?v={_static('story.js')[1]}",
        icon=f"{root}/static/wrapped/icon.svg?v={_static('icon.svg')[1]}",
        cards={
            fmt: f"{root}{base}/card.png?{urlencode({'format': fmt.value, **query})}"
            for fmt in CardFormat
        },
    )


def _own(user_id: str, year: int) -> str:
    return f"/v1/users/{quote(user_id, safe='')}/wrapped/{year}"


@router.get("/v1/users/{user_id}/wrapped/{year}/card.png", response_class=Response,
            responses={**PNG, **REFUSALS})  # fmt: skip
def read_card(
    session: SessionDep,
    settings: SettingsDep,
    user_id: UserId,
    year: Year,
    format: Format = CardFormat.story,
    tz: Tz = None,
) -> Response:
    """The year as a share image: the minutes, the top 5 artists and songs, as a PNG of
    1080x1920 (``story``), 1080x1080 (``square``) or 1200x630 (``wide``)."""
    return _card(_report(session, settings, user_id, year, tz), format, PRIVATE)


@router.get("/v1/users/{user_id}/wrapped/{year}/story", response_class=HTMLResponse,
            responses={**HTML, **REFUSALS})  # fmt: skip
def read_story(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user_id: UserId,
    year: Year,
    tz: Tz = None,
) -> HTMLResponse:
    """The year as a story: full-screen slides from the minutes to the personality, and
    the card to share. Works offline; arrow keys, space or taps move through it."""
    report = _report(session, settings, user_id, year, tz)
    page = render_story(report, _links(request, _own(user_id, year), tz))
    return HTMLResponse(page, headers=PAGE)


@router.post(
    "/v1/users/{user_id}/wrapped/{year}/share", response_model=ShareLinkPublic,
    status_code=201, responses={200: {"description": "the live link there was already"},
                                **REFUSALS},
    dependencies=[AdminOrOwnerScope],
)  # fmt: skip
def create_share_link(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user_id: UserId,
    year: Year,
) -> ShareLinkPublic:
    """Turn on a read-only link to the listener's story of ``year``: 201 with a new link,
    or 200 with the live one. Refused like the report when there is no Wrapped to show."""
    _report(session, settings, user_id, year, None)
    try:
        share, made = shares.create(session, user_id=user_id, year=year)
    except LookupError:
        raise UnknownUser(user_id) from None
    response.status_code = 201 if made else 200
    url = f"{str(request.base_url).rstrip('/')}/share/{share.token}"
    return ShareLinkPublic(token=share.token, url=url, year=year, created_at=share.created_at)


@router.delete("/v1/users/{user_id}/wrapped/{year}/share", status_code=204,
               responses={404: REFUSALS[404]}, dependencies=[AdminOrOwnerScope])  # fmt: skip
def revoke_share_link(session: SessionDep, user_id: UserId, year: Year) -> Response:
    """Revoke the listener's link for ``year``: it answers 404 from now on. Revoking when
    there is no live link changes nothing and is not an error."""
    try:
        shares.revoke(session, user_id=user_id, year=year)
    except LookupError:
        raise UnknownUser(user_id) from None
    return Response(status_code=204)


@public.get("/share/{token}", response_class=HTMLResponse, responses={**HTML, **GONE})
def read_shared_story(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> HTMLResponse:
    """The story a share link opens, read-only."""
    share, report = _shared(session, settings, token)
    page = render_story(report, _links(request, f"/share/{share.token}", None), shared=True)
    return HTMLResponse(page, headers={**PAGE, **SHARED})


@public.get("/share/{token}/card.png", response_class=Response, responses={**PNG, **GONE})
def read_shared_card(
    session: SessionDep, settings: SettingsDep, token: str, format: Format = CardFormat.story
) -> Response:
    """The card of a share link's story."""
    _share, report = _shared(session, settings, token)
    return _card(report, format, {**PRIVATE, **SHARED})


@public.get("/static/wrapped/{name}", include_in_schema=False)
def read_static(name: Annotated[str, Path(max_length=32)]) -> Response:
    if name not in STATIC_TYPES:
        raise NotFound(["path", "name"], "no such file")
    body, _digest = _static(name)
    return Response(
        body,
        media_type=STATIC_TYPES[name],
        headers={"x-content-type-options": "nosniff", "cache-control": "public, max-age=3600"},
    )
