"""``GET /v1/users/{user_id}/wrapped/...``: a listener's year (or any range) in review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from service.deps import SessionDep, SettingsDep
from service.schemas.fields import IsoDate
from service.schemas.wrapped import (
    EXPORT_MEDIA,
    REFUSALS,
    TopSongsFormat,
    WrappedReport,
)
from service.settings import Settings
from wrapped.export import export
from wrapped.report import build_report
from wrapped.window import Window

router = APIRouter(prefix="/v1/users", tags=["wrapped"])

UserId = Annotated[str, Path(min_length=1, max_length=128)]
Year = Annotated[int, Path(ge=1970, le=9998, description="calendar year, local time")]
Tz = Annotated[
    str | None,
    Query(
        max_length=64,
        description="IANA timezone the window is local to; the listener's own by default",
        examples=["Europe/Amsterdam"],
    ),
]


def _build(
    session: Session, settings: Settings, user_id: str, window: Callable[[str], Window]
) -> WrappedReport:
    return build_report(session, user_id=user_id, window_for=window, rules=settings.wrapped.rules())


@router.get("/{user_id}/wrapped/{year}", response_model=WrappedReport, responses=REFUSALS)
def read_wrapped_year(
    session: SessionDep, settings: SettingsDep, user_id: UserId, year: Year, tz: Tz = None
) -> WrappedReport:
    """The listener's Wrapped for a calendar year in their timezone (or ``tz``): minutes,
    top artists, tracks, albums and genres, Top Songs, the listening clock, discoveries,
    behaviour, comparisons, a personality and the year month by month. Private plays count
    nowhere. Refused with 403 (opted out), 404 (unknown user, or nothing to wrap) or 409
    (not enough listening yet, with the numbers)."""
    return _build(session, settings, user_id, lambda own: Window.for_year(year, tz or own))


@router.get("/{user_id}/wrapped", response_model=WrappedReport, responses=REFUSALS)
def read_wrapped_range(
    session: SessionDep,
    settings: SettingsDep,
    user_id: UserId,
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="first local day; all time if omitted")
    ] = None,
    to: Annotated[
        IsoDate | None, Query(description="local day after the last; tomorrow if omitted")
    ] = None,
    tz: Tz = None,
) -> WrappedReport:
    """The same report for any range of local days ``[from, to)``: a month, a season, the
    last 365 days or all time (no ``from``; discoveries are then null)."""
    return _build(session, settings, user_id, lambda own: Window.between(from_, to, tz or own))


@router.get(
    "/{user_id}/wrapped/{year}/top-songs",
    response_class=Response,
    responses={200: {"content": EXPORT_MEDIA, "description": "the playlist file"}, **REFUSALS},
)
def export_top_songs(
    session: SessionDep,
    settings: SettingsDep,
    user_id: UserId,
    year: Year,
    format: Annotated[TopSongsFormat, Query(description="json, m3u, xspf or spotify")] = (
        TopSongsFormat.json
    ),
    tz: Tz = None,
) -> Response:
    """ "Your Top Songs" of the year (up to 100 tracks by streams) as JSON, an extended M3U
    playlist, XSPF, or ``spotify``: a ``text/uri-list`` of Spotify URIs (tracks without one
    are left out) that a Spotify playlist accepts when pasted."""
    report = _build(session, settings, user_id, lambda own: Window.for_year(year, tz or own))
    out = export(report, format)
    filename = f"top-songs-{year}.{out.extension}"
    return Response(
        out.content,
        media_type=out.media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
