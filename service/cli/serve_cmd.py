"""``encore serve``"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
import uvicorn

from models.migrate import current_revision, head_revision, upgrade
from service.auth.tokens import load_secret
from service.cli.app import app, fail, load_settings, open_store
from service.metrics import MULTIPROC_ENV
from service.server import uvicorn_options

log = logging.getLogger(__name__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind [ENCORE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [ENCORE_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes [ENCORE_WORKERS]")] = None,
    keep_alive: Annotated[
        int | None,
        typer.Option(
            help="seconds an idle connection stays open [ENCORE_SERVE__KEEP_ALIVE_SECONDS]"
        ),
    ] = None,
    graceful_timeout: Annotated[
        int | None,
        typer.Option(
            help="seconds a stopping worker drains requests"
            " [ENCORE_SERVE__GRACEFUL_SHUTDOWN_SECONDS]"
        ),
    ] = None,
    proxy_headers: Annotated[
        bool | None,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="trust X-Forwarded-For/-Proto from --forwarded-allow-ips"
            " [ENCORE_SERVE__PROXY_HEADERS]",
            show_default=False,
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="proxies to trust: IPs, networks or * [ENCORE_SERVE__FORWARDED_ALLOW_IPS]"
        ),
    ] = None,
    root_path: Annotated[
        str | None,
        typer.Option(help="prefix a proxy strips, e.g. /encore [ENCORE_SERVE__ROOT_PATH]"),
    ] = None,
) -> None:
    """Run the API (uvicorn with uvloop and httptools); migrates a new, empty database first.

    SIGTERM stops accepting connections, lets the requests in flight finish (up to
    ``--graceful-timeout``), then exits 0.
    """
    serve_overrides: dict[str, Any] = {
        "keep_alive_seconds": keep_alive,
        "graceful_shutdown_seconds": graceful_timeout,
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": forwarded_allow_ips,
        "root_path": root_path,
    }
    serve_overrides = {k: v for k, v in serve_overrides.items() if v is not None}
    settings = load_settings(host=host, port=port, workers=workers, serve=serve_overrides or None)
    with open_store(settings) as store:
        revision = current_revision(store.engine)
        if revision is None:
            log.info("new database: creating the schema")
            upgrade(store.engine)
        elif revision != head_revision():
            raise fail(
                f"database schema is at {revision}, this Encore expects {head_revision()}: "
                "run `encore db upgrade`"
            )
    if settings.auth.enabled:
        try:  # made here, once, before any worker starts: they all read the same file
            load_secret(settings.auth)
        except (OSError, ValueError) as exc:
            raise fail(f"ENCORE_AUTH__SECRET is unset and {exc}") from None
    if settings.workers > 1:
        _metrics_dir()
    # uvicorn re-raises the SIGTERM it handled once it has shut down; caught here, a stop
    # that let every request finish ends with status 0, which supervisors read as clean.
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run("service.app:create_app", factory=True, **uvicorn_options(settings))


def _stopped(signum: int, _frame: FrameType | None) -> None:
    log.info("stopped on %s", signal.Signals(signum).name)


def _metrics_dir() -> None:
    """Give the workers one folder for their metrics (see :mod:`service.metrics`): the one
    ``PROMETHEUS_MULTIPROC_DIR`` names, emptied of a previous run's files, or a new one."""
    named = os.environ.get(MULTIPROC_ENV)
    if named:
        folder = Path(named)
        if folder.is_dir():
            for stale in folder.glob("*.db"):
                stale.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        return
    folder = Path(tempfile.mkdtemp(prefix="encore-metrics-"))
    os.environ[MULTIPROC_ENV] = str(folder)
    log.info("worker metrics in %s", folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
