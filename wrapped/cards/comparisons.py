"""Where the listener stands: among all listeners by listening time, among their top
artist's listeners, and against their own listening a year earlier.

Percentiles compare with everyone who listened over the same UTC window and opted out of
neither Wrapped nor comparisons, and are shown only among at least
``rules.min_comparison_users`` listeners. Equal listening time shares a rank.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from wrapped.aggregate import STREAM_MS, minutes
from wrapped.context import TRACK, Context


class Standing(BaseModel):
    """``rank`` 1 is the most listening; ``top_percent`` is rank over listeners, rounded up
    to a tenth ("top 3% of listeners")."""

    listeners: int
    rank: int
    top_percent: float


class ArtistStanding(Standing):
    artist_id: int
    artist: str


class YearOverYear(BaseModel):
    """The same window a year earlier; changes are percentages (null from zero)."""

    previous: str
    ms_played: int
    minutes: int
    streams: int
    artists: int
    minutes_change: float | None
    streams_change: float | None


class Comparisons(BaseModel):
    min_listeners: int
    listeners: Standing | None
    top_artist: ArtistStanding | None
    year_over_year: YearOverYear | None


def standing(everyone: npt.NDArray[np.int64], mine: int, minimum: int) -> Standing | None:
    if everyone.size < minimum or mine <= 0:
        return None
    rank = 1 + everyone.size - int(np.searchsorted(everyone, mine, "right"))  # ascending
    return Standing(
        listeners=int(everyone.size),
        rank=rank,
        top_percent=math.ceil(1000 * rank / everyone.size) / 10,
    )


def _change(now: int, before: int) -> float | None:
    return round(100 * (now - before) / before, 1) if before > 0 else None


def year_over_year(ctx: Context) -> YearOverYear | None:
    before = ctx.previous
    window = ctx.window.previous()
    if before is None or window is None or len(before) == 0:
        return None
    ms = int(before.ms_played.sum())
    streams = int((before.ms_played >= STREAM_MS).sum())
    music = (before.kind == TRACK) & (before.ms_played > 0)
    now_ms = int(ctx.plays.ms_played.sum())
    return YearOverYear(
        previous=window.label,
        ms_played=ms,
        minutes=minutes(ms),
        streams=streams,
        artists=int(np.unique(before.artist[music]).size),
        minutes_change=_change(now_ms, ms),
        streams_change=_change(int(ctx.streams.sum()), streams),
    )


def comparisons(ctx: Context) -> Comparisons:
    minimum = ctx.rules.min_comparison_users
    listeners = artist = None
    pop = ctx.population
    if pop is not None:
        listeners = standing(pop.ms_by_user, int(ctx.plays.ms_played.sum()), minimum)
        at = None if pop.artist_id is None else ctx.by_artist.find(pop.artist_id)
        if pop.artist_id is not None and at is not None:
            mine = standing(pop.artist_ms_by_user, int(ctx.by_artist.ms[at]), minimum)
            if mine is not None:
                artist = ArtistStanding(
                    artist_id=pop.artist_id,
                    artist=ctx.artist_name(pop.artist_id),
                    **mine.model_dump(),
                )
    return Comparisons(
        min_listeners=minimum,
        listeners=listeners,
        top_artist=artist,
        year_over_year=year_over_year(ctx),
    )
