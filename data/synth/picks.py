"""Which item each play is: favourites, the listener's taste clusters, the charts, podcasts.

Every draw is restricted to items released by the time of the play, so nothing is
heard before it exists. Tracks are kept in release order with one cumulative weight
row per taste cluster (plus one for overall popularity); "released by t" is then a
prefix and "released in the last 90 days" a slice, and a weighted draw from either is
one ``searchsorted`` for a whole block of plays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from data.synth import genres
from data.synth.catalog import Catalog
from data.synth.config import MS_PER_DAY

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

NEW_RELEASE_MS = 90 * MS_PER_DAY
NEW_RELEASE_SHARE = 0.12  # of non-favourite plays: the "new releases" bump
SECOND_CLUSTER_SHARE = 0.12
CHARTS_SHARE = 0.12  # of non-favourite plays: overall popularity, regardless of taste
RECENT_EPISODE_SHARE = 0.75
# Skip probability by where a play came from: favourites are rarely skipped.
SKIP_FAVOURITE, SKIP_TASTE, SKIP_SECOND, SKIP_CHARTS, SKIP_NEW = 0.07, 0.28, 0.38, 0.45, 0.32
SKIP_EPISODE = 0.10


@dataclass(frozen=True, slots=True)
class TrackSampler:
    """Weighted draws of tracks released in a time range, per taste cluster."""

    order: I64  # track ids by release time
    release: I64  # their release times, ascending
    flat: F64  # cumulative weights, row r shifted by 2r so the whole table is ascending
    width: int  # tracks + 1
    charts_row: int

    @classmethod
    def build(cls, catalog: Catalog, mixes: F64) -> TrackSampler:
        n = catalog.n_tracks
        order = np.argsort(catalog.release_ms[:n], kind="stable")
        like = genres.affinity(mixes, catalog.first_genre, catalog.second_genre)
        artist = catalog.creator[:n][order]
        pop = catalog.popularity[order]
        weights = np.vstack([like[:, artist] * pop, pop])
        cum = np.zeros((len(weights), n + 1))
        np.cumsum(weights, axis=1, out=cum[:, 1:])
        cum /= cum[:, -1:]
        cum += 2.0 * np.arange(len(weights))[:, None]
        return cls(order, catalog.release_ms[:n][order], cum.ravel(), n + 1, len(weights) - 1)

    def released_by(self, t: I64) -> I64:
        """How many tracks (a prefix of ``order``) are out at each time in ``t``."""
        return np.searchsorted(self.release, t, side="right")

    def draw(self, rng: np.random.Generator, row: I64, lo: I64, hi: I64) -> I64:
        """One track per element from ``order[lo:hi]``, weighted by cluster ``row``."""
        base = row * self.width
        low, high = self.flat[base + lo], self.flat[base + hi]
        target = low + rng.random(len(row)) * (high - low)
        pos = np.searchsorted(self.flat, target, side="right") - 1 - base
        picked: I64 = self.order[np.clip(pos, lo, hi - 1)]
        return picked


@dataclass(frozen=True, slots=True)
class EpisodeSampler:
    """Episodes of a show released by a time: mostly the latest, sometimes older ones."""

    key: I64  # show * span + (release - t0), ascending (episodes are ordered so)
    first: I64  # first episode of each show
    span: int
    t0: int
    offset: int  # item id of episode 0

    @classmethod
    def build(cls, catalog: Catalog, first_show_creator: int) -> EpisodeSampler:
        n = catalog.n_tracks
        show = catalog.creator[n:] - first_show_creator
        release = catalog.release_ms[n:]
        t0 = int(release.min())
        span = int(release.max()) - t0 + 2
        first = np.searchsorted(show, np.arange(int(show.max()) + 1))
        return cls(show * span + (release - t0), first, span, t0, n)

    def draw(self, rng: np.random.Generator, show: I64, t: I64) -> I64:
        """An episode item id per element, or -1 where the show has nothing out yet."""
        since = np.clip(t - self.t0, -1, self.span - 1)
        latest = np.searchsorted(self.key, show * self.span + since, side="right") - 1
        first = self.first[show]
        back = np.where(
            rng.random(len(show)) < RECENT_EPISODE_SHARE,
            rng.geometric(0.6, len(show)) - 1,
            (rng.random(len(show)) * (latest - first + 1)).astype(np.int64),
        )
        return np.where(latest >= first, self.offset + np.maximum(latest - back, first), -1)
