"""The phases of the year: stretches of weeks dominated by one artist or one genre.

A phase is a run of at least :data:`MIN_WEEKS` consecutive (Monday to Sunday, local) weeks
with the same top artist (or genre) by music time, in which that artist held at least
:data:`LIFT` times their share of the whole window: a stretch when they mattered more than
usual. An all-year favourite is no phase, however often they top a week; a week without
music ends a run. Phases are listed by start, artists before genres.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel

from wrapped.aggregate import group, minutes, ranked
from wrapped.context import Context
from wrapped.window import day_date

MIN_WEEKS = 2
LIFT = 2.0

Kind = Literal["artist", "genre"]


class Phase(BaseModel):
    kind: Kind
    name: str
    artist_id: int | None
    first_day: date
    last_day: date
    weeks: int
    ms_played: int
    minutes: int
    share: float


Leader = tuple[int | None, str, int]  # (artist id, name, ms) of a week's leader


def _weekly(
    ctx: Context, week: np.ndarray
) -> tuple[list[int], list[int], list[Leader | None], list[Leader | None]]:
    weeks = sorted(set(week[ctx.music].tolist()))
    totals: list[int] = []
    artists: list[Leader | None] = []
    genres: list[Leader | None] = []
    for w in weeks:
        mask = ctx.music & (week == w)
        g = group(ctx.plays.artist[mask], ctx.plays.ms_played[mask])
        total = int(g.ms.sum())
        totals.append(total)
        (best,) = ranked(g, 1, ctx.artist_name)
        artist = int(g.keys[best])
        artists.append((artist, ctx.artist_name(artist), int(g.ms[best])))
        by_genre: dict[str, tuple[int, int]] = {}
        for a, ms, streams in zip(g.keys.tolist(), g.ms.tolist(), g.streams.tolist(), strict=True):
            for genre in ctx.catalog.genres.get(a, ()):
                before = by_genre.get(genre, (0, 0))
                by_genre[genre] = (before[0] + ms, before[1] + streams)
        top = min(
            by_genre.items(),
            key=lambda kv: (-kv[1][0], -kv[1][1], kv[0].casefold(), kv[0]),
            default=None,
        )
        genres.append(None if top is None else (None, top[0], top[1][0]))
    return weeks, totals, artists, genres


def _key(lead: Leader | None) -> tuple[int | None, str] | None:
    return None if lead is None else (lead[0], lead[1])


def _runs(
    kind: Kind,
    ctx: Context,
    weeks: list[int],
    totals: list[int],
    leaders: list[Leader | None],
    usual: dict[str, float],
) -> list[Phase]:
    """Phases among the weekly ``leaders``; ``usual`` is each name's share of the window."""
    phases = []
    start = 0
    for end in range(1, len(weeks) + 1):
        lead = leaders[start]
        if (
            lead is not None
            and end < len(weeks)
            and weeks[end] == weeks[end - 1] + 1
            and _key(leaders[end]) == _key(lead)
        ):
            continue
        ms = sum(week[2] for week in leaders[start:end] if week is not None)
        held = ms / max(1, sum(totals[start:end]))
        if lead is not None and end - start >= MIN_WEEKS and held >= LIFT * usual[lead[1]]:
            first = day_date(weeks[start] * 7 - 3)  # the Monday of the week
            last = day_date(weeks[end - 1] * 7 + 3)  # its Sunday
            if ctx.window.first_day is not None:
                first = max(first, ctx.window.first_day)
            last = min(last, ctx.window.end_day - timedelta(days=1))
            phases.append(
                Phase(
                    kind=kind, name=lead[1], artist_id=lead[0], first_day=first, last_day=last,
                    weeks=end - start, ms_played=ms, minutes=minutes(ms),
                    share=round(held, 4),
                )
            )  # fmt: skip
        start = end
    return phases


def phases(ctx: Context) -> list[Phase]:
    week = np.floor_divide(ctx.local.day + 3, 7)  # weeks since Monday 1969-12-29
    weeks, totals, artists, genres = _weekly(ctx, week)
    total = max(1, ctx.music_ms)
    by_artist = {
        ctx.artist_name(int(a)): int(ms) / total
        for a, ms in zip(ctx.by_artist.keys, ctx.by_artist.ms, strict=True)
    }
    by_genre = {genre: ms / total for genre, (ms, _streams) in ctx.by_genre.items()}
    found = _runs("artist", ctx, weeks, totals, artists, by_artist) + _runs(
        "genre", ctx, weeks, totals, genres, by_genre
    )
    return sorted(found, key=lambda p: (p.first_day, p.kind, p.name))
