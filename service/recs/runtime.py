"""What one worker keeps for serving lists: the model holder, the news tracker and the
served-list buffer, with the async checks that keep store reads off the event loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from service.model_holder import ModelHolder
from service.recs.fresh import FreshListening
from service.recs.index import Served
from service.recs.served_log import ServedLog
from service.settings import Settings

log = logging.getLogger(__name__)


def _report(look: asyncio.Future[None]) -> None:
    """Log a failed look for news (the next one retries); nobody else would see it."""
    exc = None if look.cancelled() else look.exception()
    if exc is not None:
        log.error("looking for new listening failed: %s", str(exc).splitlines()[0])


@dataclass(eq=False)
class Recs:
    sessions: sessionmaker[Session]
    models: ModelHolder
    fresh: FreshListening
    log: ServedLog

    @classmethod
    def create(cls, sessions: sessionmaker[Session], settings: Settings) -> Recs:
        r = settings.recs
        return cls(
            sessions,
            ModelHolder(
                sessions,
                reload_seconds=settings.models.reload_seconds,
                root=settings.models.dir,
                candidates=r.candidates,
                cache_dir=r.candidates_dir(),
                freeze_heap=r.freeze_heap,
            ),
            FreshListening(sessions, poll_seconds=r.fresh_seconds),
            ServedLog(
                sessions, flush_seconds=r.served_flush_seconds, flush_lists=r.served_flush_lists
            ),
        )

    def forget(self, user_id: str) -> None:
        """A listener opted out of personalization or was deleted: no more lists from
        their training row or news in this worker (see ``FreshListening.withheld``)."""
        self.fresh.forget(user_id)

    def close(self) -> None:
        """Write the queued served lists and stop ranking candidates."""
        self.log.stop()
        served = self.models.served
        if served is not None:
            served.top.stop(wait=30)

    def due(self) -> bool:
        """Whether :meth:`served` has a check to start; if not, ``models.served`` is the
        answer, without a coroutine."""
        return self.models.due() or self.fresh.due(self.models.served)

    async def served(self) -> Served | None:
        """The version to answer with. A due check for a newer version runs in the thread
        pool (one request in a while waits for it); a due look for news runs there too,
        without anyone waiting, unless ``fresh_seconds`` is 0."""
        served = self.models.served
        if self.models.due():
            served = await run_in_threadpool(self.models.current)
        if self.fresh.due(served):
            if self.fresh.poll_seconds == 0:  # a look on every request, before answering
                await run_in_threadpool(self.fresh.poll, served)
            else:  # nobody waits for the look; the next requests see what it found
                look = asyncio.get_running_loop().run_in_executor(None, self.fresh.poll, served)
                look.add_done_callback(_report)
        return served
