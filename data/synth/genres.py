"""Genres and taste clusters: why listeners in one cluster end up sharing items.

Genres are ordered so that neighbours are related; an artist's second genre is a
neighbour of its first. A taste cluster is a sparse mix over genres (a few genres
carry most of it), so clusters overlap a little, as real taste communities do.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

GENRES = (
    "pop", "dance pop", "k-pop", "electropop", "synthwave", "house", "techno",
    "drum and bass", "ambient", "lo-fi", "jazz", "bossa nova", "soul", "r&b", "funk",
    "disco", "hip hop", "trap", "rap", "afrobeats", "dancehall", "reggae", "latin",
    "reggaeton", "country", "americana", "folk", "singer-songwriter", "indie pop",
    "indie rock", "alternative", "grunge", "rock", "punk", "metal", "classical",
    "soundtrack",
)  # fmt: skip
SECOND_GENRE_SHARE = 0.6
SECOND_GENRE_WEIGHT = 0.5


def artist_genres(
    rng: np.random.Generator, n_artists: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each artist's main genre (a few genres hold most artists) and second genre, or -1."""
    n = len(GENRES)
    share = 1.0 / (rng.permutation(n) + 3.0)
    first = rng.choice(n, size=n_artists, p=share / share.sum())
    step = rng.choice(np.array([-2, -1, 1, 2]), size=n_artists)
    second = np.clip(first + step, 0, n - 1)
    second[(second == first) | (rng.random(n_artists) >= SECOND_GENRE_SHARE)] = -1
    return first, second


def cluster_mixes(rng: np.random.Generator, n_clusters: int) -> npt.NDArray[np.float64]:
    """One genre mix per cluster, rows summing to 1: mostly two to four genres."""
    n = len(GENRES)
    mixes = rng.dirichlet(np.full(n, 0.12), size=n_clusters)
    # Every cluster anchors on a different main genre, so no two clusters coincide.
    anchors = rng.permutation(n)[: min(n_clusters, n)]
    anchors = np.resize(anchors, n_clusters)
    mixes[np.arange(n_clusters), anchors] += 1.0
    mixes += 0.01 / n
    normalised: npt.NDArray[np.float64] = mixes / mixes.sum(axis=1, keepdims=True)
    return normalised


def affinity(
    mixes: npt.NDArray[np.float64],
    first: npt.NDArray[np.int64],
    second: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """How much each cluster (rows) likes each artist (columns), from the artist's genres."""
    out = mixes[:, first].copy()
    has_second = second >= 0
    out[:, has_second] += SECOND_GENRE_WEIGHT * mixes[:, second[has_second]]
    return out
