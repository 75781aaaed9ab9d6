"""Loading a synthetic history into the store through the bulk path.

The whole catalog and every listener are resolved once, in one transaction (so the
catalog exists even for items nobody plays yet); listeners get their time zones and
artists their genres. Then each block of plays becomes rows for
:func:`models.ingest.insert_event_rows` and is committed on its own, under
:func:`models.bulk.bulk_event_load`. Loading the same configuration again stores
nothing new: every play is a duplicate, so an interrupted load can simply be re-run.
Blocks are made in line: making the next one in a thread or a second process while
one is stored gained nothing measurable on either database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Engine

from data.synth.genres import GENRES, SECOND_GENRE_WEIGHT
from data.synth.listening import REASON_END, REASON_START, Plays, generate_block
from data.synth.population import PLATFORMS
from data.synth.rhythm import ZONES
from data.synth.world import World
from models.bulk import bulk_event_load
from models.catalog import ItemKind
from models.ingest import EVENT_COLUMNS, insert_event_rows, ts_text
from models.listening import EventSource
from models.records import ItemRef
from models.resolve import CatalogResolver
from models.tags import tag_artists
from models.users import set_timezones

log = logging.getLogger(__name__)

_REASON_START = np.array(REASON_START, dtype=object)
_REASON_END = np.array(REASON_END, dtype=object)
_PLATFORMS = np.array(PLATFORMS, dtype=object)
_COUNTRIES = np.array([country for _, country, _ in ZONES], dtype=object)


@dataclass(frozen=True, slots=True)
class LoadResult:
    events: int  # plays generated
    inserted: int  # of which new to the store
    users: int
    items: int
    deferred_indexes: bool


def item_refs(world: World) -> list[ItemRef]:
    """How the bulk path knows each catalog item: Spotify URI plus names."""
    cat = world.catalog
    kinds = [ItemKind.track] * cat.n_tracks + [ItemKind.episode] * (cat.n_items - cat.n_tracks)
    return [
        ItemRef(kind=kind, artist=cat.creator_names[creator], title=title, album=album,
                duration_ms=duration, spotify_uri=uri)
        for kind, creator, title, album, duration, uri in zip(
            kinds, cat.creator.tolist(), cat.titles, cat.albums, cat.duration_ms.tolist(),
            cat.uris, strict=True,
        )
    ]  # fmt: skip


def genre_tags(world: World) -> dict[str, list[tuple[str, float]]]:
    cat = world.catalog
    tags: dict[str, list[tuple[str, float]]] = {}
    pairs = zip(cat.artist_names, cat.first_genre.tolist(), cat.second_genre.tolist(), strict=True)
    for name, first, second in pairs:
        tags[name] = [(GENRES[first], 1.0)]
        if second >= 0:
            tags[name].append((GENRES[second], SECOND_GENRE_WEIGHT))
    return tags


def event_rows(
    plays: Plays,
    world: World,
    user_ids: npt.NDArray[np.int64],
    item_ids: npt.NDArray[np.int64],
    dialect: str,
) -> list[tuple[Any, ...]]:
    """Rows in :data:`EVENT_COLUMNS` order, sorted by (user id, ts)."""
    users = user_ids[plays.user]
    if len(users) > 1 and (np.diff(users) < 0).any():
        plays = plays.take(np.lexsort((plays.start_ms, users)))
        users = user_ids[plays.user]
    columns: dict[str, Any] = {
        "user_id": users.tolist(),
        "item_id": item_ids[plays.item].tolist(),
        "ts": ts_text(plays.start_ms.astype("datetime64[ms]"), dialect),
        "ms_played": plays.ms_played.tolist(),
        "skipped": plays.skipped.tolist(),
        "reason_start": _REASON_START[plays.reason_start].tolist(),
        "reason_end": _REASON_END[plays.reason_end].tolist(),
        "shuffle": plays.shuffle.tolist(),
        "offline": plays.offline.tolist(),
        "private": plays.private.tolist(),
        "platform": _PLATFORMS[plays.platform].tolist(),
        "country": _COUNTRIES[world.population.zone[plays.user]].tolist(),
        "source": repeat(EventSource.synthetic.value),
        "client_event_id": repeat(None),
        "rec_id": repeat(None),
    }
    return list(zip(*(columns[name] for name in EVENT_COLUMNS), strict=False))  # repeat()s


def store_history(
    engine: Engine,
    resolver: CatalogResolver,
    world: World,
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Generate the history of ``world`` and store it; ``on_progress`` gets plays per block."""
    config = world.config
    pop = world.population
    with engine.connect() as conn:
        with conn.begin():
            res = resolver.resolve(conn, pop.ids, item_refs(world))
            user_ids = np.array([res.user_ids[u] for u in pop.ids], dtype=np.int64)
            zones = (ZONES[zone][0] for zone in pop.zone.tolist())
            set_timezones(conn, dict(zip(user_ids.tolist(), zones, strict=True)))
            tag_artists(conn, genre_tags(world))
        res.publish()
        item_ids = np.array(res.item_ids, dtype=np.int64)
        log.debug("catalog of %d items and %d users resolved", len(item_ids), len(user_ids))
        inserted = 0
        # Rows carry the resolver's ids and a fixed source: safe to skip re-checking.
        with bulk_event_load(conn, config.events, trusted_rows=True) as deferred:
            for block in range(len(world.blocks)):
                plays = generate_block(world, block)
                rows = event_rows(plays, world, user_ids, item_ids, conn.dialect.name)
                with conn.begin():
                    inserted += insert_event_rows(conn, rows)
                if on_progress:
                    on_progress(len(rows))
    log.debug("synthetic history: %d plays generated, %d new", config.events, inserted)
    return LoadResult(config.events, inserted, len(user_ids), len(item_ids), deferred)
