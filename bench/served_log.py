"""What writing the served-list log costs a worker: ``models.served.record_served``
against an ORM bulk insert of the same lists, and against no writer, in one process.

The server writes every list it answers from a background thread (``ServedLog``) that
shares the worker's GIL with the requests. So the cost is two numbers: the writer
thread's own CPU per list, and what the writer adds to the *request* thread's CPU (each
call into the driver releases the GIL, and taking it back makes the request thread give
it up). Here a request thread does a fixed piece of pure-Python work over and over
(``UNIT``: building and encoding a small list, about a request's worth) while a writer
thread writes batches of ``--batch`` lists (20 item ids, a listener, a UUIDv7 ``rec_id``)
at ``--rate`` lists a second, committing each batch, as the server does under load. The
three ways take turns for ``--rounds`` rounds on the same store. Prints, per way, the
request thread's CPU per unit of work and how much that rose over no writer, per list
written, and the writer thread's CPU per list.

    .venv/bin/python bench/served_log.py --database sqlite:////tmp/copy-of-synth5m.db
    .venv/bin/python bench/served_log.py --database postgresql+psycopg://root@127.0.0.1/bench5m

It writes into ``served_recommendations`` and deletes what it wrote at the end.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from sqlalchemy import delete, func, insert, select

from models.catalog import Item
from models.engine import make_engine, session_factory
from models.served import ServedList, ServedRecommendation, record_served
from models.users import User
from service.recs.respond import rec_id

Writer = Callable[[Any, list[ServedList]], object]


def orm_insert(session: Any, lists: list[ServedList]) -> None:
    """The reference: one dict per list through the ORM's bulk insert (an
    ``executemany``; the server's writer before this change)."""
    rows = [
        {"rec_id": s.rec_id, "user_id": s.user_id, "served_at": s.served_at,
         "model_version_id": s.model_version_id, "source": s.source,
         "item_ids": [int(i) for i in s.item_ids], "experiment_id": s.experiment_id,
         "arm": s.arm}
        for s in lists
    ]  # fmt: skip
    session.execute(insert(ServedRecommendation), rows)


def unit() -> bytes:
    """About a request's worth of pure-Python work."""
    parts = [{"id": i, "score": i / 7, "rank": i + 1, "reason": f"because {i}"} for i in range(60)]
    return orjson.dumps({"data": sorted(parts, key=lambda p: -p["score"])})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--batch", type=int, default=500, help="lists a commit (the default)")
    parser.add_argument("--rate", type=float, default=2500, help="lists a second")
    parser.add_argument("--seconds", type=float, default=4.0, help="a way's turn, per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    engine = make_engine(args.database)
    sessions = session_factory(engine)
    rng = random.Random(7)
    with sessions() as session:
        users = list(session.scalars(select(User.id).limit(100_000)))
        items = list(session.scalars(select(Item.id).limit(200_000)))
        before = session.scalar(select(func.max(ServedRecommendation.id))) or 0
    if not users or not items:
        sys.exit("the store has no listeners or items; load some first")

    def lists(n: int) -> list[ServedList]:
        return [
            ServedList(rec_id(), rng.choice(users), datetime.now(UTC), 1, "model",
                       rng.sample(items, 20))
            for _ in range(n)
        ]  # fmt: skip

    def turn(write: Writer | None) -> tuple[float, float, int, int]:
        """One way's turn: request-thread CPU per unit, writer CPU per list, lists
        written, units done."""
        stop = threading.Event()
        written = [0, 0.0]

        def writer() -> None:
            while not stop.is_set():
                batch = lists(args.batch)
                started = time.thread_time()
                with sessions.begin() as session:
                    assert write is not None
                    write(session, batch)
                written[0] += len(batch)
                written[1] += time.thread_time() - started
                stop.wait(args.batch / args.rate)

        thread = threading.Thread(target=writer) if write is not None else None
        if thread is not None:
            thread.start()
        done, cpu, end = 0, time.thread_time(), time.perf_counter() + args.seconds
        while time.perf_counter() < end:
            for _ in range(50):
                unit()
            done += 50
        cpu = time.thread_time() - cpu
        stop.set()
        if thread is not None:
            thread.join()
        per_list = written[1] / written[0] if written[0] else 0.0
        return cpu / done, per_list, int(written[0]), done

    ways: dict[str, Writer | None] = {
        "no writer": None,
        "ORM bulk insert (reference)": orm_insert,
        "record_served": record_served,
    }
    got: dict[str, list[tuple[float, float, int, int]]] = {name: [] for name in ways}
    try:
        for _ in range(args.rounds):
            for name, write in ways.items():
                got[name].append(turn(write))
    finally:
        with sessions.begin() as session:
            session.execute(delete(ServedRecommendation).where(ServedRecommendation.id > before))
    print(f"{engine.dialect.name}: batches of {args.batch} at {args.rate:,.0f} lists/s, "
          f"{args.rounds} rounds of {args.seconds:.0f} s per way (medians)")  # fmt: skip
    base = statistics.median(r[0] for r in got["no writer"])
    for name, runs in got.items():
        per_unit = statistics.median(r[0] for r in runs)
        line = f"  {name:28s} request thread {per_unit * 1e6:6.1f} µs a unit"
        if name != "no writer":
            written = sum(r[2] for r in runs)
            extra = (per_unit - base) * sum(r[3] for r in runs) / written
            writer = statistics.median(r[1] for r in runs)
            line += (f" (+{extra * 1e6:5.1f} µs a list written);  writer {writer * 1e6:5.1f} µs "
                     f"a list;  {written:,} lists")  # fmt: skip
        print(line)


if __name__ == "__main__":
    main()
