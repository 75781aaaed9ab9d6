"""``GET /v1/users/{user_id}/wrapped/...``: a listener's year (or any range) in review.

A report stored by ``encore wrapped build`` is served while it is fresh (the listener's
history has not changed since); otherwise it is computed on the spot. The JSON answers
say which in the ``x-wrapped-computed`` header (``stored`` or ``live``), and a stored one
when it was built in ``x-wrapped-built-at``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from service.deps import ModelDep, SessionDep, SettingsDep
from service.recs.index import Served
from service.schemas.fields import IsoDate
from service.schemas.wrapped import (
    EXPORT_MEDIA,
    REFUSALS,
    TopSongsFormat,
    WrappedReport,
)
from service.settings import Settings
from service.wrapped_missed import missed_for
from wrapped.export import export
from wrapped.population import Cached
from wrapped.stored import Loaded, load_report
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


def get_population(request: Request) -> Cached:
    """The server's cache of everyone's listening, which on-demand comparisons rank in
    (one per app, made on first use)."""
    state = request.app.state
    if getattr(state, "wrapped_population", None) is None:
        settings: Settings = state.settings
        state.wrapped_population = Cached(settings.wrapped.population_cache_seconds)
    population: Cached = state.wrapped_population
    return population


PopulationDep = Annotated[Cached, Depends(get_population)]


def load(
    session: Session,
    settings: Settings,
    served: Served | None,
    population: Cached | None,
    user_id: str,
    window: Callable[[str], Window],
) -> Loaded:
    """The report the routes answer with: stored when fresh, else computed with the
    active model (if any) filling "you might have missed"."""
    return load_report(
        session, user_id=user_id, window_for=window, rules=settings.wrapped.rules(),
        recommender=missed_for(served), population=population,
    )  # fmt: skip


def as_json(loaded: Loaded) -> Response:
    headers: dict[str, str] = {"x-wrapped-computed": loaded.computed}
    if loaded.built_at is not None:
        headers["x-wrapped-built-at"] = loaded.built_at.isoformat()
    return Response(loaded.json, media_type="application/json", headers=headers)


@router.get("/{user_id}/wrapped/{year}", response_model=WrappedReport, responses=REFUSALS)
def read_wrapped_year(
    session: SessionDep,
    settings: SettingsDep,
    served: ModelDep,
    population: PopulationDep,
    user_id: UserId,
    year: Year,
    tz: Tz = None,
) -> Response:
    """The listener's Wrapped for a calendar year in their timezone (or ``tz``): minutes,
    top artists, tracks, albums and genres, Top Songs, the listening clock, discoveries,
    behaviour, comparisons, a personality, the year month by month and tracks they might
    have missed. Private plays count nowhere. Served from the stored build while the
    listener's history is unchanged (header ``x-wrapped-computed: stored``), else computed
    now (``live``). Refused with 403 (opted out), 404 (unknown user, or nothing to wrap)
    or 409 (not enough listening yet, with the numbers)."""
    window = lambda own: Window.for_year(year, tz or own)  # noqa: E731
    return as_json(load(session, settings, served, population, user_id, window))


@router.get("/{user_id}/wrapped", response_model=WrappedReport, responses=REFUSALS)
def read_wrapped_range(
    session: SessionDep,
    settings: SettingsDep,
    served: ModelDep,
    population: PopulationDep,
    user_id: UserId,
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="first local day; all time if omitted")
    ] = None,
    to: Annotated[
        IsoDate | None, Query(description="local day after the last; tomorrow if omitted")
    ] = None,
    tz: Tz = None,
) -> Response:
    """The same report for any range of local days ``[from, to)``: a month, a season, the
    last 365 days or all time (no ``from``; discoveries are then null)."""
    window = lambda own: Window.between(from_, to, tz or own)  # noqa: E731
    return as_json(load(session, settings, served, population, user_id, window))


@router.get(
    "/{user_id}/wrapped/{year}/top-songs",
    response_class=Response,
    responses={200: {"content": EXPORT_MEDIA, "description": "the playlist file"}, **REFUSALS},
)
def export_top_songs(
    session: SessionDep,
    settings: SettingsDep,
    served: ModelDep,
    population: PopulationDep,
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
    window = lambda own: Window.for_year(year, tz or own)  # noqa: E731
    out = export(load(session, settings, served, population, user_id, window).report(), format)
    filename = f"top-songs-{year}.{out.extension}"
    return Response(
        out.content,
        media_type=out.media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
