"""``encore serve`` as a real process, for the tests that kill, signal or overload a server.

Every request these tests make carries :func:`auth_headers` (an admin key minted in the
database under test), and every HTTP client they use comes from :meth:`EncoreServer.client`
or :func:`http_client`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx
from sqlalchemy.orm import sessionmaker

from models.api_keys import Scope, create_key
from models.engine import make_engine
from tests.conftest import free_port

ENCORE = str(Path(sys.executable).parent / "encore")


def auth_headers(db_url: str) -> dict[str, str]:
    """Headers that authorise every endpoint on the database at ``db_url``: a new
    ``admin`` key stored there, as ``encore keys create --scope admin`` would make."""
    engine = make_engine(db_url)
    try:
        with sessionmaker(engine)() as session:
            _row, key = create_key(session, scopes=[Scope.admin], name="reliability")
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {key}"}


def http_client(
    base_url: str, db_url: str, *, headers: dict[str, str] | None = None, timeout: float = 60
) -> httpx.Client:
    """An HTTP client for a server on ``db_url``, carrying :func:`auth_headers` (or the
    ``headers`` already minted for it)."""
    headers = auth_headers(db_url) if headers is None else headers
    return httpx.Client(base_url=base_url, headers=headers, timeout=timeout)


def encore_env(db_url: str, **env: str) -> dict[str, str]:
    """The environment of an ``encore`` process on ``db_url``: no ``.env`` of the cwd leaks in
    because every test runs the process in a temporary directory."""
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "ENCORE_DATABASE_URL": db_url, **env}


class EncoreServer:
    """``encore serve`` in its own process group on a free loopback port.

    The group lets a test signal the uvicorn supervisor and its workers at once
    (:meth:`kill`), as an orchestrator or the kernel's OOM killer would.
    """

    def __init__(
        self, db_url: str, cwd: Path, *, workers: int = 1, args: tuple[str, ...] = (), **env: str
    ) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"serve-{self.port}.log"
        self._argv = [ENCORE, "serve", "--port", str(self.port), "--workers", str(workers), *args]
        self._env = encore_env(db_url, **env)
        self._cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.headers: dict[str, str] = {}

    def start(self) -> EncoreServer:
        assert self.process is None, "started twice: the first server would be orphaned"
        self.headers = auth_headers(self.db_url)  # once: every client of this server shares it
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self._argv, cwd=self._cwd, env=self._env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"encore serve exited {self.process.returncode}: {self.output()}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"encore serve did not become ready: {self.output()}")
            time.sleep(0.05)

    def client(self, *, timeout: float = 60) -> httpx.Client:
        return http_client(self.url, self.db_url, headers=self.headers, timeout=timeout)

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the supervisor only, as ``kill PID`` or a container runtime does."""
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL the whole process group: supervisor and workers die without a word."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait(self, timeout: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def __enter__(self) -> EncoreServer:
        return self.start()

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
