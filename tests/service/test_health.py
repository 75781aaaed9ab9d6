"""/healthz and /readyz through a real server."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import text

from models.migrate import head_revision
from service.settings import Settings
from service.store import Store
from tests.conftest import LiveServer, free_port


def readyz_of(settings: Settings) -> httpx.Response:
    """GET /readyz from a server of its own over ``settings``."""
    store = Store.open(settings)
    try:
        with LiveServer(settings, store) as live, httpx.Client(base_url=live.url) as http:
            return http.get("/readyz")
    finally:
        store.close()


def test_healthz(client: httpx.Client) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"


def test_readyz_reports_head_revision(client: httpx.Client) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "ready"
    assert body["revision"] == head_revision()
    assert body["reason"] is None


def test_readyz_unavailable_without_schema(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", _env_file=None)
    resp = readyz_of(settings)
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable"
    assert body["revision"] is None
    assert "encore db upgrade" in body["reason"]
    assert head_revision() in body["reason"]


def test_readyz_unavailable_on_old_schema(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}", _env_file=None)
    store = Store.open(settings)
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0000_older')"))
    store.close()
    resp = readyz_of(settings)
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable"
    assert body["revision"] == "0000_older"
    assert "encore db upgrade" in body["reason"]


def test_readyz_unavailable_when_database_unreachable() -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2"
    resp = readyz_of(Settings(database_url=url, _env_file=None))
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable"
    assert "cannot reach database" in body["reason"]


def test_healthz_live_even_when_database_unreachable() -> None:
    settings = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2",
        _env_file=None,
    )
    store = Store.open(settings)
    try:
        with LiveServer(settings, store) as live, httpx.Client(base_url=live.url) as http:
            assert http.get("/healthz").status_code == 200
    finally:
        store.close()
