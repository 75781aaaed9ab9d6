"""What the access check and the request middleware add to a request, in microseconds.

Three in-process figures, each against a reference in the same run:

- ``access``: the ``Access`` dependency with a cached API key (SHA-256, dict look-up,
  scope check, token bucket), and with a user token (JWT verification), per call;
- ``middleware``: a trivial ASGI app wrapped in ``RequestContext`` and ``BodyLimit``
  (request id, metrics, access line at INFO with no handler) against the bare app;
- ``http``: ``GET /healthz`` (no check) against ``GET /v1/items?limit=1`` ... would include
  the database, so the HTTP pair is ``/healthz`` bare against ``/healthz`` with an
  ``Authorization`` header, which only the middleware reads.

Run: ``.venv/bin/python bench/auth.py``
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

# the repository first: bench/wrapped.py would otherwise stand in for the wrapped package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("ENCORE_AUTH__SECRET", "bench-secret-" + "b" * 32)

from starlette.requests import Request

from models.api_keys import Scope, create_key
from models.engine import make_engine, session_factory
from models.migrate import upgrade
from service.app import gate
from service.auth.access import Access
from service.middleware import BodyLimit, RequestContext
from service.settings import Settings
from service.store import Store

N = 20_000


def per_call(fn: Callable[[], Awaitable[object]], n: int = N, rounds: int = 5) -> float:
    """Median microseconds per call over ``rounds`` runs of ``n`` calls."""

    async def run() -> float:
        started = time.perf_counter()
        for _ in range(n):
            await fn()
        return (time.perf_counter() - started) / n * 1e6

    return statistics.median(asyncio.run(run()) for _ in range(rounds))


class App:
    def __init__(self, state: object) -> None:
        self.state = state


def request(app: object, headers: dict[str, str], path: str = "/v1/users/alice/x") -> Request:
    scope = {
        "type": "http", "method": "GET", "path": path, "headers":
        [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": app, "path_params": {"user_id": "alice"}, "query_string": b"",
    }  # fmt: skip
    return Request(scope)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    settings = Settings(
        database_url=f"sqlite:///{folder / 'b.db'}", _env_file=None,
        auth={"rate_per_second": 0, "user_rate_per_second": 0},
    )  # fmt: skip
    engine = make_engine(settings.database_url)
    upgrade(engine)
    store = Store(engine=engine, sessions=session_factory(engine))
    with store.sessions() as session:
        _row, key = create_key(session, scopes=[Scope.read])
    state = type("State", (), {})()
    state.gate = gate(settings, store)
    app = App(state)
    token, _ = state.gate.signer.mint("user", "alice")
    read = Access(Scope.read, owner=True)

    async def nothing() -> None:
        request(app, {"authorization": f"Bearer {key}"})

    async def with_key() -> None:
        await read(request(app, {"authorization": f"Bearer {key}"}))

    async def with_token() -> None:
        await read(request(app, {"authorization": f"Bearer {token}"}))

    base = per_call(nothing)
    k = per_call(with_key) - base
    t = per_call(with_token) - base

    async def trivial(scope: object, receive: object, send: Callable[..., Awaitable[None]]) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    wrapped = RequestContext(BodyLimit(trivial, default=1 << 20, limits={}))
    scope = {"type": "http", "method": "GET", "path": "/healthz", "headers": [], "state": {}}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(_message: object) -> None:
        return None

    async def bare() -> None:
        await trivial(dict(scope), receive, send)

    async def layered() -> None:
        await wrapped(dict(scope), receive, send)

    m_base = per_call(bare)
    m = per_call(layered) - m_base
    print(f"access check, cached API key : {k:6.1f} us per request")
    print(f"access check, user token     : {t:6.1f} us per request")
    print(f"middleware (id, metrics, log): {m:6.1f} us per request (bare app {m_base:.1f} us)")
    engine.dispose()


if __name__ == "__main__":
    main()
