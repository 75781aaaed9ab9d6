"""Killing ``encore serve`` or ``encore import`` midway, on both databases.

A server killed with SIGKILL (supervisor and workers at once) while four clients post
loses no acknowledged play; a batch that was in flight is stored whole or not at all,
and re-sending it after the restart completes it without duplicates. An import killed
between its files keeps the files it finished and nothing of the one it was reading;
running it again completes it, counting the finished files as duplicates.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.reliability.plays import Key, count, key, play, spotify_export, stored
from tests.utils.server import ENCORE, EncoreServer, encore_env

CLIENTS = 4
BATCH = 50
ACKED_BEFORE_KILL = 12  # batches


def poster(
    server: EncoreServer, client_no: int, stop: threading.Event, acked: list[int]
) -> tuple[list[list[int]], list[list[int]]]:
    """Post fresh batches until the server dies: (acknowledged batches, unanswered ones)."""
    done: list[list[int]] = []
    lost: list[list[int]] = []
    with server.client(timeout=30) as http:
        for round_no in itertools.count():
            if stop.is_set():
                break
            first = (round_no * CLIENTS + client_no) * BATCH
            batch = list(range(first, first + BATCH))
            try:
                resp = http.post("/v1/events", json={"events": [play(n) for n in batch]})
            except httpx.TransportError:
                lost.append(batch)
                break
            assert resp.status_code == 200, resp.text
            assert resp.json()["accepted"] == BATCH
            done.append(batch)
            acked.append(1)
    return done, lost


def test_sigkill_midway_loses_no_acknowledged_play(db_url: str, tmp_path: Path) -> None:
    stop = threading.Event()
    acked: list[int] = []
    server = EncoreServer(db_url, tmp_path, workers=2)
    with server, ThreadPoolExecutor(CLIENTS) as pool:
        runs = [pool.submit(poster, server, c, stop, acked) for c in range(CLIENTS)]
        deadline = time.monotonic() + 60
        while len(acked) < ACKED_BEFORE_KILL:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.005)
        server.kill()  # requests are in flight: the clients post back to back
        with pytest.raises(httpx.TransportError):  # supervisor and workers are gone
            httpx.get(f"{server.url}/healthz", timeout=2)
        stop.set()
        results = [r.result(timeout=60) for r in runs]
    done = [b for d, _ in results for b in d]
    unanswered = [b for _, u in results for b in u]
    assert len(done) >= ACKED_BEFORE_KILL

    rows = stored(db_url)
    assert [k for k, n in Counter(rows).items() if n > 1] == []
    acknowledged: set[Key] = {key(n) for b in done for n in b}
    assert acknowledged <= set(rows)  # every acknowledged play survived
    extra = set(rows) - acknowledged
    for batch in unanswered:  # an unanswered batch is stored whole or not at all
        keys = {key(n) for n in batch}
        assert keys <= extra or not keys & extra
        extra -= keys
    assert extra == set()  # nothing stored that nobody sent

    with EncoreServer(db_url, tmp_path) as again, again.client() as http:
        for batch in unanswered:  # the clients retry what they never heard back about
            resp = http.post("/v1/events", json={"events": [play(n) for n in batch]})
            assert resp.status_code == 200, resp.text
    rows = stored(db_url)
    sent = acknowledged | {key(n) for b in unanswered for n in b}
    assert sorted(rows) == sorted(sent)


def spotify_file(path: Path, first: int, count: int) -> Path:
    path.write_bytes(spotify_export(first, count))
    return path


def import_process(db_url: str, cwd: Path, *files: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ENCORE, "import", "spotify", *map(str, files), "--user", "importer"],
        cwd=cwd, env=encore_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip


SMALL, LARGE = 500, 20_000


def test_a_killed_import_keeps_whole_files_and_reruns_without_duplicates(
    db_url: str, tmp_path: Path
) -> None:
    small = spotify_file(tmp_path / "Streaming_History_Audio_2025_0.json", 0, SMALL)
    large = spotify_file(tmp_path / "Streaming_History_Audio_2025_1.json", SMALL, LARGE)
    proc = import_process(db_url, tmp_path, small, large)
    deadline = time.monotonic() + 120
    while count(db_url) < SMALL:  # the first file is committed; the second is being read
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert proc.poll() is None  # killed while storing the large file
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert count(db_url) == SMALL  # nothing half-stored of the large file

    rerun = import_process(db_url, tmp_path, small, large)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert f"total: {LARGE} imported, {SMALL} duplicates, 0 skipped" in out
    rows = stored(db_url)
    assert len(rows) == SMALL + LARGE and len(set(rows)) == len(rows)
