"""``encore serve``"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from models.migrate import current_revision, head_revision, upgrade
from service.cli.app import app, fail, load_settings, open_store

log = logging.getLogger(__name__)
WORKER_HEALTHCHECK_SECONDS = 60


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
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        env_file=None,
        # uvicorn restarts a worker that misses a 5 s health ping; on a busy machine a worker
        # that is starting, or ranking a new model's candidates, can miss one
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
