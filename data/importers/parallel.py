"""Parsing a file in a second process while this one stores it.

Parsing (streaming JSON or CSV into records) and storing (catalog look-ups and inserts)
each take about half of an import's time, and both are Python, so threads cannot overlap
them. A forked child parses and sends compact tuples over a bounded queue; the parent
rebuilds records and stores them in its transaction. A format error in the child is
raised in the parent, inside that transaction, so the file is still all or nothing.
Fork is used because sources may hold closures (zip members); the child touches no
database connection and ends with ``os._exit``.
"""

from __future__ import annotations

import io
import multiprocessing
import queue
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from data.importers.base import FileReport, ImportFormatError, Parser, Skip
from data.importers.sources import CountingReader, Source
from models.catalog import ItemKind
from models.listening import EventSource
from models.records import EventRecord, ItemRef

QUEUE_DEPTH = 4


def available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _pack(r: EventRecord) -> tuple[Any, ...]:
    return (
        r.user, r.ts, r.ms_played, tuple(r.item), r.skipped, r.reason_start, r.reason_end,
        r.shuffle, r.offline, r.private, r.platform, r.country, r.source.value,
        r.client_event_id, r.rec_id,
    )  # fmt: skip


def _unpack(t: tuple[Any, ...]) -> EventRecord:
    item = t[3]
    return EventRecord(
        t[0], t[1], t[2], ItemRef(ItemKind(item[0]), *item[1:]), t[4], t[5], t[6], t[7], t[8],
        t[9], t[10], t[11], EventSource(t[12]), t[13], t[14],
    )  # fmt: skip


def _child(source: Source, parse: Parser, user: str | None, size: int, out: Any) -> None:
    read = 0

    def on_read(n: int) -> None:
        nonlocal read
        read += n

    try:
        skipped: Counter[str] = Counter()
        batch: list[tuple[Any, ...]] = []
        with source.open() as raw:
            stream = io.BufferedReader(CountingReader(raw, on_read))
            for row in parse(stream, source.name, user):
                if isinstance(row, Skip):
                    skipped[row.reason] += 1
                    continue
                batch.append(_pack(row))
                if len(batch) >= size:
                    out.put(("batch", batch, read))
                    batch, read = [], 0
        out.put(("batch", batch, read))
        out.put(("done", dict(skipped)))
    except ImportFormatError as exc:
        out.put(("error", str(exc)))
    except BaseException as exc:  # reported to the parent, which fails the file
        out.put(("crash", repr(exc)))


def batches(
    source: Source,
    parse: Parser,
    user: str | None,
    size: int,
    report: FileReport,
    on_read: Callable[[int], None],
) -> Iterator[list[EventRecord]]:
    """Record batches of ``source``, parsed in a forked child process."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue(maxsize=QUEUE_DEPTH)
    child = ctx.Process(
        target=_child, args=(source, parse, user, size, out), name="encore-parse", daemon=True
    )
    child.start()
    try:
        while True:
            try:
                message = out.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"{source.name}: the parser process died") from None
                continue
            kind = message[0]
            if kind == "batch":
                on_read(message[2])
                if message[1]:
                    yield [_unpack(t) for t in message[1]]
            elif kind == "done":
                report.skipped.update(message[1])
                return
            elif kind == "error":
                raise ImportFormatError(message[1])
            else:
                raise RuntimeError(f"{source.name}: the parser failed: {message[1]}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
