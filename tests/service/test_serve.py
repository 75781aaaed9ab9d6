"""``encore serve`` in production shape: behind a proxy that strips a path prefix and
sends X-Forwarded-*, with timeouts and proxy trust taken from settings and flags."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Request

from service.app import create_app
from service.server import uvicorn_options
from service.settings import Settings
from tests.conftest import free_port
from tests.service.test_cli import ENCORE, run

PROXY_HEADERS = {
    "host": "music.example.org",
    "x-forwarded-proto": "https",
    "x-forwarded-for": "203.0.113.7",
}


class ProxiedServer:
    """The real app under uvicorn started with exactly the options ``encore serve`` uses,
    plus a probe route that reports what the app saw of the request."""

    def __init__(self, settings: Settings) -> None:
        app = create_app(settings)

        @app.get("/probe", include_in_schema=False)
        def probe(request: Request) -> dict[str, Any]:
            client = request.client
            return {"url": str(request.url), "client": client.host if client else None}

        options = uvicorn_options(settings) | {"port": free_port(), "log_level": "warning"}
        options.pop("workers")
        self.server = uvicorn.Server(uvicorn.Config(app, lifespan="on", **options))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{options['port']}"

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        self.http = httpx.Client(base_url=self.url, timeout=30)
        return self.http

    def __exit__(self, *_exc: object) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def proxied(sqlite_url: str, **serve: Any) -> ProxiedServer:
    return ProxiedServer(Settings(database_url=sqlite_url, serve=serve, _env_file=None))


@pytest.fixture
def behind_prefix(sqlite_url: str) -> Iterator[httpx.Client]:
    with proxied(sqlite_url, root_path="/encore", forwarded_allow_ips="127.0.0.1") as http:
        yield http


def test_trusted_proxy_sets_scheme_client_and_prefix(behind_prefix: httpx.Client) -> None:
    seen = behind_prefix.get("/probe", headers=PROXY_HEADERS).json()
    assert seen == {"url": "https://music.example.org/encore/probe", "client": "203.0.113.7"}


def test_docs_and_schema_point_under_the_prefix(behind_prefix: httpx.Client) -> None:
    page = behind_prefix.get("/docs")
    assert page.status_code == 200
    assert "'/encore/openapi.json'" in page.text or '"/encore/openapi.json"' in page.text
    schema = behind_prefix.get("/openapi.json").json()
    assert schema["servers"] == [{"url": "/encore"}]


def test_untrusted_client_cannot_forge_forwarded_headers(sqlite_url: str) -> None:
    with proxied(sqlite_url, forwarded_allow_ips="192.0.2.1") as http:
        seen = http.get("/probe", headers=PROXY_HEADERS).json()
    assert seen == {"url": "http://music.example.org/probe", "client": "127.0.0.1"}


def test_proxy_headers_off_ignores_them_even_from_anyone(sqlite_url: str) -> None:
    with proxied(sqlite_url, proxy_headers=False, forwarded_allow_ips="*") as http:
        seen = http.get("/probe", headers=PROXY_HEADERS).json()
    assert seen == {"url": "http://music.example.org/probe", "client": "127.0.0.1"}


def test_options_come_from_nested_settings_and_flags_merge_with_env() -> None:
    env = {"ENCORE_SERVE__KEEP_ALIVE_SECONDS": "65", "ENCORE_SERVE__ROOT_PATH": "/a"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = Settings(serve={"root_path": "/b"}, _env_file=None)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
    options = uvicorn_options(settings)
    assert options["timeout_keep_alive"] == 65  # from the environment
    assert options["root_path"] == "/b"  # the flag wins over the environment
    assert options["timeout_graceful_shutdown"] == 25
    assert options["forwarded_allow_ips"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("args", "variable"),
    [
        (["--root-path", "encore/"], "ENCORE_SERVE__ROOT_PATH"),
        (["--forwarded-allow-ips", "10.0.0.0/8,proxy"], "ENCORE_SERVE__FORWARDED_ALLOW_IPS"),
        (["--keep-alive", "0"], "ENCORE_SERVE__KEEP_ALIVE_SECONDS"),
    ],
)
def test_bad_serve_setting_is_one_line(tmp_path: Path, args: list[str], variable: str) -> None:
    out = run("serve", *args, db=f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.startswith(f"error: {variable}:")
    assert len(out.stderr.strip().splitlines()) == 1


def test_serve_command_honours_root_path_and_stops_gracefully(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ENCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}
    args = ["serve", "--port", str(port), "--workers", "2", "--root-path", "/encore"]
    args += ["--forwarded-allow-ips", "127.0.0.1", "--graceful-timeout", "5"]
    proc = subprocess.Popen(
        [ENCORE, *args], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert health.status_code == 200
        schema = httpx.get(f"http://127.0.0.1:{port}/openapi.json", headers=PROXY_HEADERS)
        assert schema.json()["servers"] == [{"url": "/encore"}]
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
