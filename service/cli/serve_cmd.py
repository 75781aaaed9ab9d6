"""``encore serve``"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from models.migrate import current_revision, head_revision, upgrade
from service.auth.tokens import load_secret
from service.cli.app import app, fail, load_settings, open_store
from service.logs import log_config
from service.metrics import MULTIPROC_ENV

log = logging.getLogger(__name__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind [ENCORE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [ENCORE_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes [ENCORE_WORKERS]")] = None,
) -> None:
    """Run the API (uvicorn with uvloop and httptools); migrates a new, empty database first."""
    settings = load_settings(host=host, port=port, workers=workers)
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
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        log_config=log_config(settings.log_level, settings.http.log_format),
        access_log=False,
        timeout_graceful_shutdown=int(settings.http.graceful_shutdown_seconds) or None,
        env_file=None,
    )


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
