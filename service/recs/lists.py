"""The lists the endpoints answer with, external ids at the edge.

A list for a listener comes from one of three sources, said in ``source``:

- ``model``: a listener the served model knows, from their precomputed candidates;
- ``fresh``: a listener with plays newer than the model, their news folded in
  (:mod:`service.recs.fresh`);
- ``popular``: anyone else (new, never seen, or no model active): the most listened
  items of the model's recent window, or of the store when no model is active.

Only ``fresh`` (once per new play), the no-model fallback and the error paths read the
store; :func:`needs_store` tells a route when to leave the event loop for that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import compress, islice
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson
import scipy.sparse as sp
from sqlalchemy.orm import Session

from models.history import find_user
from models.recommendations import (
    first_heard_of,
    items_by_id,
    listened_items,
    popular_items,
)
from models.served import ServedList
from recsys.errors import ModelNotReady
from recsys.topn import Ids, Scores
from service.errors import NotFound
from service.recs import reasons, respond
from service.recs.catalog import NOT_KEPT, RUN_KINDS, Catalog, Filters
from service.recs.fresh import FreshListening
from service.recs.index import Record, Served, rank

Source = Literal["model", "fresh", "popular", "seeds"]
NO_MODEL = "no model version is active; run `encore retrain --promote always` first"
Deeper = Callable[[int], tuple[Ids, Scores]]  # the top n, one row
History = Callable[[], npt.NDArray[np.int32]]  # dense items, most confident first
NO_HISTORY = np.zeros(0, np.int32)
DEEPER = 10  # each deeper ranking is this many times longer
UNDER: tuple[bytes, ...] = tuple(bytes(int(run < cap) for run in range(256)) for cap in range(256))
"""``bytes.translate`` tables: ``UNDER[cap]`` maps an artist run to 1 when it is under ``cap``."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A list as JSON bytes, and the record of it for :mod:`service.recs.served_log`."""

    body: bytes
    served: ServedList | None = None


@dataclass(slots=True)
class Ranked:
    ids: npt.NDArray[np.int32]
    scores: npt.NDArray[np.float32]
    history: History = lambda: NO_HISTORY  # asked only when reasons are worked out
    deeper: Deeper | None = None  # a longer ranking, when ids is a prefix of it
    near: npt.NDArray[np.int32] | None = None  # each item's nearest of history, if known
    runs: npt.NDArray[np.uint8] | None = None  # artist runs by RUN_KINDS, if known


@dataclass(frozen=True, slots=True)
class Picked:
    """What :func:`pick` kept: dense items, their scores, and their nearest played items
    when the ranking carried them (``near``; None: work them out)."""

    dense: list[int]
    scores: list[float]
    near: list[int] | None


def needs_store(served: Served | None, fresh: FreshListening, user_id: str) -> bool:
    """Whether a list for ``user_id`` may read the store (no model, or news to fold in)."""
    if served is None:
        return True
    listener = fresh.by_external.get(user_id)
    return listener is not None and not fresh.is_folded(listener)


def for_user(
    served: Served | None,
    fresh: FreshListening,
    session: Callable[[], Session],
    *,
    user_id: str,
    limit: int,
    filters: Filters,
    exclude_listened: bool,
    personal: bool = True,
) -> Answer:
    """Top-``limit`` items for the listener with external id ``user_id``; popular items,
    with nothing of theirs used, when not ``personal`` (an experiment's baseline arm)."""
    if served is None:
        with session() as s:
            return _store_popular(s, user_id=user_id, limit=limit, filters=filters,
                                  exclude_listened=exclude_listened and personal)  # fmt: skip
    art = served.artifact
    model, n_items = art.model, art.model.n_items
    if not personal or user_id in fresh.withheld:  # baseline arm, opted out or deleted
        user, listener = -1, None
    else:
        user = served.users.get(user_id, -1)
        listener = fresh.by_external.get(user_id)
    folded = None if listener is None else fresh.folded(served, listener, served.candidates)
    source: Source
    ranked: Ranked
    found: Picked | None = None
    if folded is not None:
        row = folded.row
        source = "fresh"
        history = folded.history
        ranked = Ranked(folded.ids, folded.scores, lambda: history,
                        lambda n: model.recommend_rows(row, N=n))  # fmt: skip
        if not exclude_listened:
            ranked.ids, ranked.scores = model.recommend_rows(row, n_items, False)
            ranked.ids, ranked.scores, ranked.deeper = ranked.ids[0], ranked.scores[0], None
        store_user = listener.user_id if listener else None
    elif user >= 0:
        source = "model"
        rows = art.user_items[user] if not exclude_listened else None
        if rows is not None:
            ids, scores = model.recommend([user], rows, N=n_items, filter_already_liked=False)
            ranked = Ranked(ids[0], scores[0], lambda: served.history(user))
        else:
            candidates = served.top.record(user)
            if candidates is not None:  # a kind and a cap: from one record read, no numpy
                found = from_record(candidates, filters, limit, served.candidates)
            if found is None:
                top = served.top.get(user)
                ranked = Ranked(
                    top.ids, top.scores, lambda: served.history(user),
                    lambda n: rank(art, np.array([user]), n), top.near, top.runs,
                )  # fmt: skip
        store_user = int(art.user_ids.ids[user])
    else:
        source = "popular"
        ranked = Ranked(served.popular, served.popular_scores)
        store_user = None if listener is None else listener.user_id
    played: History
    if found is not None:
        picked, played = found, lambda: served.history(user)
    elif source == "popular":
        picked, played = _popular(served, ranked, filters, limit), ranked.history
    else:
        picked, played = pick(served, ranked, filters, limit), ranked.history
    if picked.near is not None:
        why = reasons.played(served, picked.near)
    else:
        why = reasons.because(served, np.asarray(picked.dense), played(), "played")
    rec_id = respond.rec_id()
    meta = {"user_id": user_id, "count": len(picked.dense), "model_version": served.version_id,
            "rec_id": rec_id, "source": source}  # fmt: skip
    item_ids = served.catalog.item_id_list
    record = ServedList(
        rec_id, store_user, datetime.now(UTC), served.version_id, source,
        [item_ids[i] for i in picked.dense],
    )  # fmt: skip
    return Answer(respond.body(meta, served.catalog, picked.dense, picked.scores, why), record)


def for_seeds(
    served: Served | None,
    *,
    seed_items: Sequence[int],
    seed_artists: Sequence[int],
    limit: int,
    filters: Filters,
) -> Answer:
    """Items for a session or a brand-new listener, from the items and artists they chose.

    Seed artists stand for their ``ARTIST_SEED_ITEMS`` most listened items. The seed
    items themselves are left out of the answer; the seed artists' other items are not.

    Raises
    ------
    ModelNotReady
        No model version is active.
    NotFound
        A seed the model does not know (located at its position in the body).
    """
    if served is None:
        raise ModelNotReady(NO_MODEL)
    art = served.artifact
    items = art.item_ids.index(np.asarray(seed_items, dtype=np.int64))
    for pos, found in enumerate(items.tolist()):
        if found < 0:
            raise NotFound(["body", "seed_items", pos], "the model knows no such item")
    chosen = [items]
    cat = served.catalog
    for pos, artist in enumerate(seed_artists):
        index = int(cat.artist_ids.index([artist])[0])
        if index < 0:
            raise NotFound(["body", "seed_artists", pos], "the model knows no such artist")
        chosen.append(_artist_top(served, index))
    seeds = np.unique(np.concatenate(chosen)).astype(np.int32)
    row = _row(seeds, art.model.n_items)
    n = min(served.candidates + len(items), art.model.n_items)
    ids, scores = art.model.recommend_rows(row, N=n, filter_already_liked=False)
    keep = ~np.isin(ids[0], items)
    deeper = _without(items, lambda n: art.model.recommend_rows(row, n + len(items), False))
    ranked = Ranked(ids[0][keep], scores[0][keep], lambda: seeds, deeper)
    picked = pick(served, ranked, filters, limit)
    why = reasons.because(served, np.asarray(picked.dense, dtype=np.int32), seeds, "chose")
    rec_id = respond.rec_id()
    meta = {"count": len(picked.dense), "model_version": served.version_id, "rec_id": rec_id,
            "source": "seeds"}  # fmt: skip
    record = ServedList(rec_id, None, datetime.now(UTC), served.version_id, "seeds",
                        [cat.item_id_list[i] for i in picked.dense])  # fmt: skip
    return Answer(respond.body(meta, cat, picked.dense, picked.scores, why), record)


POPULAR_PICKS = 256
"""Popularity lists kept per version (distinct filters and limits); past it, start over."""


def _popular(served: Served, ranked: Ranked, filters: Filters, limit: int) -> Picked:
    """:func:`pick` of the popularity ranking, kept per version: it depends only on the
    filters and the limit, and filtering the whole catalog's ranking took ~0.7 ms, 30
    times a known listener's list, for every new listener."""
    key = (filters, limit)
    picked = served.popular_picks.get(key)
    if picked is None:
        picked = pick(served, ranked, filters, limit)
        if len(served.popular_picks) >= POPULAR_PICKS:
            served.popular_picks.clear()
        served.popular_picks[key] = picked
    return picked


def pick(served: Served, ranked: Ranked, filters: Filters, limit: int) -> Picked:
    """The first ``limit`` ranked items that pass ``filters``; when the ranking in hand
    runs out first, it is ranked again ``DEEPER`` times longer, up to the whole catalog."""
    ids, scores, near = ranked.ids, ranked.scores, ranked.near
    catalog = served.catalog
    if ranked.runs is not None and catalog.only_kind_and_cap(filters):
        # the listener's artist runs answer a kind and a cap at once (see Catalog.artist_runs)
        runs = ranked.runs[RUN_KINDS.index(filters.kind)]
        at = np.flatnonzero(runs < (filters.max_per_artist or NOT_KEPT))[:limit]
    else:
        at = np.asarray(catalog.keep_items(ids, filters, limit), dtype=np.intp)
    n_items = served.artifact.model.n_items
    n = len(ids)
    while len(at) < limit and ranked.deeper is not None and (ids >= 0).all() and n < n_items:
        n = min(n * DEEPER, n_items)
        longer, longer_scores = ranked.deeper(n)
        ids, scores, near = longer[0], longer_scores[0], None
        at = np.asarray(catalog.keep_items(ids, filters, limit), dtype=np.intp)
    if not len(at):
        return Picked([], [], None)
    # float32 scores become the floats they are (tolist converts exactly)
    kept_near = None if near is None else near.take(at).tolist()
    return Picked(ids.take(at).tolist(), scores.take(at).tolist(), kept_near)


def from_record(record: Record, filters: Filters, limit: int, n: int) -> Picked | None:
    """What :func:`pick` keeps from a listener's candidates ``record`` (``n`` long) when
    ``filters`` hold only a kind and a per-artist cap, read with plain Python over its
    bytes; None when other filters need the arrays or the record holds fewer than
    ``limit`` (a deeper ranking decides then)."""
    if not Catalog.only_kind_and_cap(filters):
        return None
    k = RUN_KINDS.index(filters.kind)
    under = (
        record.runs[k * n : (k + 1) * n]
        .tobytes()
        .translate(UNDER[filters.max_per_artist or NOT_KEPT])
    )
    at = list(islice(compress(range(n), under), limit))
    if len(at) < limit:
        return None
    ids, scores, near = record.ids, record.scores, record.near
    return Picked(
        [ids[i] for i in at], [scores[i] for i in at],
        None if near is None else [near[i] for i in at],
    )  # fmt: skip


def _without(items: npt.NDArray[np.int32], deeper: Deeper) -> Deeper:
    def ranked(n: int) -> tuple[Ids, Scores]:
        ids, scores = deeper(n)
        keep = ~np.isin(ids[0], items)
        return ids[:, keep][:, :n], scores[:, keep][:, :n]

    return ranked


def _row(items: npt.NDArray[np.int32], n_items: int) -> sp.csr_matrix:
    data = np.ones(len(items), dtype=np.float32)
    return sp.csr_matrix((data, (np.zeros(len(items), dtype=np.int32), items)),
                         shape=(1, n_items))  # fmt: skip


ARTIST_SEED_ITEMS = 10


def _artist_top(served: Served, artist: int) -> npt.NDArray[np.int32]:
    mine: npt.NDArray[np.int32] = served.popular[
        served.catalog.item_artist[served.popular] == artist
    ]
    return mine[:ARTIST_SEED_ITEMS]


def _store_popular(
    session: Session, *, user_id: str, limit: int, filters: Filters, exclude_listened: bool
) -> Answer:
    """Popularity from the store, for when no model is active (filters applied here)."""
    user = find_user(session, user_id)
    exclude = listened_items(session, user_id=user.id) if user and exclude_listened else set()
    pool = popular_items(session, limit=max(limit * 10, 200), exclude=exclude)
    items = items_by_id(session, [i for i, _ in pool])
    heard = first_heard_of(session, list(items)) if filters.released_after else {}
    after = filters.released_after_ts
    per_artist: dict[int, int] = {}
    data: list[dict[str, Any]] = []
    for item_id, listeners in pool:
        item = items.get(item_id)
        if item is None:
            continue
        tags = {t.name.casefold() for t in item.artist.tags}
        if (
            (filters.kind is not None and item.kind.value != filters.kind)
            or (filters.genre is not None and filters.genre.casefold() not in tags)
            or item.artist_id in filters.exclude_artists
            or (after is not None and heard.get(item_id, -np.inf) < after)
            or per_artist.get(item.artist_id, 0) >= (filters.max_per_artist or limit)
        ):
            continue
        per_artist[item.artist_id] = per_artist.get(item.artist_id, 0) + 1
        data.append({
            "id": item.id, "title": item.title, "artist": item.artist.name,
            "artist_id": item.artist_id, "kind": item.kind.value, "score": float(listeners),
            "rank": len(data) + 1, "reason": orjson.loads(respond.POPULAR),
        })  # fmt: skip
        if len(data) == limit:
            break
    rec_id = respond.rec_id()
    body = {"user_id": user_id, "data": data, "count": len(data), "model_version": None,
            "rec_id": rec_id, "source": "popular"}  # fmt: skip
    record = ServedList(rec_id, user.id if user else None, datetime.now(UTC), None, "popular",
                        [d["id"] for d in data])  # fmt: skip
    return Answer(orjson.dumps(body), record)
