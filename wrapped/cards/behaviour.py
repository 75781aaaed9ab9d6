"""How the listening happened: skipping, shuffling, and plays that came from
recommendations (events carrying a ``rec_id``)."""

from __future__ import annotations

from pydantic import BaseModel

from models.wrapped import UNKNOWN
from wrapped.aggregate import share
from wrapped.context import Context


class Behaviour(BaseModel):
    """``skip_rate`` is skipped plays over plays whose client reported skipping;
    ``shuffle_share`` the share of listening time in shuffle mode, over plays that reported
    it; ``recommended_share`` the share of all listening time attributed to a
    recommendation. Each is null when nothing reported it."""

    skip_rate: float | None
    skips: int
    shuffle_share: float | None
    recommended_share: float | None
    recommended_ms: int


def behaviour(ctx: Context) -> Behaviour:
    plays = ctx.plays
    ms = plays.ms_played
    reported_skip = plays.skipped != UNKNOWN
    skips = int((plays.skipped == 1).sum())
    reported_shuffle = plays.shuffle != UNKNOWN
    recommended = int(ms[plays.from_rec].sum())
    return Behaviour(
        skip_rate=share(skips, int(reported_skip.sum())),
        skips=skips,
        shuffle_share=share(int(ms[plays.shuffle == 1].sum()), int(ms[reported_shuffle].sum())),
        recommended_share=share(recommended, int(ms.sum())),
        recommended_ms=recommended,
    )
