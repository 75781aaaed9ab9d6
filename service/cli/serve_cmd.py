"""``encore serve``"""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from models.migrate import current_revision, head_revision, upgrade
from service.cli.app import app, fail, load_settings, open_store

log = logging.getLogger(__name__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind [ENCORE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [ENCORE_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes [ENCORE_WORKERS]")] = None,
    graceful_timeout: Annotated[
        int | None,
        typer.Option(
            help="on SIGTERM/SIGINT, seconds to let in-flight requests finish before closing "
            "them [ENCORE_GRACEFUL_TIMEOUT]"
        ),
    ] = None,
) -> None:
    """Run the API (uvicorn with uvloop and httptools); migrates a new, empty database first.

    SIGTERM stops accepting connections, lets the requests in flight finish (up to
    ``--graceful-timeout``), then exits 0.
    """
    settings = load_settings(
        host=host, port=port, workers=workers, graceful_timeout=graceful_timeout
    )
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
    # uvicorn re-raises the SIGTERM it handled once it has shut down; caught here, a stop
    # that let every request finish ends with status 0, which supervisors read as clean.
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        timeout_graceful_shutdown=settings.graceful_timeout,
        env_file=None,
    )


def _stopped(signum: int, _frame: FrameType | None) -> None:
    log.info("stopped on %s", signal.Signals(signum).name)
