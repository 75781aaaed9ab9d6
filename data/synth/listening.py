"""The plays of one block of listeners: sessions, items, skips, and their times.

Plays are split into sessions (geometric lengths around each listener's mean),
sessions get start times from the daily and weekly rhythm, each play gets an item
and a length, and :func:`layout.place_sessions` puts the sessions on the time line.
Items are chosen at the session's drawn start; should the layout pull a session
earlier than an item's release, that session is re-drawn from the back catalog.
The result is sorted by (listener, start), which keeps the store's unique index
append-only during a bulk load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from data.synth import picks
from data.synth.layout import exclusive_cumsum, place_sessions, segment_starts
from data.synth.population import MIN_GAP_MS, MOBILE
from data.synth.rhythm import session_starts
from data.synth.world import World

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

REASON_START = ("trackdone", "fwdbtn", "backbtn", "clickrow", "playbtn", "appload", "remote")
REASON_END = ("trackdone", "fwdbtn", "backbtn", "endplay", "logout", "unexpected-exit-while-paused")
_NEXT_START = np.array([0, 1, 2, 3, 3, 3])  # what a play's end makes the next one's start
SKIP_MAX_MS = 30_000
FULL_TRACK_SHARE, FULL_EPISODE_SHARE = 0.9, 0.45
SECOND_PLATFORM_SHARE, OFFLINE_SHARE, PRIVATE_SHARE = 0.15, 0.03, 0.004
_MAX_FIXES = 20


@dataclass(frozen=True, slots=True)
class Plays:
    """Columns of the plays of one block, sorted by (user, start_ms)."""

    user: I64  # listener index in the population
    start_ms: I64
    item: I64  # item index in the catalog
    ms_played: I64
    skipped: B
    reason_start: I64  # index into REASON_START
    reason_end: I64  # index into REASON_END
    shuffle: B
    offline: B
    private: B
    platform: I64  # index into population.PLATFORMS

    def __len__(self) -> int:
        return len(self.user)

    def take(self, which: npt.NDArray[np.bool_] | I64) -> Plays:
        """The plays selected by a mask or by positions, in that order."""
        return Plays(*(getattr(self, name)[which] for name in self.__slots__))


def _favourites(rng: np.random.Generator, world: World, users: I64) -> tuple[I64, I64]:
    """Each listener's favourites in the order they come into rotation (one row each)."""
    pop, end = world.population, world.config.end_ms
    n_fav = np.clip(6 + pop.counts[users] // 25, 6, 150)
    owner = np.repeat(np.arange(len(users)), n_fav)
    slot = np.arange(len(owner)) - np.repeat(np.cumsum(n_fav) - n_fav, n_fav)
    begin = pop.begin_ms[users][owner]
    when = begin + ((slot + 0.5) / n_fav[owner] * (end - begin)).astype(np.int64)
    hi = world.tracks.released_by(when)
    new = rng.random(len(owner)) < 0.3
    lo = np.where(new, world.tracks.released_by(when - picks.NEW_RELEASE_MS), 0)
    lo = np.where(lo < hi, lo, 0)
    table = np.zeros((len(users), int(n_fav.max()) if len(users) else 0), dtype=np.int64)
    table[owner, slot] = world.tracks.draw(rng, pop.cluster[users][owner], lo, hi)
    return table, n_fav


def _choose(
    rng: np.random.Generator, world: World, user: I64, local: I64, t: I64, favs: tuple[I64, I64]
) -> tuple[I64, npt.NDArray[np.float64]]:
    """Item and skip probability of plays by ``user`` (``local``: row in ``favs``) at ``t``."""
    pop, cat, n = world.population, world.catalog, len(user)
    roll = rng.random(n)
    second = roll < picks.SECOND_CLUSTER_SHARE
    charts = (roll >= picks.SECOND_CLUSTER_SHARE) & (
        roll < picks.SECOND_CLUSTER_SHARE + picks.CHARTS_SHARE
    )
    row = np.where(second, pop.second_cluster[user], pop.cluster[user])
    row = np.where(charts, world.tracks.charts_row, row)
    hi = world.tracks.released_by(t)
    new = rng.random(n) < picks.NEW_RELEASE_SHARE
    lo = np.where(new, world.tracks.released_by(t - picks.NEW_RELEASE_MS), 0)
    new &= lo < hi
    item = world.tracks.draw(rng, row, np.where(new, lo, 0), hi)
    skip = np.select([charts, second], [picks.SKIP_CHARTS, picks.SKIP_SECOND], picks.SKIP_TASTE)
    skip = np.where(new, picks.SKIP_NEW, skip)

    table, n_fav = favs
    begin, end = pop.begin_ms[user], world.config.end_ms
    era = (t - begin) / np.maximum(end - begin, 1) * n_fav[local]
    slot = np.clip((era + rng.normal(0, 1, n) * np.maximum(1, 0.1 * n_fav[local])), 0, None)
    fav = table[local, np.minimum(slot.astype(np.int64), n_fav[local] - 1)]
    use_fav = (rng.random(n) < pop.p_favourite[user]) & (cat.release_ms[fav] <= t)
    item = np.where(use_fav, fav, item)
    skip = np.where(use_fav, picks.SKIP_FAVOURITE, skip)

    listens = rng.random(n) < pop.p_episode[user]
    show = np.where(rng.random(n) < 0.7, pop.show[user], pop.second_show[user])
    episode = world.episodes.draw(rng, show, t)
    listens &= episode >= 0
    item = np.where(listens, episode, item)
    skip = np.where(listens, picks.SKIP_EPISODE, skip * pop.skip_factor[user])
    return item, np.minimum(skip, 0.9)


def _lengths(
    rng: np.random.Generator, world: World, item: I64, skip_p: npt.NDArray[np.float64]
) -> tuple[I64, B, I64]:
    """ms played, whether skipped, and how each play ended (index into REASON_END)."""
    n, duration = len(item), world.catalog.duration_ms[item]
    skipped = rng.random(n) < skip_p
    episode = world.catalog.is_episode(item)
    full = rng.random(n) < np.where(episode, FULL_EPISODE_SHARE, FULL_TRACK_SHARE)
    partial = SKIP_MAX_MS + (rng.random(n) * (duration - SKIP_MAX_MS)).astype(np.int64)
    quick = 500 + (rng.beta(1.1, 2.2, n) * (SKIP_MAX_MS - 501)).astype(np.int64)
    ms = np.where(skipped, quick, np.where(full, duration, partial))
    roll = rng.random(n)
    skip_end = np.select([roll < 0.8, roll < 0.9], [1, 2], 3)
    stop_end = np.select([roll < 0.55, roll < 0.75], [3, 4], 5)
    end = np.where(skipped, skip_end, np.where(full, 0, stop_end))
    return ms, skipped, end


def generate_block(world: World, block: int) -> Plays:
    """The plays of the listeners in ``world.blocks[block]``, deterministic for the seed."""
    rng, pop, config = world.rng(block), world.population, world.config
    lo, hi = world.blocks[block]
    users = np.arange(lo, hi)
    local = np.repeat(np.arange(hi - lo), pop.counts[lo:hi])
    user = users[local]
    n = len(user)
    if not n:
        nothing, no = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        return Plays(nothing, nothing, nothing, nothing, no, nothing, nothing, no, no, no, nothing)

    breaks = rng.random(n) < 1.0 / pop.session_len[user]
    breaks[segment_starts(user)] = True
    session = np.cumsum(breaks) - 1
    s_user = user[breaks]
    raw = session_starts(
        rng, pop.begin_ms[s_user], config.end_ms, pop.zone[s_user], pop.shift_h[s_user],
        world.offsets, world.first_day,
    )  # fmt: skip
    raw = raw[np.lexsort((raw, s_user))]
    n_sessions = len(s_user)
    platform = np.where(
        rng.random(n_sessions) < SECOND_PLATFORM_SHARE,
        pop.second_platform[s_user],
        pop.platform[s_user],
    )
    shuffle = rng.random(n_sessions) < pop.p_shuffle[s_user]
    offline = (platform < len(MOBILE)) & (rng.random(n_sessions) < OFFLINE_SHARE)
    private = rng.random(n_sessions) < PRIVATE_SHARE

    favs = _favourites(rng, world, users)
    item, skip_p = _choose(rng, world, user, local, raw[session], favs)
    ms, skipped, end = _lengths(rng, world, item, skip_p)
    gap = rng.integers(0, 2_500, n)
    release = world.catalog.release_ms
    for _ in range(_MAX_FIXES):
        step = ms + gap
        placed = place_sessions(
            raw, np.add.reduceat(step, np.flatnonzero(breaks)), s_user,
            pop.begin_ms[s_user], config.end_ms, MIN_GAP_MS,
        )  # fmt: skip
        start = placed[session] + exclusive_cumsum(step, session)
        early = np.isin(session, session[release[item] > start])
        if not early.any():
            break
        back = np.full(int(early.sum()), config.start_ms)
        item[early], skip_p[early] = _choose(rng, world, user[early], local[early], back, favs)
        ms[early], skipped[early], end[early] = _lengths(rng, world, item[early], skip_p[early])
    else:
        raise RuntimeError("synthetic plays kept landing before their items' release")

    first_reason = rng.choice(np.array([3, 4, 5, 6]), size=n, p=[0.45, 0.25, 0.25, 0.05])
    follows = _NEXT_START[np.r_[0, end[:-1]]]
    return Plays(
        user=user,
        start_ms=start,
        item=item,
        ms_played=ms,
        skipped=skipped,
        reason_start=np.where(breaks, first_reason, follows),
        reason_end=end,
        shuffle=shuffle[session],
        offline=offline[session],
        private=private[session],
        platform=platform[session],
    )
