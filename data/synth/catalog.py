"""The synthetic catalog: artists with genres, albums released over time, tracks, podcasts.

Items are numbered tracks first, then episodes. Popularity is a product of Zipf-like
artist popularity, a per-album "hit" factor and a per-track factor, which gives the
long tail seen in real play counts. Most albums are back catalog (released before
the window); the rest come out during it, so new releases keep appearing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from data.synth import genres, names
from data.synth.config import MS_PER_DAY, SynthConfig

BACK_CATALOG_SHARE = 0.6
BACK_CATALOG_YEARS = 12
TRACKS_PER_ALBUM = 6
EPISODES_PER_SHOW_MAX = 400
WEEK_MS = 7 * MS_PER_DAY

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Catalog:
    """Columns per item (``n_tracks`` tracks, then episodes) and per artist."""

    n_tracks: int
    creator: I64  # index into creator_names
    creator_names: list[str]  # artists, then shows
    titles: list[str]
    albums: list[str | None]
    uris: list[str]
    duration_ms: I64
    release_ms: I64
    popularity: F64  # tracks only
    artist_names: list[str]
    first_genre: I64
    second_genre: I64
    show_names: list[str]

    @property
    def n_items(self) -> int:
        return len(self.titles)

    def is_episode(self, items: I64) -> npt.NDArray[np.bool_]:
        return items >= self.n_tracks


def _zipf_weights(rng: np.random.Generator, n: int, exponent: float) -> F64:
    return np.asarray(1.0 / (rng.permutation(n) + 1.0) ** exponent, dtype=np.float64)


def _tracks(
    rng: np.random.Generator, config: SynthConfig, artist_pop: F64
) -> tuple[I64, I64, I64, F64]:
    """Artist, album number, release time and popularity of every track."""
    n_tracks, n_artists = config.n_tracks, len(artist_pop)
    share = artist_pop**0.35 * rng.lognormal(0.0, 0.5, n_artists)
    counts = 1 + rng.multinomial(n_tracks - n_artists, share / share.sum())
    artist = np.repeat(np.arange(n_artists), counts)
    starts_album = rng.random(n_tracks) < 1.0 / TRACKS_PER_ALBUM
    starts_album[np.cumsum(counts) - counts] = True  # every artist starts a new album
    album = np.cumsum(starts_album) - 1
    n_albums = int(album[-1]) + 1
    start, end = config.start_ms, config.end_ms
    back = rng.random(n_albums) < BACK_CATALOG_SHARE
    back_start = start - BACK_CATALOG_YEARS * 365 * MS_PER_DAY
    album_release = np.where(
        back, rng.integers(back_start, start, n_albums), rng.integers(start, end, n_albums)
    )
    # The top artist's first album is always out before the window: every draw has a candidate.
    album_release[np.argmax(artist_pop[artist[starts_album]])] = start - MS_PER_DAY
    index = np.arange(n_tracks)
    in_album = index - np.maximum.accumulate(np.where(starts_album, index, 0))
    hit = rng.lognormal(0.0, 1.0, n_albums)[album]
    popularity = (
        artist_pop[artist] * hit * rng.lognormal(0.0, 0.8, n_tracks) / (in_album + 1.0) ** 0.6
    )
    return artist, album, album_release[album], popularity


def _episodes(rng: np.random.Generator, config: SynthConfig, n_shows: int) -> tuple[I64, I64, I64]:
    """Show, release time and duration of every episode: weekly from each show's start."""
    start, end = config.start_ms, config.end_ms
    first = rng.integers(start - 104 * WEEK_MS, start + (end - start) // 2, n_shows)
    counts = np.clip((end - first) // WEEK_MS, 1, EPISODES_PER_SHOW_MAX)
    first = np.maximum(first, end - counts * WEEK_MS)
    show = np.repeat(np.arange(n_shows), counts)
    number = np.arange(len(show)) - np.repeat(np.cumsum(counts) - counts, counts)
    release = first[show] + number * WEEK_MS
    duration = rng.integers(15 * 60_000, 95 * 60_000, len(show))
    return show, release, duration


def build_catalog(rng: np.random.Generator, config: SynthConfig) -> Catalog:
    n_artists = config.n_artists
    artist_pop = _zipf_weights(rng, n_artists, 1.0)
    artist, album, release, popularity = _tracks(rng, config, artist_pop)
    n_tracks = len(artist)
    duration = np.clip(rng.lognormal(np.log(215_000), 0.25, n_tracks), 95_000, 540_000)
    show, ep_release, ep_duration = _episodes(rng, config, config.n_shows)
    first_genre, second_genre = genres.artist_genres(rng, n_artists)

    artist_names = names.artist_names(rng, n_artists)
    show_names = names.show_names(rng, config.n_shows)
    album_titles = names.titles_per_group(rng, artist[np.unique(album, return_index=True)[1]])
    track_titles = names.titles_per_group(rng, artist)
    episode_titles = [
        f"Episode {n + 1}: {title}"
        for n, title in zip(
            (np.arange(len(show)) - np.searchsorted(show, show)).tolist(),
            names.titles_per_group(rng, show),
            strict=True,
        )
    ]
    track_uris = ["spotify:track:" + x for x in names.spotify_ids(rng, n_tracks)]
    episode_uris = ["spotify:episode:" + x for x in names.spotify_ids(rng, len(show))]
    return Catalog(
        n_tracks=n_tracks,
        creator=np.concatenate([artist, n_artists + show]),
        creator_names=artist_names + show_names,
        titles=track_titles + episode_titles,
        albums=[album_titles[a] for a in album.tolist()] + [None] * len(show),
        uris=track_uris + episode_uris,
        duration_ms=np.concatenate([duration.astype(np.int64), ep_duration]),
        release_ms=np.concatenate([release, ep_release]),
        popularity=popularity,
        artist_names=artist_names,
        first_genre=first_genre,
        second_genre=second_genre,
        show_names=show_names,
    )
