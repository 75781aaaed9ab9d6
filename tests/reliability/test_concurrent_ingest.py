"""Eight clients post overlapping batches, with duplicates inside and across them, to
``encore serve --workers 2`` over loopback, on both databases. Every acknowledged play is
stored exactly once, and the ``accepted`` counts of all answers add up to the rows stored:
no play was acknowledged as new twice, none was lost."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.reliability.plays import Key, key, play, stored
from tests.utils.server import EncoreServer

CLIENTS = 8
ROUNDS = 8
POOL = 1_500  # distinct plays; each client draws from all of them
BATCH = 80
REPEATS = 10  # plays sent twice within one batch


def client_run(server: EncoreServer, seed: int) -> tuple[set[Key], int, list[str]]:
    """One client's rounds: the plays acknowledged, their ``accepted`` total, any failures."""
    rng = random.Random(seed)
    acknowledged: set[Key] = set()
    accepted = 0
    failures: list[str] = []
    with server.client() as http:
        for _ in range(ROUNDS):
            picks = rng.sample(range(POOL), BATCH)
            picks += rng.sample(picks, REPEATS)
            rng.shuffle(picks)
            resp = http.post("/v1/events", json={"events": [play(n) for n in picks]})
            body = resp.json()
            if resp.status_code != 200 or body["accepted"] + body["duplicates"] != len(picks):
                failures.append(f"{resp.status_code}: {resp.text[:300]}")
                continue
            acknowledged.update(key(n) for n in picks)
            accepted += body["accepted"]
    return acknowledged, accepted, failures


def test_concurrent_overlapping_batches_are_stored_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    with EncoreServer(db_url, tmp_path, workers=2) as server:
        with ThreadPoolExecutor(CLIENTS) as pool:
            runs = list(pool.map(lambda seed: client_run(server, seed), range(CLIENTS)))
        assert server.process is not None and server.process.poll() is None, server.output()
    failures = [f for _, _, fs in runs for f in fs]
    assert failures == []
    acknowledged = set().union(*(ack for ack, _, _ in runs))
    rows = stored(db_url)
    assert [k for k, n in Counter(rows).items() if n > 1] == []  # nothing stored twice
    assert set(rows) == acknowledged  # nothing acknowledged is missing, nothing else stored
    assert sum(accepted for _, accepted, _ in runs) == len(rows)  # each accepted once
    assert len(acknowledged) > POOL * 0.9  # the clients really overlapped over the whole pool
