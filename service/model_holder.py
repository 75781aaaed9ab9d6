"""The model a server answers with: the active version's artifact, swapped in while serving.

Servers never train; they load what ``encore retrain`` wrote and ``encore models promote``
activated. The holder asks the store which version is active at most once every
``reload_seconds`` (on a request, never in the background). A new version is loaded and
verified in full before the reference is replaced, so a request sees the old model or
the new one, never a mix (the in-memory catalog is built before the swap; listeners'
candidates are ranked after it, :mod:`service.recs.index`); an artifact that fails
verification is refused, logged, and the old model keeps serving until another version
is promoted. In a server, the heap is settled after a swap (:mod:`service.heap`): the
version's objects are kept out of the garbage collector's full collections.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from models.model_versions import get_active
from recsys.artifacts import load_artifact
from recsys.errors import CorruptArtifact
from service import heap, metrics
from service.recs.index import Served

log = logging.getLogger(__name__)


class ModelHolder:
    """Holds the served version; see the module docstring."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        reload_seconds: float,
        candidates: int = 200,
        cache_dir: Path | None = None,
        root: Path | None = None,
        freeze_heap: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``root`` is the models directory: an active version whose path leads outside
        it is refused like a corrupt one. ``freeze_heap`` settles the heap after each swap
        (:mod:`service.heap`): for a server, whose heap is mostly the model."""
        self._sessions = sessions
        self._candidates = candidates
        self._cache_dir = cache_dir or Path(tempfile.gettempdir()) / "encore-candidates"
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._root = root
        self._freeze_heap = freeze_heap
        self._served: Served | None = None
        self._refused: tuple[int, str] | None = None
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    @property
    def served(self) -> Served | None:
        """The version currently served, without checking for a newer one."""
        return self._served

    def due(self) -> bool:
        """Whether the next :meth:`current` asks the store (so an async caller can leave
        the event loop for it)."""
        return self._checked_at is None or self._clock() - self._checked_at >= self._reload_seconds

    def current(self) -> Served | None:
        """The version to answer with, after a check for a newer one when one is due."""
        # one request checks; concurrent ones answer with the version in hand
        if self.due() and self._lock.acquire(blocking=False):
            try:
                self.refresh()
            finally:
                self._lock.release()
        return self._served

    def refresh(self) -> None:
        """Load the active version if it is not the one served."""
        self._checked_at = self._clock()
        with self._sessions() as session:
            active = get_active(session)
            wanted = None if active is None else (active.id, active.path, active.checksum)
        if wanted is None:
            if self._served is not None:
                log.warning("no model version is active any more; serving popularity")
            self._served = None
            metrics.MODEL_VERSION.set(0)
            return
        version_id, path, checksum = wanted
        if self._served is not None and self._served.version_id == version_id:
            return
        if self._refused == (version_id, checksum):
            return
        try:
            artifact = load_artifact(Path(path), checksum=checksum, root=self._root)
        except CorruptArtifact as exc:
            self._refused = (version_id, checksum)
            kept = "none" if self._served is None else self._served.version_id
            log.error("refused model version %d (%s); still serving %s", version_id, exc, kept)
            return
        with self._sessions() as session:
            loaded = Served.load(
                version_id, artifact, session, candidates=self._candidates,
                cache_dir=self._cache_dir,
            )  # fmt: skip
        if self._served is not None:
            self._served.top.stop()
        self._served = loaded
        if self._freeze_heap:
            heap.settle()
        metrics.MODEL_VERSION.set(version_id)
        log.info("serving model version %d (%s) from %s", version_id, artifact.model.family, path)
