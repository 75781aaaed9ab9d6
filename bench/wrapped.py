"""Wrapped at scale: ``encore wrapped build`` for every listener vs. a plain scan, and one
listener's JSON over HTTP.

On an existing store (the shared 5M-event synthetic set: copy it first, the build writes
``wrapped_reports``), in the same run and for each URL given:

- **scan**: ``SELECT user_id, item_id, ts, ms_played FROM listening_events`` over the UTC
  year, fetched in full through the driver's cursor: the least any build must read;
- **build**: the real ``encore wrapped build --year Y`` (a subprocess), after the year's
  stored reports are deleted, so every listener is built; its wall time over the scan's
  is the ratio the issue bounds (at most 20x); then a second run, which finds every
  report fresh;
- **JSON**: ``encore serve`` (one worker, ``ENCORE_AUTH=off``: the time of Wrapped, not of
  checking a key) answering ``GET /v1/users/{id}/wrapped/{year}``
  for ``--requests`` random listeners with a report, one at a time: stored (the build's
  report, fresh) and live (``?tz=`` a zone no listener has, so it is computed on
  demand); p50 and p95 of each.

    .venv/bin/python bench/wrapped.py --year 2025 \
        --url sqlite:////tmp/wb/synth5m.db --url postgresql://postgres@127.0.0.1/wrapped_bench
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import delete, select

from models.engine import make_engine
from models.users import User
from models.wrapped_reports import WrappedReportRow

ENCORE = str(Path(sys.executable).parent / "encore")
LIVE_TZ = "Pacific/Chatham"
"""A zone the synthetic listeners do not live in: asking for it always computes."""


def scan(url: str, year: int) -> tuple[float, int]:
    """Seconds to fetch the year's plays in full, and how many there were."""
    engine = make_engine(url)
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    sql = "SELECT user_id, item_id, ts, ms_played FROM listening_events WHERE ts >= {} AND ts < {}"
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        began = time.perf_counter()
        if engine.dialect.name == "sqlite":
            cur = raw.cursor()
            cur.execute(
                sql.format("?", "?"), (f"{start:%Y-%m-%d %H:%M:%S}", f"{end:%Y-%m-%d %H:%M:%S}")
            )
        else:
            cur = raw.cursor(name="bench_scan")
            cur.execute(sql.format("%s", "%s"), (start, end))
        n = 0
        while rows := cur.fetchmany(50_000):
            n += len(rows)
        seconds = time.perf_counter() - began
        cur.close()
    engine.dispose()
    return seconds, n


def build(url: str, year: int) -> tuple[float, float]:
    """Wall seconds of ``encore wrapped build``, and the CPU seconds (user + system) of it
    and every process it started (its workers, its readers)."""
    began = time.perf_counter()
    cpu = _children_cpu()
    out = subprocess.run(
        [ENCORE, "wrapped", "build", "--year", str(year)],
        env={**os.environ, "ENCORE_DATABASE_URL": url}, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    if out.returncode:
        raise SystemExit(out.stderr)
    print("   ", out.stdout.strip().replace("\n", " "))
    return seconds, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def serve_json(
    url: str, year: int, requests: int, live_requests: int, seed: int
) -> dict[str, list[float]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        users = list(
            conn.scalars(
                select(User.external_id).join(WrappedReportRow, WrappedReportRow.user_id == User.id)
            )
        )
    engine.dispose()
    picked = random.Random(seed).sample(users, min(requests, len(users)))
    port = free_port()
    server = subprocess.Popen(
        [ENCORE, "serve", "--port", str(port)],
        env={**os.environ, "ENCORE_DATABASE_URL": url, "ENCORE_LOG_LEVEL": "warning",
             "ENCORE_AUTH": "off"},
    )  # fmt: skip
    timings: dict[str, list[float]] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("server did not start")
                time.sleep(0.2)
            for kind, params, n in (
                ("stored", {}, requests),
                ("live", {"tz": LIVE_TZ}, live_requests),
            ):
                began = time.perf_counter()  # warm-up: the first of a window reads it
                http.get(f"/v1/users/{picked[0]}/wrapped/{year}", params=params)
                timings[f"{kind}, first"] = [time.perf_counter() - began]
                timings[kind] = []
                refused = 0
                for user in picked[:n]:
                    began = time.perf_counter()
                    r = http.get(f"/v1/users/{user}/wrapped/{year}", params=params)
                    timings[kind].append(time.perf_counter() - began)
                    computed = r.headers.get("x-wrapped-computed")
                    if kind == "live" and r.status_code == 409:  # eligible in their own zone
                        refused += 1  # only: a refusal computed on demand, timed too
                    elif r.status_code != 200 or computed != kind:
                        raise SystemExit(f"{user}: expected {kind}, got {r.status_code} {computed}")
                if refused:
                    print(f"  JSON {kind}: {refused} of {n} not eligible in {LIVE_TZ}'s year (409)")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", required=True, help="store URL (repeatable)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--live-requests", type=int, default=100, help="of those, computed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-only", action="store_true", help="keep the stored reports")
    args = parser.parse_args()
    for url in args.url:
        backend = url.split(":", 1)[0]
        if args.json_only:
            print(f"{backend}: {url}")
            show(serve_json(url, args.year, args.requests, args.live_requests, args.seed))
            continue
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(delete(WrappedReportRow).where(WrappedReportRow.period == str(args.year)))
        engine.dispose()
        print(f"{backend}: {url}")
        scan_s, n = scan(url, args.year)
        print(f"  scan   {scan_s:8.1f} s  ({n:,} plays)")
        build_s, build_cpu = build(url, args.year)
        ratio = build_s / scan_s
        print(f"  build  {build_s:8.1f} s  = {ratio:.1f}x the scan  (CPU {build_cpu:.1f} s)")
        again_s, again_cpu = build(url, args.year)
        print(f"  again  {again_s:8.1f} s  (every report fresh; CPU {again_cpu:.1f} s)")
        scan2_s, _ = scan(url, args.year)
        print(f"  scan   {scan2_s:8.1f} s  (after the build; ratio {build_s / scan2_s:.1f}x)")
        show(serve_json(url, args.year, args.requests, args.live_requests, args.seed))


def show(timings: dict[str, list[float]]) -> None:
    for kind, values in timings.items():
        print(
            f"  JSON {kind:13} p50 {1000 * pct(values, 50):6.1f} ms  "
            f"p95 {1000 * pct(values, 95):6.1f} ms  ({len(values)} requests)"
        )


if __name__ == "__main__":
    main()
