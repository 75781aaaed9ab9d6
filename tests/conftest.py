"""Fixtures shared by every suite: a store on each backend and a real server.

Store-touching tests are parametrised over SQLite and PostgreSQL. PostgreSQL tests
run in a schema of their own, made for this run and dropped after it, so parallel
runs never collide. Where PostgreSQL cannot be reached they are skipped with a
notice, unless ``ENCORE_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes that an error.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy or implicit load
os.environ.setdefault("ENCORE_AUTH__SECRET", "test-secret-" + "s" * 32)  # signs user tokens
# a server's full collection after a model swap (service.heap) walks this whole process's
# heap here: up to 3.7 s a swap; tests/service/test_heap.py turns it on for itself
os.environ.setdefault("ENCORE_RECS__FREEZE_HEAP", "false")
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from sqlalchemy import text

import models.tables  # noqa: F401  (every table, for truncation)
from models.api_keys import Scope, create_key
from models.base import Base
from models.engine import make_engine
from models.errors import StoreError
from models.migrate import upgrade
from service.app import create_app
from service.settings import Settings
from service.store import Store

PG_URL = os.environ.get("ENCORE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ENCORE_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _pg_reason() -> str | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except (StoreError, Exception) as exc:  # any failure means "not available here"
        return f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A migrated schema private to this test run."""
    reason = _pg_reason()
    if reason:
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"encore_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "encore.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def pytest_report_header(config: pytest.Config) -> str:
    reason = _pg_reason()
    if reason:
        return f"NOTICE: {reason}; PostgreSQL tests will be skipped" + (
            " (ENCORE_REQUIRE_POSTGRES=1: they will fail)" if REQUIRE_PG else ""
        )
    return f"PostgreSQL tests run against {PG_URL}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated database on each backend."""
    url: str = request.getfixturevalue(
        f"{'pg_schema' if request.param == 'postgresql' else 'sqlite'}_url"
    )
    return empty_database(url)


def empty_database(url: str) -> str:
    """Delete every row of the migrated database at ``url``; returns ``url``."""
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()
    return url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, _env_file=None)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings)
    yield opened
    opened.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """The real app under uvicorn (uvloop + httptools) in a thread, on a free loopback port."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.port = free_port()
        self.store = store
        self.app = create_app(settings, store)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port,
            loop="uvloop", http="httptools", log_level="warning", lifespan="on",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def key(self, *scopes: str) -> str:
        """A new API key with ``scopes``, stored in this server's database."""
        with self.store.sessions() as session:
            _row, key = create_key(session, scopes=[Scope(s) for s in scopes], name="test")
        return key

    def user_token(self, user_id: str, ttl_seconds: int | None = None) -> str:
        """An end-user token for ``user_id``, signed as the server signs them."""
        token, _expires = self.app.state.gate.signer.mint("user", user_id, ttl_seconds=ttl_seconds)
        return str(token)

    def signin_url(self, next_page: str, *, user: str | None = None, scope: str = "admin") -> str:
        """A link that signs a browser in and opens ``next_page``: as listener ``user``, or
        else with a session of a new key with ``scope`` (operators' pages)."""
        signer = self.app.state.gate.signer
        if user is not None:
            token, _ = signer.mint("user", user)
        else:
            with self.store.sessions() as session:
                row, _key = create_key(session, scopes=[Scope(scope)], name="test")
            token, _ = signer.mint("key", str(row.id))
        return f"{self.url}/signin?{urlencode({'token': token, 'next': next_page})}"

    def headers(self, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key(*scopes)}"}

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers=headers)


@pytest.fixture
def live(settings: Settings, store: Store) -> Iterator[LiveServer]:
    """The real app served on loopback, for tests that make their own clients."""
    with LiveServer(settings, store) as server:
        yield server


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client talking to a real server over loopback, with an ``admin`` key."""
    with live.client(live.headers("admin")) as http:
        yield http


@pytest.fixture
def anon_client(live: LiveServer) -> Iterator[httpx.Client]:
    """A client of the same server without any credential."""
    with live.client() as http:
        yield http


@pytest.fixture
def scoped_client(live: LiveServer) -> Iterator[Callable[..., httpx.Client]]:
    """``scoped_client("read", "ingest")``: a client with a new key of those scopes."""
    made: list[httpx.Client] = []

    def make(*scopes: str) -> httpx.Client:
        made.append(live.client(live.headers(*scopes)))
        return made[-1]

    yield make
    for http in made:
        http.close()


@pytest.fixture
def user_client(live: LiveServer) -> Iterator[Callable[[str], httpx.Client]]:
    """``user_client("alice")``: a client carrying alice's end-user token."""
    made: list[httpx.Client] = []

    def make(user_id: str) -> httpx.Client:
        made.append(live.client({"Authorization": f"Bearer {live.user_token(user_id)}"}))
        return made[-1]

    yield make
    for http in made:
        http.close()


@pytest.fixture
def sample_path() -> Path:
    from data.sample import SAMPLE

    return SAMPLE


# Variants of a test left to the slow run (`pytest -m slow`) to keep `make test` under ten
# minutes on two cores: each test keeps, in the default run, the variant named in the
# comment, which covers what the others add (the others repeat it in another zone, at
# another granularity or on the other backend where the backend plays no part).
SLOW_VARIANTS: dict[str, tuple[str, ...]] = {
    # keeps [*-day] on both backends: the daily series is the finest, DST days included
    "test_metrics_agree_with_pandas_in_every_zone": ("-week]", "-month]"),
    # keeps Europe/Amsterdam (DST) on both backends
    "test_rolled_up_stats_agree_with_pandas": ("America/New_York", "Asia/Kolkata"),
    # keeps SQLite: the same real exports and pandas reference on the other backend
    "test_real_histories_agree_with_pandas": ("[postgresql]",),
    # keeps SQLite: a date is refused before anything reads the store
    "test_query_dates_are_calendar_dates_only": ("[postgresql-",),
    # keeps SQLite for every route; keys on PostgreSQL are checked by the other auth tests
    "test_without_a_key_is_401_and_with_the_wrong_scope_403": ("[postgresql-",),
    # keeps SQLite: an artifact path is refused before anything reads the store
    "test_a_version_row_cannot_point_a_server_at_other_files": ("[postgresql-",),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = getattr(item, "originalname", item.name)
        if any(part in item.name for part in SLOW_VARIANTS.get(name, ())):
            item.add_marker(pytest.mark.slow)
