"""Listening newer than the served model, folded in between retrains.

Each worker keeps the set of listeners with plays newer than its model, refreshed at
most every ``fresh_seconds`` by one grouped read of the events added since the last
look (over the primary key; the first look after a model loads reads the time index
for plays after the model's data window). A request only looks its listener up in that
set, so a listener without news costs no database round trip. A listener with news gets
their recent plays read once per new play (cached by their newest event id), weighted
as training weights plays, added to their training row and folded into the model
(:meth:`recsys.recommender.Recommender.recommend_rows`).

PostgreSQL hands out ids before commit, so a transaction can commit an id below one
already seen; each look re-reads the last ``OVERLAP_IDS`` ids to catch those. Plays
imported with old timestamps while a model trains are left to the next retrain.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sqlalchemy.orm import Session, sessionmaker

from models.recommendations import (
    Listener,
    existing_listeners,
    listeners_with_news,
    newest_event_id,
    personalisation_opt_outs,
    plays_after,
)
from recsys.confidence import ConfidenceParams, play_weights
from recsys.topn import Ids, Scores
from service.recs.index import Served

OVERLAP_IDS = 2_000
CACHED_LISTENERS = 10_000


@dataclass(frozen=True, slots=True)
class Folded:
    """A listener's candidates from their training row plus their news."""

    newest_event_id: int
    ids: Ids
    scores: Scores
    history: npt.NDArray[np.int32]  # dense items of the row, most confident first
    row: sp.csr_matrix


class FreshListening:
    """See the module docstring; one per worker."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        poll_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self.poll_seconds = poll_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._version: int | None = None
        self._checked_at: float | None = None
        self._last_id = 0
        self.by_external: dict[str, Listener] = {}
        # listeners who opted out of personalization or were deleted: they get popular
        # items, never their cached candidates; filled at once by ``forget`` in this
        # worker and by every look for news (so other workers follow within a poll)
        self.withheld: frozenset[str] = frozenset()
        self._forgotten: set[str] = set()
        self._n_users: int | None = None
        self._folded: OrderedDict[int, tuple[int, Folded | None]] = OrderedDict()
        self._cache_lock = threading.Lock()  # requests fold in from several threads

    def due(self, served: Served | None) -> bool:
        """Whether a look for news is due (always, right after a version change)."""
        if served is None:
            return False
        if served.version_id != self._version or self._checked_at is None:
            return True
        return self._clock() - self._checked_at >= self.poll_seconds

    def poll(self, served: Served | None) -> None:
        """Look for news when due; concurrent callers go on with what is known."""
        if not self.due(served) or not self._lock.acquire(blocking=False):
            return
        try:
            assert served is not None
            self._checked_at = self._clock()
            until = served.artifact.window.until
            after = None if until is None else datetime.fromtimestamp(until, UTC)
            with self._sessions() as session:
                if served.version_id != self._version:
                    self._last_id = newest_event_id(session)
                    news = listeners_with_news(session, after=after) if after else []
                    self.by_external = {n.external_id: n for n in news}
                    with self._cache_lock:
                        self._folded.clear()
                    self._version = served.version_id
                    self._look_for_withheld(session, served)
                    return
                since = self._last_id
                self._last_id = max(self._last_id, newest_event_id(session))
                # the re-read ids include plays the model was trained on: not news
                news = listeners_with_news(
                    session, after_id=max(since - OVERLAP_IDS, 0), after=after
                )
                self._look_for_withheld(session, served)
            merged = dict(self.by_external)
            for n in news:
                known = merged.get(n.external_id)
                if known is None or known.newest_event_id < n.newest_event_id:
                    merged[n.external_id] = n
            self.by_external = merged
        finally:
            self._lock.release()

    def forget(self, user_id: str) -> None:
        """Stop personalising for ``user_id`` in this worker now (opt-out or deletion)."""
        self._forgotten.add(user_id)
        self.withheld = self.withheld | {user_id}
        self.by_external.pop(user_id, None)

    def _look_for_withheld(self, session: Session, served: Served) -> None:
        """Opted-out listeners, plus the model's listeners gone from the store when the
        number of listeners dropped since the last look."""
        opted, n_users = personalisation_opt_outs(session)
        withheld = opted | self._forgotten
        gone: set[str] = set()
        if self._n_users is not None and n_users < self._n_users:
            known = set(served.users)
            gone = known - existing_listeners(session, known)
            self._forgotten |= gone
        self._n_users = n_users
        self.withheld = frozenset(withheld | gone)

    def is_folded(self, listener: Listener) -> bool:
        """Whether the listener's newest play is folded in already (no store read needed)."""
        cached = self._folded.get(listener.user_id)
        return cached is not None and cached[0] == listener.newest_event_id

    def folded(self, served: Served, listener: Listener, candidates: int) -> Folded | None:
        """The listener's candidates with their news folded in; None when none of their
        plays is of an item the model knows. Reads the store when the listener has news
        not folded yet."""
        with self._cache_lock:
            cached = self._folded.get(listener.user_id)
            if cached is not None and cached[0] == listener.newest_event_id:
                self._folded.move_to_end(listener.user_id)
                return cached[1]
        art = served.artifact
        row = self.row(served, listener)
        folded = None
        if row is not None:
            ids, scores = art.model.recommend_rows(row, N=min(candidates, art.model.n_items))
            order = np.argsort(-row.data, kind="stable")
            folded = Folded(listener.newest_event_id, ids[0], scores[0], row.indices[order], row)
        with self._cache_lock:
            self._folded[listener.user_id] = (listener.newest_event_id, folded)
            while len(self._folded) > CACHED_LISTENERS:
                self._folded.popitem(last=False)
        return folded

    def row(self, served: Served, listener: Listener) -> sp.csr_matrix | None:
        """The listener's training row (if any) plus their plays after the model's data;
        None when those plays carry no weight on items the model knows."""
        art = served.artifact
        until = art.window.until or 0.0
        with self._sessions() as session:
            items, played, duration, skipped = plays_after(
                session, user_id=listener.user_id, after=datetime.fromtimestamp(until, UTC)
            )
        weights = play_weights(
            np.asarray(played, dtype=np.int64), np.asarray(duration, dtype=np.int64),
            np.asarray(skipped, dtype=bool), ConfidenceParams(),
        )  # fmt: skip
        dense = art.item_ids.index(np.asarray(items, dtype=art.item_ids.ids.dtype))
        keep = (dense >= 0) & (weights > 0)
        n_items = art.model.n_items
        news = sp.csr_matrix(
            (weights[keep], (np.zeros(int(keep.sum()), dtype=np.int32), dense[keep])),
            shape=(1, n_items), dtype=np.float32,
        )  # fmt: skip
        if news.nnz == 0:  # skips, or items the model does not know: nothing to fold in
            return None
        user = served.users.get(listener.external_id, -1)
        if user >= 0:
            news = news + art.user_items[user]
        row = sp.csr_matrix(news, dtype=np.float32)
        row.sum_duplicates()
        return row
