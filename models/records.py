"""Plain records that enter the store through the bulk path.

The API, the importers and the synthetic generator all produce these; only
:mod:`models.ingest` turns them into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from models.catalog import ItemKind
from models.listening import EventSource, FeedbackKind


class ItemRef(NamedTuple):
    """What a client knows about an item: external ids and/or artist, title and album.

    A named tuple rather than a dataclass: it is a cache key on the bulk path, and tuple
    hashing and equality run in C.
    """

    kind: ItemKind = ItemKind.track
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    duration_ms: int | None = None
    spotify_uri: str | None = None
    isrc: str | None = None
    mbid: str | None = None
    artist_mbid: str | None = None

    @property
    def has_metadata(self) -> bool:
        return bool(self.artist and self.title)

    @property
    def external_ids(self) -> tuple[tuple[str, str], ...]:
        pairs = (("spotify_uri", self.spotify_uri), ("isrc", self.isrc), ("mbid", self.mbid))
        return tuple((name, value) for name, value in pairs if value)


@dataclass(slots=True)  # not frozen: a frozen dataclass takes 3x as long to build
class EventRecord:
    """One listen. ``ts`` is the UTC-aware start of playback."""

    user: str
    ts: datetime
    ms_played: int
    item: ItemRef
    skipped: bool | None = None
    reason_start: str | None = None
    reason_end: str | None = None
    shuffle: bool | None = None
    offline: bool | None = None
    private: bool = False
    platform: str | None = None
    country: str | None = None
    source: EventSource = EventSource.api
    client_event_id: str | None = None
    rec_id: str | None = None


@dataclass(slots=True)
class FeedbackRecord:
    user: str
    item: ItemRef
    kind: FeedbackKind
    ts: datetime


@dataclass(slots=True)
class Rejection:
    """A record the store refused, by its position in the submitted batch."""

    index: int
    field: str
    reason: str


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)
