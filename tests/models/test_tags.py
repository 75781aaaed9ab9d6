"""Tagging artists with genres."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.catalog import Artist
from models.ingest import ingest_events
from models.tags import tag_artists
from service.store import Store
from tests.utils.factories import record


def test_artists_are_tagged_by_name_and_tagging_again_is_harmless(store: Store) -> None:
    ingest_events(store.engine, store.resolver, [record(1)])  # creates "Agnes Obel"
    tags = {"AGNES OBEL": [("chamber pop", 1.0), ("folk", 0.5)]}
    for _ in range(2):
        with store.engine.begin() as conn:
            tag_artists(conn, tags)
    with store.sessions() as session:
        artist = session.scalars(select(Artist)).one()
        assert sorted(tag.name for tag in artist.tags) == ["chamber pop", "folk"]


def test_tagging_an_unknown_artist_is_an_error(store: Store) -> None:
    with pytest.raises(LookupError, match="Nobody"), store.engine.begin() as conn:
        tag_artists(conn, {"Nobody": [("pop", 1.0)]})
