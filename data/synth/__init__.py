"""Realistic synthetic listening histories, for demos, benchmarks and recommender tests.

``encore data synth`` drives it. One seed and a :class:`SynthConfig` name one
history: a catalog with Zipf-like popularity, genres and releases over time;
listeners in taste clusters (so collaborative filtering has signal to find) with
heavy-tailed activity, time zones and habits; sessions that follow a daily and
weekly rhythm, with skips and podcasts. It is generated in blocks of listeners, so
memory stays bounded, and either stored through the bulk path
(:func:`store_history`) or written as a Spotify export (:func:`write_spotify_json`).

Modules: ``config`` (parameters), ``catalog``, ``genres``, ``names``, ``population``,
``rhythm``, ``picks`` (which item), ``layout`` (when), ``listening`` (one block),
``world`` (what blocks share), ``load`` and ``spotify`` (where it goes).
"""

from data.synth.config import SynthConfig, SynthError
from data.synth.load import LoadResult, store_history
from data.synth.spotify import write_spotify_json
from data.synth.world import World, build_world

__all__ = [
    "LoadResult", "SynthConfig", "SynthError", "World", "build_world", "store_history",
    "write_spotify_json",
]  # fmt: skip
