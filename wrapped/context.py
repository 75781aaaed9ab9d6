"""What every card reads: one listener's plays in one window, and what surrounds them.

A :class:`Context` is built once per listener and report (see :mod:`wrapped.report`) and
holds plain arrays and dictionaries, so cards are pure functions of it. The sums most
cards need (per artist, track, album, genre) are computed once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from models.catalog import ItemKind
from models.wrapped import KINDS, NO_ALBUM, CatalogNames, Plays
from wrapped.aggregate import STREAM_MS, Groups, group, ranked
from wrapped.rules import Rules
from wrapped.window import LocalTime, Window

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

NO_ITEMS: I64 = np.zeros(0, dtype=np.int64)
TRACK, EPISODE, VIDEO = (KINDS.index(k) for k in (ItemKind.track, ItemKind.episode, ItemKind.video))


@dataclass(frozen=True, slots=True)
class Population:
    """Listening time of everyone the listener is compared with over the same UTC window:
    all listeners, and the listeners of ``artist_id`` (the listener's top artist); one
    entry per listener, ascending, so a rank is a binary search."""

    ms_by_user: I64
    artist_id: int | None
    artist_ms_by_user: I64


@dataclass(frozen=True)
class Context:
    """One listener's non-private plays in ``window``, with their local calendar.

    ``previous`` holds the plays of the same window a year earlier (None for all-time
    windows); ``heard_before`` the artists this listener heard before the window, sorted;
    ``missed_candidates`` the items a recommender proposed for this listener, best first.
    """

    user_id: str
    window: Window
    plays: Plays
    local: LocalTime
    previous: Plays | None
    heard_before: I64
    catalog: CatalogNames
    rules: Rules
    population: Population | None = None
    missed_candidates: I64 = field(default_factory=lambda: NO_ITEMS)

    @cached_property
    def heard(self) -> Mask:
        """Plays with any listening time; a zero-length play is no listen."""
        mask: Mask = self.plays.ms_played > 0
        return mask

    @cached_property
    def music(self) -> Mask:
        mask: Mask = self.heard & (self.plays.kind == TRACK)
        return mask

    @cached_property
    def streams(self) -> Mask:
        mask: Mask = self.plays.ms_played >= STREAM_MS
        return mask

    def _music_groups(self, keys: I64) -> Groups:
        return group(keys[self.music], self.plays.ms_played[self.music])

    @cached_property
    def by_artist(self) -> Groups:
        return self._music_groups(self.plays.artist)

    @cached_property
    def by_track(self) -> Groups:
        return self._music_groups(self.plays.item)

    @cached_property
    def by_album(self) -> Groups:
        on_album = self.music & (self.plays.album != NO_ALBUM)
        return group(self.plays.album[on_album], self.plays.ms_played[on_album])

    @cached_property
    def first_days(self) -> I64:
        """The local day each artist of :attr:`by_artist` was first heard in the window
        (aligned with its keys)."""
        artists, days = self.plays.artist[self.music], self.local.day[self.music]
        order = np.lexsort((days, artists))
        artists = artists[order]
        firsts = np.concatenate(([0], np.flatnonzero(artists[1:] != artists[:-1]) + 1))
        first: I64 = days[order][firsts] if artists.size else artists
        return first

    def first_day(self, artist: int) -> int:
        """The local day ``artist`` (one of :attr:`by_artist`) was first heard."""
        at = self.by_artist.find(artist)
        assert at is not None
        return int(self.first_days[at])

    @cached_property
    def by_genre(self) -> dict[str, tuple[int, int]]:
        """(ms, streams) per genre: each artist's music time counts fully for each of its
        tags, as a listen to a "rock" and "indie" artist is a listen to both."""
        totals: dict[str, tuple[int, int]] = {}
        artists = self.by_artist
        for artist, ms, streams in zip(
            artists.keys.tolist(), artists.ms.tolist(), artists.streams.tolist(), strict=True
        ):
            for genre in self.catalog.genres.get(artist, ()):
                before = totals.get(genre, (0, 0))
                totals[genre] = (before[0] + ms, before[1] + streams)
        return totals

    @cached_property
    def music_ms(self) -> int:
        return int(self.plays.ms_played[self.music].sum())

    @cached_property
    def top_artist(self) -> int | None:
        """The listener's top artist by music time (ties as in every ranking)."""
        best = ranked(self.by_artist, 1, self.artist_name)
        return int(self.by_artist.keys[best[0]]) if best else None

    def artist_name(self, artist_id: int) -> str:
        return self.catalog.artists.get(artist_id, "")

    def track_title(self, item_id: int) -> str:
        info = self.catalog.items.get(item_id)
        return "" if info is None else info.title

    def album_title(self, album_id: int) -> str:
        info = self.catalog.albums.get(album_id)
        return "" if info is None else info.title
