"""Per-request cost of ``GET /healthz``, ``GET /v1/whoami`` and the user list through the
whole ASGI app (middleware, routing, access check, access log), driven in process without
sockets: a diagnostic of where ``bench/recs_serve.py``'s ratio comes from, since uvicorn's
and the network's share is the same for all three. Alternates the three in blocks of
``BLOCK``, 10,000 requests each (random listeners over ``--users`` for the list), three
times, and prints the median block's cost per request in wall time and in CPU time of
the thread (steadier on a shared machine); ``--profile`` adds a cProfile of the list
requests. The server's log (one JSON line per request) goes to stderr, the figures to
stdout.

    .venv/bin/python bench/recs_inprocess.py --database sqlite:///... --models DIR \
      --cache DIR 2>/dev/null
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging.config
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from models.api_keys import Scope, create_key
from service.app import create_app
from service.logs import log_config
from service.settings import Settings

QUERY = b"limit=20&kind=track&exclude_listened=true&max_per_artist=2"
N = 10_000
BLOCK = 250  # requests of one kind in a row


def request(path: str, key: str | None, query: bytes = b"") -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")]
    if key:
        headers.append((b"authorization", b"Bearer " + key.encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    settings = Settings(
        database_url=args.database, models={"dir": args.models}, recs={"cache_dir": args.cache},
        auth={"rate_per_second": 1e9, "rate_burst": 10**9}, log_level="info", _env_file=None,
    )  # fmt: skip
    logging.config.dictConfig(log_config("info", settings.http.log_format, access=True))
    app = create_app(settings)

    async def call(scope: dict[str, Any]) -> int:
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        # a fresh state per request: a shared one would keep the first answer's principal
        # and skip the key check on every later request of that scope
        await app({**scope, "state": {}}, receive, send)
        return status[0]

    async with app.router.lifespan_context(app):
        app.state.models.served.top.done.wait()
        with app.state.store.sessions() as session:
            _row, key = create_key(session, scopes=[Scope.read], name="bench/recs_inprocess.py")
        users = np.random.default_rng(3).integers(0, args.users, N).tolist()
        paths = [f"/v1/users/synth-{u:06d}/recommendations" for u in users]
        kinds = {
            "healthz": [request("/healthz", None)] * N,
            "whoami": [request("/v1/whoami", key)] * N,
            "list": [request(path, key, QUERY) for path in paths],
        }
        for name, scopes in kinds.items():
            for scope in scopes[:1000]:
                assert await call(scope) == 200, name
        for _ in range(3):
            # the kinds take turns in blocks, so a change in the machine's load hits all
            # three alike; per kind, the median block, in wall time and in this thread's
            # CPU time (which leaves out the time other processes held the core)
            wall: dict[str, list[float]] = {name: [] for name in kinds}
            cpu: dict[str, list[float]] = {name: [] for name in kinds}
            for start in range(0, N, BLOCK):
                for name, scopes in kinds.items():
                    block = scopes[start : start + BLOCK]
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    for scope in block:
                        await call(scope)
                    wall[name].append((time.perf_counter() - started) / len(block) * 1e6)
                    cpu[name].append((time.thread_time() - started_cpu) / len(block) * 1e6)
            for label, times in (("wall", wall), ("cpu ", cpu)):
                us = {name: statistics.median(values) for name, values in times.items()}
                print(label, "  ".join(f"{k} {v:.1f} us" for k, v in us.items()),
                      f"  list/healthz {us['healthz'] / us['list']:.2f}"
                      f"  list/whoami {us['whoami'] / us['list']:.2f}", flush=True)  # fmt: skip
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for scope in kinds["list"]:
                await call(scope)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main())
