"""Minutes, streams and distinct counts; podcasts and videos apart from music."""

from __future__ import annotations

import numpy as np

from models.wrapped import NO_ALBUM
from wrapped.aggregate import STREAM_MS
from wrapped.context import EPISODE, VIDEO, Context, Mask
from wrapped.entries import Amount, amount


class MusicTotals(Amount):
    tracks: int
    artists: int
    albums: int


class PodcastTotals(Amount):
    episodes: int
    shows: int


class VideoTotals(Amount):
    videos: int


class Totals(Amount):
    """Every play counts towards time and plays, including zero-length ones (which add no
    time); distinct counts consider plays with listening time only."""

    plays: int
    music: MusicTotals
    podcasts: PodcastTotals
    videos: VideoTotals


def _distinct(values: np.ndarray, mask: Mask) -> int:
    return int(np.unique(values[mask]).size)


def _amount(ctx: Context, mask: Mask) -> dict[str, int]:
    ms = ctx.plays.ms_played[mask]
    return amount(int(ms.sum()), int((ms >= STREAM_MS).sum()))


def totals(ctx: Context) -> Totals:
    plays, heard = ctx.plays, ctx.heard
    music = ctx.music
    episodes = heard & (plays.kind == EPISODE)
    videos = heard & (plays.kind == VIDEO)
    return Totals(
        plays=len(plays),
        **_amount(ctx, np.ones(len(plays), dtype=np.bool_)),
        music=MusicTotals(
            tracks=_distinct(plays.item, music),
            artists=_distinct(plays.artist, music),
            albums=_distinct(plays.album, music & (plays.album != NO_ALBUM)),
            **_amount(ctx, music),
        ),
        podcasts=PodcastTotals(
            episodes=_distinct(plays.item, episodes),
            shows=_distinct(plays.artist, episodes),
            **_amount(ctx, episodes),
        ),
        videos=VideoTotals(videos=_distinct(plays.item, videos), **_amount(ctx, videos)),
    )
