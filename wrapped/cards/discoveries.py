"""Artists first heard in the window: nothing of theirs anywhere earlier in the history."""

from __future__ import annotations

from datetime import date

import numpy as np
from pydantic import BaseModel

from wrapped.aggregate import Groups, ranked, share
from wrapped.context import Context
from wrapped.entries import ArtistEntry, amount
from wrapped.window import day_date

TOP_DISCOVERIES = 10


class Discovery(ArtistEntry):
    first_played: date


class Discoveries(BaseModel):
    """Music artists only. ``new_artist_share`` is the share of music listening time that
    went to new artists."""

    new_artists: int
    artists: int
    ms_played: int
    new_artist_share: float | None
    top: list[Discovery]


def new_artists(ctx: Context) -> Groups:
    """Listening per artist heard in the window and never before it."""
    g = ctx.by_artist
    new = ~np.isin(g.keys, ctx.heard_before)
    return Groups(g.keys[new], g.ms[new], g.streams[new])


def new_artist_share(ctx: Context) -> float | None:
    """None for an all-time window, where nothing can be new."""
    if ctx.window.first_day is None:
        return None
    return share(int(new_artists(ctx).ms.sum()), ctx.music_ms)


def discoveries(ctx: Context) -> Discoveries | None:
    if ctx.window.first_day is None:
        return None
    new = new_artists(ctx)
    top = []
    for i in ranked(new, TOP_DISCOVERIES, ctx.artist_name):
        artist = int(new.keys[i])
        top.append(
            Discovery(
                id=artist,
                name=ctx.artist_name(artist),
                first_played=day_date(ctx.first_day(artist)),
                **amount(int(new.ms[i]), int(new.streams[i])),
            )
        )
    ms = int(new.ms.sum())
    return Discoveries(
        new_artists=len(new),
        artists=len(ctx.by_artist),
        ms_played=ms,
        new_artist_share=share(ms, ctx.music_ms),
        top=top,
    )
