"""Catalog resolution: turn user ids and :class:`ItemRef` into row ids, creating the unknown.

An item is matched by external id first (Spotify URI, ISRC, MusicBrainz id), then
by its normalised (kind, artist, title, album); a reference without an album
matches an existing item of the same artist and title on any album. Everything
resolved is cached per process, so a bulk load only asks the database about
names it has not seen. Cache entries are published only after the caller's
transaction commits (:meth:`Resolution.publish`), so a rolled-back insert can
never leave a dangling id in the cache. Concurrent writers are safe: creation is
insert-or-ignore followed by a read, with keys sorted to avoid deadlocks.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Hashable, Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select, tuple_
from sqlalchemy.engine import Connection

from models.base import utcnow
from models.catalog import Album, Artist, Item
from models.dialect import CHUNK, fetch_ids, insert_ignore
from models.normalise import normalise
from models.records import ItemRef
from models.users import User

users_t: Table = User.__table__  # type: ignore[assignment]
artists_t: Table = Artist.__table__  # type: ignore[assignment]
albums_t: Table = Album.__table__  # type: ignore[assignment]
items_t: Table = Item.__table__  # type: ignore[assignment]

NATURAL_KEY = ("kind", "artist_id", "title_key", "album_key")


def _get_or_create(
    conn: Connection, table: Table, columns: Sequence[str], rows: dict[Any, dict[str, Any]]
) -> dict[Any, int]:
    """Ids for every key in ``rows``, inserting the rows whose key is not stored yet."""
    keys = sorted(rows)
    ids = fetch_ids(conn, table, columns, keys)
    missing = [key for key in keys if key not in ids]
    if missing:
        insert_ignore(conn, table, [rows[key] for key in missing])
        ids.update(fetch_ids(conn, table, columns, missing))
    return ids


@dataclass
class Resolution:
    """Ids for one batch, plus the cache entries to publish once the batch commits."""

    resolver: CatalogResolver
    user_ids: dict[str, int] = field(default_factory=dict)
    item_ids: list[int | None] = field(default_factory=list)
    _new: dict[str, dict[Hashable, int]] = field(default_factory=dict)

    def remember(self, cache: str, entries: dict[Any, int]) -> None:
        self._new.setdefault(cache, {}).update(entries)

    def publish(self) -> None:
        self.resolver.merge(self._new)
        self._new = {}


class CatalogResolver:
    """Process-wide cache in front of the catalog tables; see the module docstring."""

    CACHES = ("user", "ref", "external", "artist", "album", "key", "loose")

    def __init__(self, max_entries: int = 2_000_000, parent: CatalogResolver | None = None) -> None:
        self.max_entries = max_entries
        self._parent = parent
        self._local: dict[str, dict[Hashable, int]] = {name: {} for name in self.CACHES}
        self._caches: dict[str, MutableMapping[Hashable, int]] = (
            dict(self._local)
            if parent is None
            else {name: ChainMap(self._local[name], parent._caches[name]) for name in self.CACHES}
        )

    def merge(self, new: dict[str, dict[Hashable, int]]) -> None:
        for name, entries in new.items():
            local = self._local[name]
            if self._parent is None and len(local) + len(entries) > self.max_entries:
                local.clear()
            local.update(entries)

    @contextmanager
    def transaction(self) -> Iterator[CatalogResolver]:
        """A resolver for a transaction that spans several batches (a file import).

        Batches publish into it, so later batches of the same transaction reuse what
        earlier ones created; it publishes to this resolver when the block exits without
        an error. Open it *outside* the database transaction, so the commit comes first::

            with resolver.transaction() as tx, engine.begin() as conn:
                ...
        """
        child = CatalogResolver(self.max_entries, parent=self)
        yield child
        self.merge(child._local)

    def forget_user(self, external_id: str) -> None:
        self._local["user"].pop(external_id, None)

    def clear(self) -> None:
        for cache in self._local.values():
            cache.clear()

    def resolve(
        self, conn: Connection, users: Iterable[str], refs: Sequence[ItemRef]
    ) -> Resolution:
        """Resolve ``users`` and ``refs`` inside the caller's transaction.

        ``item_ids[i]`` is None when ``refs[i]`` has an unknown external id and no
        artist and title to create it from.
        """
        res = Resolution(self)
        res.user_ids = self._users(conn, set(users), res)
        res.item_ids = self._items(conn, refs, res)
        return res

    def _users(self, conn: Connection, external_ids: set[str], res: Resolution) -> dict[str, int]:
        cache = self._caches["user"]
        out = {ext: cache[ext] for ext in external_ids if ext in cache}
        missing = {ext for ext in external_ids if ext not in out}
        if missing:
            now = utcnow()
            rows = {ext: {"external_id": ext, "created_at": now} for ext in missing}
            created = _get_or_create(conn, users_t, ["external_id"], rows)
            out.update(created)
            res.remember("user", created)
        return out

    def _items(
        self, conn: Connection, refs: Sequence[ItemRef], res: Resolution
    ) -> list[int | None]:
        by_ref = self._caches["ref"]
        ids: list[int | None] = [by_ref.get(ref) for ref in refs]
        unknown = [i for i, item_id in enumerate(ids) if item_id is None]
        todo = unknown
        if todo:
            self._by_external_id(conn, refs, ids, todo, res)
            todo = [i for i in todo if ids[i] is None and refs[i].has_metadata]
        if todo:
            self._by_metadata(conn, refs, ids, todo, res)
        # Only what was unknown is new to the cache; the rest is already there.
        res.remember("ref", {refs[i]: item_id for i in unknown if (item_id := ids[i])})
        return ids

    def _by_external_id(
        self,
        conn: Connection,
        refs: Sequence[ItemRef],
        ids: list[int | None],
        todo: list[int],
        res: Resolution,
    ) -> None:
        cache = self._caches["external"]
        wanted: dict[str, set[str]] = {}
        for i in todo:
            for name, value in refs[i].external_ids:
                if (name, value) not in cache:
                    wanted.setdefault(name, set()).add(value)
        found = {
            (name, value): item_id
            for name, values in wanted.items()
            for value, item_id in fetch_ids(conn, items_t, [name], sorted(values)).items()
        }
        res.remember("external", found)
        for i in todo:
            for pair in refs[i].external_ids:
                item_id = found.get(pair) or cache.get(pair)
                if item_id is not None:
                    ids[i] = item_id
                    break

    def _by_metadata(
        self,
        conn: Connection,
        refs: Sequence[ItemRef],
        ids: list[int | None],
        todo: list[int],
        res: Resolution,
    ) -> None:
        artist_rows: dict[Any, dict[str, Any]] = {}
        for i in todo:
            name_key = normalise(refs[i].artist or "")
            if name_key not in self._caches["artist"]:
                artist_rows.setdefault(
                    name_key,
                    {"name": refs[i].artist, "name_key": name_key, "mbid": refs[i].artist_mbid},
                )
        artist_ids = self._cached_get_or_create(
            conn, "artist", artists_t, ["name_key"], artist_rows, res
        )
        artist_of = {i: artist_ids[normalise(refs[i].artist or "")] for i in todo}

        album_rows: dict[Any, dict[str, Any]] = {}
        for i in todo:
            if refs[i].album:
                album = (artist_of[i], normalise(refs[i].album or ""))
                if album not in self._caches["album"]:
                    album_rows.setdefault(
                        album,
                        {"artist_id": album[0], "title": refs[i].album, "title_key": album[1]},
                    )
        album_ids = self._cached_get_or_create(
            conn, "album", albums_t, ["artist_id", "title_key"], album_rows, res
        )

        self._by_loose_key(conn, refs, ids, todo, artist_of, res)
        item_rows: dict[Hashable, dict[str, Any]] = {}
        key_of: dict[int, tuple[str, int, str, str]] = {}
        # Album-less references also match an item with an album created in this batch.
        with_album: dict[tuple[str, int, str], tuple[str, int, str, str]] = {}
        for i in todo:
            ref = refs[i]
            if ids[i] is None and ref.album:
                key = (
                    ref.kind.value,
                    artist_of[i],
                    normalise(ref.title or ""),
                    normalise(ref.album),
                )
                with_album.setdefault(key[:3], key)
        for i in todo:
            if ids[i] is not None:
                continue
            ref = refs[i]
            album_key = normalise(ref.album) if ref.album else ""
            key = (ref.kind.value, artist_of[i], normalise(ref.title or ""), album_key)
            if not ref.album and key[:3] in with_album:
                key_of[i] = with_album[key[:3]]
                continue
            key_of[i] = key
            if key not in self._caches["key"]:
                item_rows.setdefault(key, {
                    "kind": ref.kind, "title": ref.title, "title_key": key[2],
                    "artist_id": key[1], "album_key": album_key,
                    "album_id": album_ids[(key[1], album_key)] if ref.album else None,
                    "duration_ms": ref.duration_ms, "spotify_uri": ref.spotify_uri,
                    "isrc": ref.isrc, "mbid": ref.mbid,
                })  # fmt: skip
        item_ids = self._cached_get_or_create(conn, "key", items_t, NATURAL_KEY, item_rows, res)
        unresolved = []
        for i, key in key_of.items():
            ids[i] = item_ids.get(key)
            if ids[i] is None:
                unresolved.append(i)
        if unresolved:
            # A new key whose external id already belongs to another item: the id wins.
            self._by_external_id(conn, refs, ids, unresolved, res)
            if any(ids[i] is None for i in unresolved):
                raise RuntimeError("catalog resolution failed for items that were just inserted")

    def _by_loose_key(
        self,
        conn: Connection,
        refs: Sequence[ItemRef],
        ids: list[int | None],
        todo: list[int],
        artist_of: dict[int, int],
        res: Resolution,
    ) -> None:
        """Album-less references reuse an item of the same artist and title on any album."""
        cache = self._caches["loose"]
        wanted: dict[int, tuple[str, int, str]] = {}
        for i in todo:
            if not refs[i].album:
                wanted[i] = (refs[i].kind.value, artist_of[i], normalise(refs[i].title or ""))
        unknown = sorted({key for key in wanted.values() if key not in cache})
        found: dict[Any, int] = {}
        for start in range(0, len(unknown), CHUNK):
            chunk = unknown[start : start + CHUNK]
            target = tuple_(items_t.c.kind, items_t.c.artist_id, items_t.c.title_key)
            stmt = (
                select(items_t.c.id, items_t.c.kind, items_t.c.artist_id, items_t.c.title_key)
                .where(target.in_(chunk))
                .order_by(items_t.c.id.desc())
            )
            for row in conn.execute(stmt):
                found[(str(row.kind), row.artist_id, row.title_key)] = row.id  # lowest id wins
        res.remember("loose", found)
        for i, key in wanted.items():
            ids[i] = found.get(key) or cache.get(key)

    def _cached_get_or_create(
        self,
        conn: Connection,
        cache_name: str,
        table: Table,
        columns: Sequence[str],
        rows: dict[Any, dict[str, Any]],
        res: Resolution,
    ) -> _Lookup:
        created = _get_or_create(conn, table, columns, rows) if rows else {}
        res.remember(cache_name, created)
        return _Lookup(created, self._caches[cache_name])


class _Lookup:
    """Reads a batch's fresh ids first, then the shared cache."""

    def __init__(self, fresh: dict[Any, int], cache: MutableMapping[Hashable, int]) -> None:
        self.fresh = fresh
        self.cache = cache

    def __getitem__(self, key: Any) -> int:
        value = self.fresh.get(key)
        return value if value is not None else self.cache[key]

    def get(self, key: Any) -> int | None:
        value = self.fresh.get(key)
        return value if value is not None else self.cache.get(key)
