"""Recommendation serving throughput against trivial JSON endpoints of the same server.

Ranks every listener's candidates of the active model (``--database``, ``--models``) into
the shared cache first (timed; the servers' workers do the same when a version loads, one
of them ranking, the others waiting to map the file), then starts ``encore serve`` with 2
workers (uvloop + httptools), which map that cache, warms it up, and runs ``wrk`` on
loopback with the same threads, connections and duration against two references and
the list, the three taking turns in ``--rounds`` rounds (so a change in the machine's load
falls on all three):

- ``GET /healthz``: no credential, no check;
- ``GET /v1/whoami``: the same API key, access check (key cache, scope, rate limiter)
  and middleware as the list, answering a small JSON object;
- ``GET /v1/users/{random listener}/recommendations?limit=20&kind=track
  &exclude_listened=true&max_per_artist=2`` with a ``read`` key made for the run.

The rate limit is raised out of the way (``ENCORE_AUTH__RATE_PER_SECOND``), not turned
off, so its bucket is still taken on every request. It prints requests/s and p99 of
each and the ratios, then the workers' memory (RSS and PSS: the candidate cache is
mapped, so shared pages count once in PSS), the share of non-2xx answers, and recall@10
of the served lists against exact brute-force scoring for a sample of listeners.

    cp /work/benchdata/synth5m.db /tmp/recs/
    export ENCORE_DATABASE_URL=sqlite:////tmp/recs/synth5m.db ENCORE_MODELS__DIR=/tmp/recs/models
    .venv/bin/encore db upgrade && .venv/bin/encore retrain --model als --no-eval --promote always
    .venv/bin/python bench/recs_serve.py --database $ENCORE_DATABASE_URL --models /tmp/recs/models

``wrk`` is Debian's package (``apt-get install wrk``; ``make bench-recs`` installs it).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# the repository first: bench/wrapped.py would otherwise stand in for the wrapped package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import numpy as np

from models.api_keys import Scope, create_key
from models.engine import make_engine, session_factory
from models.model_versions import get_active
from models.recommendations import external_user_ids
from recsys.artifacts import load_artifact
from service.recs.index import Served
from service.settings import RecsSettings

ENCORE = str(Path(sys.executable).parent / "encore")
QUERY = "limit=20&kind=track&exclude_listened=true&max_per_artist=2"
LUA = """math.randomseed(7)
request = function()
  local u = math.random(0, %d)
  return wrk.format("GET", string.format("/v1/users/%s/recommendations?%s", u))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wrk(
    url: str,
    *,
    threads: int,
    connections: int,
    seconds: int,
    script: Path | None,
    key: str | None = None,
    workers: list[int] = [],  # noqa: B006 (read only)
) -> dict[str, float]:
    """One wrk run: req/s, p99, answers, and the CPU time per request of the server's
    ``workers`` and of wrk itself (which shares the machine's cores with them)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if key is not None:
        cmd += ["-H", f"Authorization: Bearer {key}"]
    if script is not None:
        cmd += ["-s", str(script)]
    server_cpu = cpu_seconds(workers)
    wrk_cpu = children_cpu_seconds()
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    server_cpu = cpu_seconds(workers) - server_cpu
    wrk_cpu = children_cpu_seconds() - wrk_cpu
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "non_2xx": float(bad.group(1)) if bad else 0.0,
        "requests": float(total.group(1)) if total else 0.0,
        "server_cpu": server_cpu,
        "wrk_cpu": wrk_cpu,
    }


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes ``pids`` have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker_pids(parent: int) -> list[int]:
    """The server's worker processes (uvicorn spawns them)."""
    kids = subprocess.run(["ps", "--ppid", str(parent), "-o", "pid=,cmd="], capture_output=True,
                          text=True, check=True).stdout.splitlines()  # fmt: skip
    return [int(line.split()[0]) for line in kids if "spawn_main" in line]


def combined(rounds: list[dict[str, float]]) -> dict[str, float]:
    """One endpoint's rounds together: requests over the time, the median round's p99,
    and the non-2xx answers summed."""
    seconds = sum(r["requests"] / r["rps"] for r in rounds)
    return {
        "rps": sum(r["requests"] for r in rounds) / seconds,
        "p99_ms": float(np.median([r["p99_ms"] for r in rounds])),
        "non_2xx": sum(r["non_2xx"] for r in rounds),
        "requests": sum(r["requests"] for r in rounds),
        "server_cpu": sum(r["server_cpu"] for r in rounds),
        "wrk_cpu": sum(r["wrk_cpu"] for r in rounds),
    }


def memory(parent: int) -> tuple[float, float]:
    """RSS and PSS (MiB) summed over the server's worker processes."""
    rss = pss = 0.0
    for pid in worker_pids(parent):
        for row in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = row.partition(":")
            if key in ("Rss", "Pss"):
                kib = float(value.split()[0]) / 1024
                rss += kib if key == "Rss" else 0
                pss += kib if key == "Pss" else 0
    return rss, pss


def read_key(database: str) -> str:
    """A new ``read`` API key in ``database``, for the run's requests."""
    with session_factory(make_engine(database))() as session:
        _row, key = create_key(session, scopes=[Scope.read], name="bench/recs_serve.py")
    return key


def recall_at_10(base: str, database: str, sample: int, key: str) -> float:
    """Served top 10 against the model's exact top 10 over every item, unfiltered."""
    sessions = session_factory(make_engine(database))
    with sessions() as session:
        active = get_active(session)
        assert active is not None, "no active model version"
        path, checksum = active.path, active.checksum
        art = load_artifact(Path(path), checksum=checksum)
        users = np.random.default_rng(7).choice(art.model.n_users, sample, replace=False)
        names = external_user_ids(session, art.user_ids.external(users).tolist())
    hits = total = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        for u in users.tolist():
            ids, _ = art.model.recommend([u], art.user_items[u], N=10)
            exact = set(art.item_ids.external(ids[0]).tolist())
            name = names[int(art.user_ids.ids[u])]
            got = http.get(f"/v1/users/{name}/recommendations", params={"limit": 10}).json()
            hits += len(exact & {i["id"] for i in got["data"]})
            total += len(exact)
    return hits / total


def rank_into(cache: str, database: str) -> float:
    """Rank the active version's candidates into ``cache`` as a worker would; seconds."""
    sessions = session_factory(make_engine(database))
    started = time.perf_counter()
    with sessions() as session:
        active = get_active(session)
        assert active is not None, "no active model version"
        art = load_artifact(Path(active.path), checksum=active.checksum)
        served = Served.load(active.id, art, session, candidates=RecsSettings().candidates,
                             cache_dir=Path(cache))  # fmt: skip
    served.top.done.wait()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="store with an active model")
    parser.add_argument("--models", required=True, help="ENCORE_MODELS__DIR of that store")
    parser.add_argument("--users", type=int, default=100_000, help="synth-%%06d ids drawn from")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=21, help="per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="turns the endpoints take")
    parser.add_argument("--cache", default=None, help="candidate cache (default: a temp dir)")
    parser.add_argument("--recall-sample", type=int, default=300)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("error: wrk is not installed (apt-get install wrk)")
    port = free_port()
    cache = args.cache or tempfile.mkdtemp(prefix="encore-candidates-")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", ENCORE_DATABASE_URL=args.database,
               ENCORE_MODELS__DIR=args.models, ENCORE_RECS__CACHE_DIR=cache,
               ENCORE_LOG_LEVEL="info", ENCORE_WORKERS="2", ENCORE_AUTH__RATE_PER_SECOND="1e9",
               ENCORE_AUTH__RATE_BURST="1000000000")  # fmt: skip
    key = read_key(args.database)
    ranking = rank_into(cache, args.database)
    log = Path(tempfile.mkstemp(prefix="recs-serve-", suffix=".log")[1])
    started = time.perf_counter()
    with log.open("w") as out:
        server = subprocess.Popen([ENCORE, "serve", "--port", str(port)], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            if server.poll() is not None:
                raise SystemExit(f"error: the server stopped; see {log}")
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        ready = time.perf_counter() - started
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(LUA % (args.users - 1, "synth-%06d", QUERY))
        opts = {"threads": args.threads, "connections": args.connections, "seconds": args.seconds}
        time.sleep(5)  # both workers map the ranked candidates
        warm = {**opts, "seconds": 3}
        wrk(f"{base}/healthz", **warm, script=None)  # warm both workers
        wrk(f"{base}/v1/whoami", **warm, script=None, key=key)
        wrk(base, **warm, script=script, key=key)
        # the three take turns in rounds, so a change in the shared machine's load hits
        # all of them alike; each one's figures are its rounds' requests over its time
        per_round = {**opts, "seconds": max(1, args.seconds // args.rounds),
                     "workers": worker_pids(server.pid)}  # fmt: skip
        targets = {
            "healthz": (f"{base}/healthz", None, None),
            "whoami": (f"{base}/v1/whoami", None, key),
            "list": (base, script, key),
        }
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (url, lua, auth) in targets.items():
                rounds[name].append(wrk(url, **per_round, script=lua, key=auth))
        trivial, whoami, recs = (combined(rounds[name]) for name in targets)
        rss, pss = memory(server.pid)
        recall = recall_at_10(base, args.database, args.recall_sample, key)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"candidates of every listener ranked in {ranking:.1f} s (once per version)")
    print(f"server answering (both workers, model and catalog loaded) in {ready:.1f} s")
    print(f"wrk -t{args.threads} -c{args.connections} -d{per_round['seconds']}s x "
          f"{args.rounds} rounds per endpoint, taking turns, 2 workers")  # fmt: skip
    for r in range(args.rounds):
        got = {name: rounds[name][r]["rps"] for name in rounds}
        print(f"  round {r + 1}: " + "  ".join(f"{k} {v:,.0f}/s" for k, v in got.items())
              + f"  list/healthz {got['list'] / got['healthz']:.2f}"
              f"  list/whoami {got['list'] / got['whoami']:.2f}")  # fmt: skip
    for name, got in (("GET /healthz", trivial), ("GET /v1/whoami (key)", whoami),
                      (f"GET .../recommendations?{QUERY} (key)", recs)):  # fmt: skip
        print(
            f"{name}\n{'':30}{got['rps']:>9,.0f} req/s   p99 {got['p99_ms']:.2f} ms (median round)"
            f"   non-2xx {got['non_2xx']:.0f} of {got['requests']:.0f}\n{'':30}"
            f"CPU per request: server {got['server_cpu'] / got['requests'] * 1e6:,.0f} us, "
            f"wrk {got['wrk_cpu'] / got['requests'] * 1e6:,.0f} us"
        )
    print(f"ratio recommendations / healthz: {recs['rps'] / trivial['rps']:.2f}")
    print(f"ratio recommendations / whoami:  {recs['rps'] / whoami['rps']:.2f}")
    print(f"workers' memory: RSS {rss:,.0f} MiB, PSS {pss:,.0f} MiB (2 workers)")
    print(f"recall@10 against exact scoring ({args.recall_sample} listeners): {recall:.3f}")


if __name__ == "__main__":
    main()
