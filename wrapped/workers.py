"""A pass over every listener on several cores: worker processes forked after the reads.

The parent reads everything once (:func:`wrapped.report.prepare`), closes its database
connections, and forks ``workers`` children, which share its arrays copy-on-write. Each
child opens connections of its own, takes ranges of :data:`TASK` listeners from a queue
(so a child slowed by other work on the machine simply takes fewer), builds their reports
and commits them itself; the parent only relays progress. A build stays resumable: what a
child committed is kept if the run stops, and the next run skips it as fresh.

Forking needs a store that another process can open (not an in-memory SQLite database)
and a parent without open connections: a SQLite connection must never be used across a
fork, and its locks belong to the process that took them.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from models.engine import engine_of

log = logging.getLogger(__name__)

TASK = 500
"""Listeners per task a worker takes (fewer when there are few listeners)."""
POLL_SECONDS = 1.0

Progress = tuple[int, int, dict[str, int]]
"""What a worker did since it last said: listeners handled, reports stored, refusals by
reason."""
Store = Callable[[Session, Iterable[int], Callable[[Progress], None]], None]
"""Builds and stores the listeners given, telling a callback what it did as it goes."""


def forkable(session: Session, workers: int, listeners: int) -> bool:
    """Whether to fork: more than one worker asked for, work for more than one, and a
    store other processes can open."""
    if workers < 2 or listeners < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    url = engine_of(session).url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        return database not in ("", ":memory:") and "mode=memory" not in str(url)
    return True


def run_forked(
    session: Session,
    store: Store,
    which: range,
    *,
    workers: int,
    on_progress: Callable[[Progress], None],
) -> None:
    """Run ``store`` over ``which`` in ``workers`` forked processes, each with a session of
    its own; ``on_progress`` is called here with what they report. A worker's failure is
    raised here, after the others are stopped. ``session`` is committed and closed first
    (it may be used again afterwards, on a new connection)."""
    session.commit()
    session.close()
    engine = engine_of(session)
    engine.dispose()  # no connection of this process may cross the fork
    workers = min(workers, len(which))
    ctx = multiprocessing.get_context("fork")
    tasks: Any = ctx.Queue()
    results: Any = ctx.Queue()
    size = max(1, min(TASK, len(which) // (4 * workers)))
    for start in range(which.start, which.stop, size):
        tasks.put((start, min(start + size, which.stop)))
    for _ in range(workers):
        tasks.put(None)

    def work() -> None:
        try:
            engine.dispose(close=False)
            with Session(engine) as own:
                while (task := tasks.get()) is not None:
                    store(own, range(*task), lambda p: results.put(("progress", p)))
            results.put(("finished", None))
        except BaseException as exc:  # told to the parent, which raises it
            results.put(("failed", f"{type(exc).__name__}: {exc}"))

    children = [ctx.Process(target=work, name=f"wrapped-build-{n}") for n in range(workers)]
    for child in children:
        child.start()
    stopped = True
    try:
        finished = 0
        while finished < len(children):
            try:
                kind, payload = results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                dead = [c for c in children if c.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        f"{dead[0].name} died (exit code {dead[0].exitcode})"
                    ) from None
                continue
            if kind == "progress":
                on_progress(payload)
            elif kind == "finished":
                finished += 1
            else:
                raise RuntimeError(f"a build worker failed: {payload}")
        stopped = False
    finally:
        for child in children:
            if stopped and child.is_alive():
                child.terminate()
            child.join()
        tasks.close()
        results.close()
    log.info("%d workers built %d listeners", len(children), len(which))
