"""The served model version, with every known listener's top candidates precomputed.

Scoring 100k items for one listener costs milliseconds; the budget of a list is tens of
microseconds. So the ``candidates`` best unheard items of every listener the model knows
are ranked once per loaded version, exactly, and a request filters that ranking. A
background thread ranks every listener in blocks after the version loads (implicit's
``topk`` for factor models, which scores and selects in C++ outside the GIL; the
model's own ``recommend`` otherwise); a request for a listener not ranked yet ranks that
one listener on the spot and keeps the result. When filters leave fewer items than
asked for, the list is ranked again over the whole catalog, so what comes back is always
the model's exact top under those filters, never an approximation. Worked out in the
same pass and kept next to the candidates: for factor models, the item of the listener's
history each one is most like (its reason, :mod:`service.recs.nearest`); and the
listener's artist runs (:meth:`service.recs.catalog.Catalog.artist_runs`), so a list
filtered by kind and capped per artist is a comparison and a cut, not a loop.

All of a listener's candidates (ids, scores, nearest played items, artist runs) are one
record of one array (``Candidates.rows``), so a request reads one row of bytes, sliced
without numpy (:meth:`Candidates.record`): numpy's per-call costs on 200 items outweigh
the work. The ranking is written to ``cache_dir`` (named by the artifact's checksum) under
a file lock, so of the workers that load one version, one ranks and the others map its
file: the work is done once per machine and the pages are shared between workers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
from implicit.cpu.topk import topk
from sqlalchemy.orm import Session

from models.recommendations import external_user_ids
from recsys.artifacts import Artifact
from recsys.factorization import MatrixFactorization
from recsys.topn import Ids, Scores
from service.recs.catalog import NOT_KEPT, RUN_KINDS, Catalog, Filters
from service.recs.nearest import history, nearest_played, unit_rows

if TYPE_CHECKING:  # lists builds on this module
    from service.recs.lists import Picked

log = logging.getLogger(__name__)

BLOCK_USERS = 1024
PAGE = 4096


@dataclass(frozen=True, eq=False)
class Served:
    """A loaded version. ``popular`` holds dense item indices, most recent listeners
    first (``popular_scores`` their counts); ``top_ids``/``top_scores`` each known
    listener's precomputed candidates; ``users`` maps external ids to dense indices."""

    version_id: int
    artifact: Artifact
    catalog: Catalog
    users: dict[str, int]
    user_external: list[str]
    top: Candidates
    popular: npt.NDArray[np.int32]
    popular_scores: npt.NDArray[np.float32]
    unit_items: npt.NDArray[np.float32] | None  # unit item factors, for reasons
    popular_picks: dict[tuple[Filters, int], Picked] = field(default_factory=dict, repr=False)
    """:func:`service.recs.lists.for_user`'s popularity lists by filters and limit: the
    same for every listener the model does not know, so picked once per version."""

    @property
    def candidates(self) -> int:
        return self.top.n

    @classmethod
    def load(
        cls,
        version_id: int,
        artifact: Artifact,
        session: Session,
        *,
        candidates: int,
        cache_dir: Path,
    ) -> Served:
        """Build what serving needs from ``artifact`` and the store's catalog."""
        started = time.perf_counter()
        catalog = Catalog.load(session, artifact)
        store_users = artifact.user_ids.ids.tolist()
        names = external_user_ids(session, store_users)
        user_external = [names.get(int(u), "") for u in store_users]
        users = {name: i for i, name in enumerate(user_external) if name}
        unit = None
        model = artifact.model
        if isinstance(model, MatrixFactorization):
            unit = unit_rows(model.item_factors)
        n = min(candidates, artifact.model.n_items)
        top = Candidates(artifact, n, cache_dir, catalog, unit)
        recent = np.zeros(len(catalog.item_ids), dtype=np.int64)
        if artifact.serving is not None:
            recent = artifact.serving.recent_listeners
        listeners = np.asarray(artifact.user_items.getnnz(axis=0), dtype=np.int64)
        ranked = np.lexsort((np.arange(len(listeners)), -listeners, -recent))
        order: npt.NDArray[np.int32] = ranked[catalog.present[ranked]].astype(np.int32)
        counts = np.where(recent[order] > 0, recent[order], listeners[order]).astype(np.float32)
        log.info(
            "version %d loaded in %.1f s; ranking %d candidates of %d listeners",
            version_id, time.perf_counter() - started, top.n, len(users),
        )  # fmt: skip
        top.start(version_id)
        return cls(version_id, artifact, catalog, users, user_external, top, order, counts, unit)

    def history(self, user: int) -> npt.NDArray[np.int32]:
        """See :func:`service.recs.nearest.history`."""
        return history(self.artifact.user_items, user)


class Row(NamedTuple):
    """One listener's candidates: dense ``ids`` (-1 padding), ``scores``, nearest played
    items (``near``, None without unit factors) and artist runs (``runs``)."""

    ids: Ids
    scores: Scores
    near: npt.NDArray[np.int32] | None
    runs: npt.NDArray[np.uint8]


class Record(NamedTuple):
    """One listener's :class:`Row` as memoryviews of their record: indexing one gives a
    Python int or float (float32 scores exactly), with no numpy call on the way. ``runs``
    holds the ``n`` bytes of each kind filter of ``RUN_KINDS`` one after another."""

    ids: memoryview[int]
    scores: memoryview[float]
    near: memoryview[int] | None
    runs: memoryview[int]


class Candidates:
    """Every known listener's top ``n`` unheard items (``ids``, ``scores``), their artist
    runs (``runs``) and, given unit item factors, each one's nearest item of the
    listener's history (``near``); see the module docstring. The cache is named by the
    artifact and the catalog the runs were worked out on."""

    def __init__(
        self,
        artifact: Artifact,
        n: int,
        cache_dir: Path,
        catalog: Catalog,
        unit: npt.NDArray[np.float32] | None = None,
    ) -> None:
        self.artifact = artifact
        self.n = n
        self.catalog = catalog
        self.unit = unit
        self.cache = cache_dir / f"{artifact.checksum[:32]}-{catalog.digest}-{n}"
        users = artifact.model.n_users
        # one record of bytes per listener: ids, scores, [near,] runs of each kind
        fields = [("ids", 4 * n), ("scores", 4 * n)]
        if unit is not None:
            fields.append(("near", 4 * n))
        fields.append(("runs", len(RUN_KINDS) * n))
        self._spans: dict[str, tuple[int, int]] = {}
        at = 0
        for name, size in fields:
            self._spans[name] = (at, at + size)
            at += size
        self.width = at
        self._use(np.zeros((users, self.width), dtype=np.uint8))
        self.ids[:] = -1
        self.scores[:] = -np.inf
        self.runs[:] = NOT_KEPT
        if self.near is not None:
            self.near[:] = -1
        self.ready = np.zeros(users, dtype=bool)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.done = threading.Event()

    def _use(self, rows: npt.NDArray[np.uint8]) -> None:
        """Serve from ``rows`` (listeners x ``width`` bytes): the field arrays are views of it."""
        users = len(rows)

        def field(name: str) -> npt.NDArray[np.uint8]:
            start, end = self._spans[name]
            return rows[:, start:end]

        self.rows = rows
        self._flat = rows.reshape(-1).data
        self.ids: Ids = field("ids").view(np.int32)
        self.scores: Scores = field("scores").view(np.float32)
        self.near: npt.NDArray[np.int32] | None = None
        if "near" in self._spans:
            self.near = field("near").view(np.int32)
        self.runs: npt.NDArray[np.uint8] = field("runs").reshape(users, len(RUN_KINDS), self.n)

    def record(self, user: int) -> Record | None:
        """The listener's candidates as one record read; None when not ranked yet (then
        :meth:`get` ranks them)."""
        if not self.ready[user]:
            return None
        start = user * self.width
        row = self._flat[start : start + self.width]
        spans = self._spans
        near = spans.get("near")
        return Record(
            row[slice(*spans["ids"])].cast("i"),
            row[slice(*spans["scores"])].cast("f"),
            None if near is None else row[slice(*near)].cast("i"),
            row[slice(*spans["runs"])],
        )

    def get(self, user: int) -> Row:
        """The listener's candidates, ranked now if the background has not got to them."""
        if not self.ready[user]:
            users = np.array([user])
            ids, scores = rank(self.artifact, users, self.n)
            near = self._nearest(users, ids)
            runs = self.catalog.artist_runs(ids)
            if self.ids.flags.writeable:  # another worker's mapped ranking is read-only
                self.ids[user], self.scores[user], self.runs[user] = ids[0], scores[0], runs[0]
                if self.near is not None and near is not None:
                    self.near[user] = near[0]
                self.ready[user] = True
            return Row(ids[0], scores[0], None if near is None else near[0], runs[0])
        near_row = None if self.near is None else self.near[user]
        return Row(self.ids[user], self.scores[user], near_row, self.runs[user])

    def _nearest(
        self, users: npt.NDArray[np.int64], ids: npt.NDArray[np.int32]
    ) -> npt.NDArray[np.int32] | None:
        if self.unit is None:
            return None
        ui = self.artifact.user_items
        return nearest_played(self.unit, ids, [history(ui, u) for u in users.tolist()])

    def start(self, version_id: int) -> None:
        name = f"candidates-{version_id}"
        self._thread = threading.Thread(
            target=self._fill, args=(version_id,), name=name, daemon=True
        )
        self._thread.start()

    def stop(self, wait: float = 0.0) -> None:
        """Stop ranking after the current block; wait up to ``wait`` seconds for that, so a
        stopping process never exits in the middle of implicit's C++ (which aborts)."""
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(timeout=wait)

    def _fill(self, version_id: int) -> None:
        started = time.perf_counter()
        self.cache.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{self.cache}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker ranking this version: wait
            how = "mapped"
            if not self._mapped():
                if not self._rank_all():
                    return
                self._write()
                how = "ranked"
        if how == "mapped":
            self._touch()
        self.done.set()
        log.info(
            "version %d: candidates of all %d listeners %s in %.1f s",
            version_id, len(self.ready), how, time.perf_counter() - started,
        )  # fmt: skip

    def _rank_all(self) -> bool:
        users = len(self.ready)
        for start in range(0, users, BLOCK_USERS):
            if self._stop.is_set():
                return False
            block = np.arange(start, min(start + BLOCK_USERS, users))
            block = block[~self.ready[block]]
            if len(block):
                ids, self.scores[block] = rank(self.artifact, block, self.n)
                self.ids[block] = ids
                self.runs[block] = self.catalog.artist_runs(ids)
                near = self._nearest(block, ids)
                if self.near is not None and near is not None:
                    self.near[block] = near
                self.ready[block] = True
        return True

    def _mapped(self) -> bool:
        try:
            theirs = np.load(f"{self.cache}-rows.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return False
        if theirs.shape != self.rows.shape or theirs.dtype != self.rows.dtype:
            return False
        # a plain view: numpy's memmap subclass adds microseconds to every operation
        self._use(theirs.view(np.ndarray))
        self.ready[:] = True
        return True

    def _touch(self) -> None:
        """Read one value of every page of the mapped file, so this process's page table
        holds them all before requests come (a first touch is a fault of its own, paid by
        a request otherwise)."""
        int(self.rows.reshape(-1)[::PAGE].sum(dtype=np.uint64))

    def _write(self) -> None:
        """Write the ranking for other workers; a failure only costs them the work. The
        file appears whole or not at all (written aside, then renamed)."""
        tmp = f"{self.cache}-rows.{os.getpid()}.tmp.npy"
        try:
            np.save(tmp, self.rows, allow_pickle=False)
            os.replace(tmp, f"{self.cache}-rows.npy")
        except OSError as exc:
            log.warning("could not share the candidates at %s: %s", self.cache, exc)


def rank(artifact: Artifact, users: npt.NDArray[np.int64], n: int) -> tuple[Ids, Scores]:
    """The model's exact top ``n`` unheard items of the known listeners ``users``."""
    model, rows = artifact.model, artifact.user_items[users]
    if not isinstance(model, MatrixFactorization):
        return model.recommend(users, rows, N=n)
    ids, scores = topk(
        model.item_factors, model.user_factors[users], n, filter_query_items=rows, num_threads=1
    )
    scores = np.asarray(scores, dtype=np.float32)
    ids = np.where(np.isfinite(scores) & (ids >= 0), ids, -1).astype(np.int32)
    return ids, np.where(ids >= 0, scores, -np.inf).astype(np.float32)
