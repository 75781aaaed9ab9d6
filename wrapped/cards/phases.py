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
import numpy.typing as npt
from pydantic import BaseModel

from wrapped.aggregate import Pairs, group_pairs, leaders, minutes
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


I64 = npt.NDArray[np.int64]
Leader = tuple[int | None, str, int]  # (artist id, name, ms) of a week's leader


def _weekly(
    ctx: Context, week: I64
) -> tuple[list[int], list[int], list[Leader | None], list[Leader | None]]:
    """The weeks with music, their music time, and each one's top artist and genre."""
    music = ctx.music
    week, ms = week[music], ctx.plays.ms_played[music]
    by_artist = group_pairs(week, ctx.plays.artist[music], ms)
    weeks, starts = np.unique(by_artist.segment, return_index=True)
    totals = np.add.reduceat(by_artist.ms, starts) if starts.size else starts
    artists: list[Leader | None] = []
    for i in leaders(by_artist, ctx.artist_name).tolist():
        artist = int(by_artist.key[i])
        artists.append((artist, ctx.artist_name(artist), int(by_artist.ms[i])))
    return weeks.tolist(), totals.tolist(), artists, _genre_leaders(ctx, by_artist, weeks)


def _genre_leaders(ctx: Context, by_artist: Pairs, weeks: I64) -> list[Leader | None]:
    """Each week's top genre: every artist's time counts fully for each of its tags (as
    in :attr:`~wrapped.context.Context.by_genre`); ties by case-folded name, then name."""
    tags = [ctx.catalog.genres.get(a, ()) for a in ctx.by_artist.keys.tolist()]
    names = sorted({t for artist in tags for t in artist}, key=lambda g: (g.casefold(), g))
    code = {name: n for n, name in enumerate(names)}
    counts = np.array([len(t) for t in tags], dtype=np.int64)
    flat = np.array([code[t] for artist in tags for t in artist], dtype=np.int64)
    at = np.searchsorted(ctx.by_artist.keys, by_artist.key)
    repeat = counts[at]
    offsets = np.cumsum(counts) - counts
    total = int(repeat.sum())
    within = np.arange(total) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    genres = group_pairs(
        np.repeat(by_artist.segment, repeat),
        flat[np.repeat(offsets[at], repeat) + within],
        np.repeat(by_artist.ms, repeat),
        np.repeat(by_artist.streams, repeat),
    )
    out: list[Leader | None] = [None] * weeks.size
    for i in leaders(genres).tolist():
        out[int(np.searchsorted(weeks, genres.segment[i]))] = (
            None, names[int(genres.key[i])], int(genres.ms[i])
        )  # fmt: skip
    return out


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
