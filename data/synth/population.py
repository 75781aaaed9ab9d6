"""The listeners: taste, activity, habits and how many plays each one gets.

Activity is log-normal (a few heavy listeners, many light ones). Plays are shared
out in proportion to activity, capped per listener at what fits in the time they
are around (about 45 % of it listening or between sessions), so the layout never
has to cram sessions; the cap's excess goes to the others. A quarter of listeners
join during the window rather than before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from data.synth import rhythm
from data.synth.config import MS_PER_DAY, SynthConfig, SynthError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

MOBILE = ("android", "ios")
DESKTOP = ("windows", "osx", "web_player", "linux", "cast")
PLATFORMS = MOBILE + DESKTOP
MIN_GAP_MS = 30 * 60_000
BUSY_SHARE = 0.45
LATE_JOINERS = 0.25
TRACK_PLAY_MS = 170_000  # a mean track play, skips included
EPISODE_PLAY_MS = 2_400_000


@dataclass(frozen=True, slots=True)
class Population:
    """One entry per listener; ``counts`` sums to the requested number of events."""

    ids: list[str]
    cluster: I64
    second_cluster: I64
    counts: I64
    begin_ms: I64
    zone: I64
    shift_h: I64
    platform: I64
    second_platform: I64
    session_len: F64  # mean plays per session
    p_favourite: F64
    p_episode: F64
    show: I64  # the podcasts a listener follows, if any
    second_show: I64
    p_shuffle: F64
    skip_factor: F64

    def __len__(self) -> int:
        return len(self.ids)


def user_ids(n: int) -> list[str]:
    width = max(6, len(str(n - 1)))
    return [f"synth-{i:0{width}d}" for i in range(n)]


def allocate(total: int, activity: F64, cap: I64) -> I64:
    """Integer shares of ``total`` proportional to ``activity``, none above ``cap``.

    Everyone gets at least one play when there are enough to go round.
    """
    floor = np.minimum(1 if total >= len(activity) else 0, cap)
    rest, room = total - int(floor.sum()), (cap - floor).astype(np.float64)
    share = np.zeros(len(activity))
    free = room > 0
    while free.any():
        share[free] += (rest - share.sum()) * activity[free] / activity[free].sum()
        over = share > room
        if not over.any():
            break
        share[over] = room[over]
        free &= ~over
    counts = floor + np.floor(share).astype(np.int64)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    while (missing := total - int(counts.sum())) > 0:
        open_ = order[counts[order] < cap][:missing]
        if not len(open_):
            raise SynthError(f"cannot place {missing} more plays under the per-listener caps")
        counts[open_] += 1
    return counts


def build_population(rng: np.random.Generator, config: SynthConfig) -> Population:
    n, k = config.users, config.n_clusters
    cluster_share = 1.0 / (np.arange(k) + 2.0) ** 0.7
    cluster = rng.choice(k, size=n, p=cluster_share / cluster_share.sum())
    second = (cluster + rng.integers(1, max(k, 2), n)) % k
    start, end = config.start_ms, config.end_ms
    late = rng.random(n) < LATE_JOINERS
    begin = np.where(late, start + (rng.random(n) * 0.8 * (end - start)).astype(np.int64), start)
    session_len = np.clip(rng.lognormal(np.log(8.0), 0.5, n), 2.0, 40.0)
    podcast_fan = rng.random(n) < 0.3
    p_episode = np.where(podcast_fan, rng.uniform(0.05, 0.25, n), 0.0)
    play_ms = (1 - p_episode) * TRACK_PLAY_MS + p_episode * EPISODE_PLAY_MS
    cap = (BUSY_SHARE * (end - begin) / (play_ms + MIN_GAP_MS / session_len)).astype(np.int64)
    if config.events > cap.sum():
        days = (end - start) / MS_PER_DAY
        who = f"{n} listener" + ("s" if n != 1 else "")
        raise SynthError(
            f"{config.events} events do not fit {who} over {days:g} days "
            f"(at most about {int(cap.sum())}); add users or widen the window"
        )
    mobile = rng.random(n) < 0.85
    platform = np.where(
        mobile, rng.integers(0, len(MOBILE), n), len(MOBILE) + rng.integers(0, len(DESKTOP), n)
    )
    return Population(
        ids=user_ids(n),
        cluster=cluster,
        second_cluster=second,
        counts=allocate(config.events, rng.lognormal(0.0, 1.1, n), cap),
        begin_ms=begin,
        zone=rng.choice(len(rhythm.ZONES), size=n, p=rhythm.zone_shares()),
        shift_h=rng.choice(rhythm.CHRONOTYPES, size=n),
        platform=platform,
        second_platform=len(MOBILE) + rng.integers(0, len(DESKTOP), n),
        session_len=session_len,
        p_favourite=rng.beta(3.0, 5.0, n),
        p_episode=p_episode,
        show=rng.integers(0, config.n_shows, n),
        second_show=rng.integers(0, config.n_shows, n),
        p_shuffle=rng.beta(2.0, 2.0, n),
        skip_factor=rng.lognormal(0.0, 0.3, n),
    )
