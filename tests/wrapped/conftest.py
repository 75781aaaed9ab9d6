"""Builders for Wrapped tests: plays, listener settings and reports on a real store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from models.catalog import Artist, ItemKind, Tag, artist_tags
from models.ingest import ingest_events
from models.records import EventRecord, ItemRef
from models.users import User
from service.store import Store
from wrapped.report import Report, build_report
from wrapped.rules import Rules
from wrapped.window import Window

LENIENT = Rules(min_streams=0, min_artists=0)


def play(
    at: str,
    *,
    user: str = "ana",
    ms: int = 200_000,
    artist: str = "Artist A",
    title: str = "Song",
    album: str | None = "Album",
    kind: ItemKind = ItemKind.track,
    uri: str | None = None,
    **fields: Any,
) -> EventRecord:
    """A play that started at ``at`` (ISO 8601 with an offset)."""
    ts = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC)
    item = ItemRef(kind=kind, artist=artist, title=title, album=album, spotify_uri=uri)
    return EventRecord(user=user, ts=ts, ms_played=ms, item=item, **fields)


Add = Callable[..., None]


@pytest.fixture
def add(store: Store) -> Add:
    def add(*records: EventRecord) -> None:
        result = ingest_events(store.engine, store.resolver, list(records))
        assert not result.rejected and result.accepted == len(records)

    return add


def set_user(store: Store, external_id: str, **values: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(User).where(User.external_id == external_id).values(**values))


def tag(store: Store, tags: dict[str, list[tuple[str, float]]]) -> None:
    """Give artists (by display name) genre tags with weights."""
    with store.engine.begin() as conn:
        for artist, pairs in tags.items():
            artist_id = conn.scalar(select(Artist.id).where(Artist.name == artist))
            for name, weight in pairs:
                tag_id = conn.scalar(select(Tag.id).where(Tag.name == name))
                if tag_id is None:
                    tag_id = conn.scalar(insert(Tag).values(name=name).returning(Tag.id))
                conn.execute(
                    insert(artist_tags).values(artist_id=artist_id, tag_id=tag_id, weight=weight)
                )


def wrap(
    store: Store,
    user: str = "ana",
    *,
    year: int = 2024,
    tz: str | None = None,
    window: Window | None = None,
    rules: Rules = LENIENT,
) -> Report:
    with store.sessions() as session:
        return build_report(
            session,
            user_id=user,
            window_for=lambda own: window or Window.for_year(year, tz or own),
            rules=rules,
        )
