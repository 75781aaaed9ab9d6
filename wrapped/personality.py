"""A listening personality: one archetype on each of three axes, read off the numbers.

=========  ===========  =================================================================
axis       archetype    rule (first match wins)
=========  ===========  =================================================================
discovery  explorer     at least 25% of music time went to artists new in the window
                        (:mod:`wrapped.cards.discoveries`) and the top 5 artists held
                        less than half of it
discovery  loyalist     otherwise
clock      early bird   05:00-10:00 (local) holds at least 25% of all listening time, and
                        more than 22:00-04:00 does
clock      night owl    22:00-04:00 holds at least 25%, and more than 05:00-10:00 does
clock      daytimer     otherwise
variety    eclectic     the effective number of genres, 2 to the Shannon entropy (bits) of
                        the genres' shares of music time, is at least 6
variety    focused      otherwise
=========  ===========  =================================================================

When no artist heard has genre tags, variety reads artists instead, with eclectic from 30
effective artists. The discovery axis is left out of all-time windows, where every artist is
new. Each archetype comes with one sentence that explains it with the listener's numbers,
and the numbers themselves; everything is a pure function of the report's context, so the
same listening always gets the same personality.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel

from wrapped.aggregate import share
from wrapped.cards.discoveries import new_artist_share
from wrapped.context import Context

EXPLORER_NEW_SHARE = 0.25
EXPLORER_MAX_TOP5_SHARE = 0.5
CLOCK_SHARE = 0.25
MORNING_HOURS = (5, 6, 7, 8, 9)
NIGHT_HOURS = (22, 23, 0, 1, 2, 3)
ECLECTIC_GENRES = 6.0
ECLECTIC_ARTISTS = 30.0

Axis = Literal["discovery", "clock", "variety"]


class Archetype(BaseModel):
    axis: Axis
    name: str
    label: str
    explanation: str
    value: float


class Personality(BaseModel):
    """``summary`` is one sentence naming the archetypes; each explains itself."""

    summary: str
    archetypes: list[Archetype]


def _pct(value: float) -> str:
    return f"{round(100 * value)}%"


def effective_number(amounts: list[int] | np.ndarray) -> float:
    """2 to the Shannon entropy (bits) of the shares: how many equally played things would
    give the same spread."""
    values = np.asarray(amounts, dtype=np.float64)
    values = values[values > 0]
    if values.size == 0:
        return 0.0
    p = values / values.sum()
    return float(2 ** -(p * np.log2(p)).sum())


def discovery(ctx: Context) -> Archetype | None:
    new = new_artist_share(ctx)
    if new is None:
        return None
    top5 = share(int(np.sort(ctx.by_artist.ms)[::-1][:5].sum()), ctx.music_ms) or 0.0
    if new >= EXPLORER_NEW_SHARE and top5 < EXPLORER_MAX_TOP5_SHARE:
        return Archetype(
            axis="discovery", name="explorer", label="Explorer", value=new,
            explanation=f"{_pct(new)} of your music time went to artists you had never "
            "played before.",
        )  # fmt: skip
    return Archetype(
        axis="discovery", name="loyalist", label="Loyalist", value=top5,
        explanation=f"You kept coming back: your top 5 artists held {_pct(top5)} of your "
        f"music time, and artists new to you {_pct(new)}.",
    )  # fmt: skip


def clock(ctx: Context) -> Archetype:
    ms = ctx.plays.ms_played
    total = int(ms.sum())
    morning = share(int(ms[np.isin(ctx.local.hour, MORNING_HOURS)].sum()), total) or 0.0
    night = share(int(ms[np.isin(ctx.local.hour, NIGHT_HOURS)].sum()), total) or 0.0
    if morning >= CLOCK_SHARE and morning > night:
        return Archetype(
            axis="clock", name="early_bird", label="Early bird", value=morning,
            explanation=f"{_pct(morning)} of your listening happened between 05:00 and 10:00.",
        )  # fmt: skip
    if night >= CLOCK_SHARE and night > morning:
        return Archetype(
            axis="clock", name="night_owl", label="Night owl", value=night,
            explanation=f"{_pct(night)} of your listening happened between 22:00 and 04:00.",
        )  # fmt: skip
    return Archetype(
        axis="clock", name="daytimer", label="Daytimer", value=1 - morning - night,
        explanation=f"You listened mostly by day: {_pct(morning)} of your time before 10:00 "
        f"and {_pct(night)} after 22:00.",
    )  # fmt: skip


def variety(ctx: Context) -> Archetype:
    genres = [ms for ms, _streams in ctx.by_genre.values()]
    if genres:
        spread, threshold, what = effective_number(genres), ECLECTIC_GENRES, "genres"
    else:
        spread, threshold, what = effective_number(ctx.by_artist.ms), ECLECTIC_ARTISTS, "artists"
    about = f"about {max(1, round(spread))} {what}"
    if spread >= threshold:
        return Archetype(
            axis="variety", name="eclectic", label="Eclectic", value=round(spread, 2),
            explanation=f"Your music time spread as evenly as if you had played {about} "
            "equally.",
        )  # fmt: skip
    return Archetype(
        axis="variety", name="focused", label="Focused", value=round(spread, 2),
        explanation=f"Your music time centred on the equivalent of {about} played equally.",
    )  # fmt: skip


def _article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def personality(ctx: Context) -> Personality | None:
    if ctx.music_ms == 0:
        return None
    found = discovery(ctx)
    when, spread = clock(ctx), variety(ctx)
    who = (found.label if found else "listener").lower()
    summary = (
        f"You're {_article(spread.label.lower() + ' ' + who)} and {_article(when.label.lower())}."
    )
    archetypes = [a for a in (found, when, spread) if a is not None]
    return Personality(summary=summary, archetypes=archetypes)
