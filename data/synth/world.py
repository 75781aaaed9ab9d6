"""Everything shared by all blocks of one history: catalog, listeners, samplers, blocks.

Random streams are derived from the seed by purpose (catalog, listeners, block i),
so a block's plays depend only on the seed and the configuration, not on which
other blocks are generated: writing one listener's file reproduces exactly the
plays the store load would insert for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from data.synth import genres
from data.synth.catalog import Catalog, build_catalog
from data.synth.config import MS_PER_DAY, SynthConfig
from data.synth.picks import EpisodeSampler, TrackSampler
from data.synth.population import Population, build_population
from data.synth.rhythm import offset_table

BLOCK_EVENTS = 100_000  # plays per block, roughly: bounds memory, and one commit each
_CATALOG, _TASTE, _POPULATION, _BLOCKS = range(4)


@dataclass(frozen=True, slots=True)
class World:
    """The shared parts of one history; see the module docstring."""

    config: SynthConfig
    catalog: Catalog
    population: Population
    tracks: TrackSampler
    episodes: EpisodeSampler
    offsets: npt.NDArray[np.int64]
    first_day: int
    blocks: list[tuple[int, int]]  # listener ranges [lo, hi)

    def rng(self, block: int) -> np.random.Generator:
        return _rng(self.config.seed, _BLOCKS, block)

    def block_of(self, user: int) -> int:
        return next(i for i, (lo, hi) in enumerate(self.blocks) if lo <= user < hi)


def _rng(seed: int, *purpose: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=purpose))


def plan_blocks(counts: npt.NDArray[np.int64], size: int = BLOCK_EVENTS) -> list[tuple[int, int]]:
    """Consecutive listener ranges of about ``size`` plays (a listener is never split)."""
    ends = np.cumsum(counts)
    bounds = [0]
    while bounds[-1] < len(counts):
        done = int(ends[bounds[-1] - 1]) if bounds[-1] else 0
        nxt = int(np.searchsorted(ends, done + size, side="left")) + 1
        bounds.append(min(max(nxt, bounds[-1] + 1), len(counts)))
    return list(pairwise(bounds))


def build_world(config: SynthConfig) -> World:
    catalog = build_catalog(_rng(config.seed, _CATALOG), config)
    mixes = genres.cluster_mixes(_rng(config.seed, _TASTE), config.n_clusters)
    population = build_population(_rng(config.seed, _POPULATION), config)
    first_day = config.start_ms // MS_PER_DAY - 2
    n_days = config.end_ms // MS_PER_DAY - first_day + 3
    return World(
        config=config,
        catalog=catalog,
        population=population,
        tracks=TrackSampler.build(catalog, mixes),
        episodes=EpisodeSampler.build(catalog, len(catalog.artist_names)),
        offsets=offset_table(first_day, n_days),
        first_day=first_day,
        blocks=plan_blocks(population.counts),
    )
