"""SIGTERM to ``encore serve`` while a request is in flight, on both databases and with one
or two workers: the server stops taking connections, lets the request finish and store its
plays, then exits 0. ``--graceful-timeout`` bounds how long a stuck request can hold it."""

from __future__ import annotations

import contextlib
import http.client
import signal
import socket
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.reliability.plays import play, stored
from tests.utils.server import EncoreServer

PLAYS = 300


class HeldPost:
    """A POST /v1/events whose body is held back until :meth:`finish`.

    It asks ``Expect: 100-continue``, and uvicorn answers ``100 Continue`` only once the
    route has started and waits for the body: from then on the request is in flight, which
    the test knows without guessing at timings.
    """

    def __init__(self, server: EncoreServer, body: bytes) -> None:
        self.body = body
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        extra = "".join(f"{k}: {v}\r\n" for k, v in server.headers.items())
        self.sock.sendall(
            f"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Expect: 100-continue\r\n{extra}\r\n".encode()
        )
        interim = self.sock.recv(64)
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim

    def finish(self, send: bool = True) -> tuple[int, bytes]:
        """Send the body (or not), then read the answer: its status and body."""
        if send:
            self.sock.sendall(self.body)
        answer = http.client.HTTPResponse(self.sock)
        try:
            answer.begin()
            return answer.status, answer.read()
        finally:
            self.sock.close()


def wait_for_log(server: EncoreServer, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in server.output():
        assert time.monotonic() < deadline, f"no {text!r} in the log: {server.output()}"
        time.sleep(0.02)


def batch() -> bytes:
    return orjson.dumps({"events": [play(n) for n in range(PLAYS)]})


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(
    db_url: str, tmp_path: Path, workers: int
) -> None:
    with EncoreServer(db_url, tmp_path, workers=workers) as server:
        in_flight = HeldPost(server, batch())
        server.signal(signal.SIGTERM)
        # the worker holding the request has begun its shutdown and is waiting for it
        wait_for_log(server, "Waiting for connections to close")
        if workers == 1:  # the listening socket is closed: nobody new gets in
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"{server.url}/healthz", timeout=5)
        status, body = in_flight.finish()
        assert status == 200, body
        assert orjson.loads(body)["accepted"] == PLAYS
        assert server.wait() == 0, server.output()
    assert len(stored(db_url)) == PLAYS
    assert "Traceback" not in server.output()


def test_graceful_timeout_bounds_a_stuck_request(db_url: str, tmp_path: Path) -> None:
    args = ("--graceful-timeout", "1")
    with EncoreServer(db_url, tmp_path, args=args) as server:
        stuck = HeldPost(server, batch())
        server.signal(signal.SIGTERM)
        assert server.wait() == 0, server.output()  # while the request is still held
        # cut off: uvicorn answered 500 or dropped the connection; never acknowledged
        with contextlib.suppress(OSError, http.client.HTTPException):
            assert stuck.finish(send=False)[0] == 500
    assert "timeout graceful shutdown exceeded" in server.output()
    assert stored(db_url) == []
