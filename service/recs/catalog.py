"""Item and artist metadata in the model's item order, and the business filters over it.

Loaded from the store once per model version (one read of the catalog rows of the
model's items), so filtering and describing a list never asks the database. Items that
are gone from the store are marked absent and never served.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import numpy as np
import numpy.typing as npt
import orjson
import scipy.sparse as sp
from sqlalchemy.orm import Session

from models.catalog import ItemKind
from models.recommendations import artist_tag_names, catalog_columns
from recsys import artists
from recsys.artifacts import Artifact
from recsys.interactions import IdMap

KINDS: tuple[str, ...] = tuple(kind.value for kind in ItemKind)
SHORT = 256
"""Rankings up to this long (a listener's precomputed candidates) are filtered item by item
in plain Python, stopping at ``limit``: a list usually stops within a few dozen items,
where numpy's per-call costs on the whole ranking outweigh the work. Longer ones (the
deeper rankings) are filtered with array operations."""
CHUNK = 48  # items converted to Python ints at a time by the item-by-item filter
RUN_KINDS: tuple[str | None, ...] = (None, *KINDS)  # artist runs: no kind filter, each kind
NOT_KEPT = 255  # an artist run value: the item does not pass the kind (or is gone)


@dataclass(frozen=True, slots=True)
class Filters:
    """Business filters every list endpoint takes; ``None``/empty means no filter.

    ``genre`` matches an artist tag (case-insensitive); ``released_after`` compares with
    an item's first play (the catalog keeps no release dates); ``max_per_artist`` caps
    how many items of one artist a list holds.
    """

    kind: str | None = None
    genre: str | None = None
    exclude_artists: frozenset[int] = frozenset()
    released_after: date | None = None
    max_per_artist: int | None = None

    @property
    def released_after_ts(self) -> float | None:
        if self.released_after is None:
            return None
        return datetime.combine(self.released_after, time(), tzinfo=UTC).timestamp()


@dataclass(eq=False)
class Catalog:
    """See the module docstring. Arrays over items are in the model's dense item order;
    artist arrays are indexed by the dense artist index ``item_artist`` holds."""

    item_ids: npt.NDArray[np.int64]
    present: npt.NDArray[np.bool_]
    titles: list[str]
    kinds: npt.NDArray[np.int8]
    item_artist: npt.NDArray[np.int32]
    first_heard: npt.NDArray[np.float64]
    artist_ids: IdMap
    artist_names: list[str]
    artist_similarity: sp.csr_matrix | None
    artist_kinds: npt.NDArray[np.bool_]  # (n_artists, len(KINDS)): has an item of that kind
    artist_first_heard: npt.NDArray[np.float64]
    tags: dict[str, npt.NDArray[np.bool_]]  # lower-cased tag -> artists carrying it
    _no_artists: npt.NDArray[np.bool_] = field(init=False)
    item_id_list: list[int] = field(init=False)  # item_ids as Python ints
    item_json_score: list[bytes] = field(init=False)  # '{"id":..,"kind":"..","score":'
    played_json: list[bytes] = field(init=False)  # '"because you played <title>"'
    _servable: npt.NDArray[np.bool_] = field(init=False)  # present, + a False sentinel
    _of_kind: dict[str, npt.NDArray[np.bool_]] = field(init=False)
    # the same masks as bytes (1: passes) and item -> artist as a list, for _scan
    _servable_bytes: bytes = field(init=False)
    _of_kind_bytes: dict[str, bytes] = field(init=False)
    _tag_bytes: dict[str, bytes] = field(init=False)
    _artist_list: list[int] = field(init=False)
    _first_heard_list: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self._no_artists = np.zeros(len(self.artist_ids), dtype=bool)
        self._servable = np.append(self.present, False)
        self._of_kind = {
            kind: np.append(self.present & (self.kinds == code), False)
            for code, kind in enumerate(KINDS)
        }
        self._servable_bytes = self.present.tobytes()
        self._of_kind_bytes = {kind: mask[:-1].tobytes() for kind, mask in self._of_kind.items()}
        self._tag_bytes = {tag: mask.tobytes() for tag, mask in self.tags.items()}
        self._artist_list = self.item_artist.tolist()
        self.item_id_list = self.item_ids.tolist()
        self._first_heard_list = self.first_heard.tolist()
        artist_ids = self.artist_ids.ids[self.item_artist].tolist()
        self.item_json_score = [
            orjson.dumps({
                "id": item, "title": title, "artist": self.artist_names[artist],
                "artist_id": artist_id, "kind": KINDS[kind],
            })[:-1] + b',"score":'
            for item, title, artist, artist_id, kind in zip(
                self.item_ids.tolist(), self.titles, self.item_artist.tolist(), artist_ids,
                self.kinds.tolist(), strict=True,
            )
        ]  # fmt: skip
        self.played_json = [orjson.dumps(f"because you played {t}") for t in self.titles]

    @classmethod
    def load(cls, session: Session, artifact: Artifact) -> Catalog:
        """The catalog of ``artifact``'s items, as the store describes them now."""
        item_ids = np.asarray(artifact.item_ids.ids, dtype=np.int64)
        n = len(item_ids)
        rows = catalog_columns(session, item_ids.tolist())
        pos = artifact.item_ids.index(np.array([r[0] for r in rows], dtype=item_ids.dtype))
        present = np.zeros(n, dtype=bool)
        present[pos] = True
        titles = [""] * n
        kinds = np.zeros(n, dtype=np.int8)
        store_artist = np.zeros(n, dtype=np.int64)
        names: dict[int, str] = {}
        for p, (_, title, kind, artist, name) in zip(pos.tolist(), rows, strict=True):
            titles[p] = title
            kinds[p] = KINDS.index(kind)
            store_artist[p] = artist
            names[artist] = name
        extras = artifact.serving
        if extras is not None:
            artist_ids, item_artist = extras.artist_ids, extras.item_artist
            first_heard, similarity = extras.first_heard, extras.artist_similarity
        else:  # an artifact written before serving extras: artists from the store
            artist_ids, item_artist = IdMap.encode(store_artist)
            first_heard = np.full(n, np.nan)
            similarity = artists.similarity(artifact.user_items, item_artist, len(artist_ids))
        n_artists = len(artist_ids)
        artist_names = [names.get(int(a), "") for a in artist_ids.ids.tolist()]
        artist_kinds = np.zeros((n_artists, len(KINDS)), dtype=bool)
        artist_kinds[item_artist[present], kinds[present]] = True
        artist_first = np.full(n_artists, np.inf)
        heard = present & ~np.isnan(first_heard)
        np.minimum.at(artist_first, item_artist[heard], first_heard[heard])
        tags: dict[str, npt.NDArray[np.bool_]] = {}
        for artist, tag in artist_tag_names(session, artist_ids.ids.tolist()):
            mask = tags.setdefault(tag.casefold(), np.zeros(n_artists, dtype=bool))
            mask[int(artist_ids.index([artist])[0])] = True
        return cls(
            item_ids, present, titles, kinds, item_artist.astype(np.int32), first_heard,
            artist_ids, artist_names, similarity, artist_kinds, artist_first, tags,
        )  # fmt: skip

    def artist_of(self, items: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
        """Store artist ids of dense ``items``."""
        found: npt.NDArray[np.int64] = self.artist_ids.ids[self.item_artist[items]]
        return found

    def keep_items(self, items: npt.NDArray[np.int32], filters: Filters, limit: int) -> list[int]:
        """Positions in ``items`` (ranked dense indices, -1 padding allowed) of the first
        ``limit`` that pass ``filters``, in order (see ``SHORT`` for how)."""
        if len(items) <= SHORT:
            return self._scan(items, filters, limit)
        kept: list[int] = self._masked(items, filters, limit).tolist()
        return kept

    def _scan(self, items: npt.NDArray[np.int32], filters: Filters, limit: int) -> list[int]:
        ok = self._servable_bytes if filters.kind is None else self._of_kind_bytes[filters.kind]
        tagged = None
        if filters.genre is not None:
            tagged = self._tag_bytes.get(filters.genre.casefold(), b"")
        banned = None
        if filters.exclude_artists:
            dense = self.artist_ids.index(np.fromiter(filters.exclude_artists, np.int64))
            banned = set(dense.tolist())
        after = filters.released_after_ts
        first = self._first_heard_list
        cap = filters.max_per_artist
        artist_of = self._artist_list
        counts: dict[int, int] = {}
        out: list[int] = []
        for start in range(0, len(items), CHUNK):
            for position, item in enumerate(items[start : start + CHUNK].tolist(), start):
                if item < 0 or not ok[item]:
                    continue
                artist = artist_of[item]
                if (
                    (tagged is not None and not (tagged and tagged[artist]))
                    or (banned is not None and artist in banned)
                    or (after is not None and not first[item] >= after)
                ):
                    continue
                if cap is not None:
                    seen = counts.get(artist, 0)
                    if seen >= cap:
                        continue
                    counts[artist] = seen + 1
                out.append(position)
                if len(out) == limit:
                    return out
        return out

    def _masked(
        self, items: npt.NDArray[np.int32], filters: Filters, limit: int
    ) -> npt.NDArray[np.int64]:
        # one gather for presence and kind; index -1 (padding) lands on a False sentinel
        mask = self._servable if filters.kind is None else self._of_kind[filters.kind]
        ok = mask[items]
        if filters.genre is not None:
            ok &= self.tags.get(filters.genre.casefold(), self._no_artists)[self.item_artist[items]]
        if filters.exclude_artists:
            ok &= ~np.isin(self.artist_of(items), list(filters.exclude_artists))
        after = filters.released_after_ts
        if after is not None:
            ok &= self.first_heard[items] >= after
        kept = np.flatnonzero(ok)
        if filters.max_per_artist is None:
            return kept[:limit]
        return _cap(kept, self.item_artist[items[kept]], filters.max_per_artist, limit)

    @property
    def digest(self) -> str:
        """A short hash of what artist runs depend on (presence, kinds, artists)."""
        h = hashlib.blake2b(digest_size=8)
        for array in (self.present, self.kinds, self.item_artist):
            h.update(np.ascontiguousarray(array).tobytes())
        return h.hexdigest()

    def artist_runs(self, items: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
        """For rankings ``items`` (rows of dense items, -1 padding), shaped (rows,
        ``len(RUN_KINDS)``, n): for each kind filter of ``RUN_KINDS`` and position, how
        many items of the same artist that pass it come before it in its row (at most
        ``NOT_KEPT - 1``); ``NOT_KEPT`` where the item does not pass. The first ``limit``
        positions under ``max_per_artist`` (or ``NOT_KEPT``) are then the list for that
        kind and cap when there is no other filter."""
        rows, n = items.shape
        safe = np.where(items >= 0, items, 0)
        artist = self.item_artist[safe].astype(np.int64)
        row_base = np.arange(rows, dtype=np.int64)[:, None] * (len(self.artist_ids) + 1)
        everything = np.arange(rows * n)
        runs = np.empty((rows, len(RUN_KINDS), n), dtype=np.uint8)
        for k, kind in enumerate(RUN_KINDS):
            mask = self._servable if kind is None else self._of_kind[kind]
            ok = mask[:-1][safe] & (items >= 0)
            # group positions by (row, artist), rank order kept within a group
            key = np.where(ok, row_base + artist, -1).ravel()
            order = np.argsort(key, kind="stable")
            ordered = key[order]
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            first = np.repeat(starts, np.diff(np.r_[starts, len(ordered)]))
            before = np.empty(rows * n, dtype=np.int64)
            before[order] = everything - first
            runs[:, k] = np.where(ok.ravel(), np.minimum(before, NOT_KEPT - 1), NOT_KEPT).reshape(
                rows, n
            )
        return runs

    @staticmethod
    def only_kind_and_cap(filters: Filters) -> bool:
        """Whether ``filters`` hold nothing but a kind and a per-artist cap (so artist runs
        answer them)."""
        return (
            filters.genre is None and not filters.exclude_artists and filters.released_after is None
        )

    def keep_artists(
        self, artists_: npt.NDArray[np.int32], filters: Filters, limit: int
    ) -> npt.NDArray[np.int64]:
        """Positions in ``artists_`` (dense artist indices) of the first ``limit`` that pass
        ``filters``: an artist passes ``kind`` with an item of that kind and
        ``released_after`` when their first item was first heard on or after it."""
        ok = np.ones(len(artists_), dtype=bool)
        if filters.kind is not None:
            ok &= self.artist_kinds[artists_, KINDS.index(filters.kind)]
        if filters.genre is not None:
            ok &= self.tags.get(filters.genre.casefold(), self._no_artists)[artists_]
        if filters.exclude_artists:
            ok &= ~np.isin(self.artist_ids.ids[artists_], list(filters.exclude_artists))
        after = filters.released_after_ts
        if after is not None:
            ok &= self.artist_first_heard[artists_] >= after
        return np.flatnonzero(ok)[:limit]


def _cap(
    kept: npt.NDArray[np.int64], artists_: npt.NDArray[np.int32], per_artist: int, limit: int
) -> npt.NDArray[np.int64]:
    """The first ``limit`` of ``kept`` with at most ``per_artist`` of each artist; looks at
    ``3 * limit`` at a time, since a list rarely needs more."""
    counts: dict[int, int] = {}
    out: list[int] = []
    step = 3 * limit
    for start in range(0, len(kept), step):
        positions = kept[start : start + step].tolist()
        for position, artist in zip(
            positions, artists_[start : start + step].tolist(), strict=True
        ):
            seen = counts.get(artist, 0)
            if seen < per_artist:
                counts[artist] = seen + 1
                out.append(position)
                if len(out) == limit:
                    return np.asarray(out, dtype=np.int64)
    return np.asarray(out, dtype=np.int64)
