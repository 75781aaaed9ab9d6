"""SIGTERM to ``encore serve`` while a request is in flight, on both databases and with one
or two workers: the server stops taking connections, lets the request finish and store its
plays, then exits 0. ``--graceful-timeout`` bounds how long a stuck request can hold it."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from tests.reliability.plays import play, stored
from tests.utils.server import EncoreServer

PLAYS = 300


def held_body(
    payload: bytes, sent_half: threading.Event, release: threading.Event
) -> Iterator[bytes]:
    """The body in two halves, the second only once the test says so: a request in flight."""
    half = len(payload) // 2
    yield payload[:half]
    sent_half.set()
    release.wait(timeout=60)
    yield payload[half:]


def wait_for_log(server: EncoreServer, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in server.output():
        assert time.monotonic() < deadline, f"no {text!r} in the log: {server.output()}"
        time.sleep(0.02)


def start_held_post(
    server: EncoreServer, pool: ThreadPoolExecutor, release: threading.Event
) -> Future[httpx.Response]:
    payload = orjson.dumps({"events": [play(n) for n in range(PLAYS)]})
    sent_half = threading.Event()

    def post() -> httpx.Response:
        with server.client() as http:
            return http.post(
                "/v1/events", content=held_body(payload, sent_half, release),
                headers={"content-type": "application/json"},
            )  # fmt: skip

    future = pool.submit(post)
    assert sent_half.wait(timeout=30)
    return future


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(
    db_url: str, tmp_path: Path, workers: int
) -> None:
    release = threading.Event()
    with EncoreServer(db_url, tmp_path, workers=workers) as server, ThreadPoolExecutor(1) as pool:
        try:
            in_flight = start_held_post(server, pool, release)
            server.signal(signal.SIGTERM)
            # the worker holding the request has begun its shutdown and is waiting for it
            wait_for_log(server, "Waiting for connections to close")
            if workers == 1:  # the listening socket is closed: nobody new gets in
                with pytest.raises(httpx.ConnectError):
                    httpx.get(f"{server.url}/healthz", timeout=5)
        finally:
            release.set()
        resp = in_flight.result(timeout=60)
        assert resp.status_code == 200, resp.text
        assert resp.json()["accepted"] == PLAYS
        assert server.wait() == 0, server.output()
    assert len(stored(db_url)) == PLAYS
    assert "Traceback" not in server.output()


def test_graceful_timeout_bounds_a_stuck_request(db_url: str, tmp_path: Path) -> None:
    release = threading.Event()
    args = ("--graceful-timeout", "1")
    with EncoreServer(db_url, tmp_path, args=args) as server, ThreadPoolExecutor(1) as pool:
        try:
            stuck = start_held_post(server, pool, release)
            server.signal(signal.SIGTERM)
            assert server.wait() == 0, server.output()  # while the request is still held
        finally:
            release.set()
        # cut off: uvicorn answers 500 or drops the connection; never acknowledged
        with contextlib.suppress(httpx.TransportError):
            assert stuck.result(timeout=60).status_code == 500
    assert "timeout graceful shutdown exceeded" in server.output()
    assert stored(db_url) == []
