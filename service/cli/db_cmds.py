"""``encore db ...``"""

from __future__ import annotations

import typer

from models.migrate import current_revision, head_revision, upgrade
from service.cli.app import db_app, load_settings, open_store


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the schema this version of Encore expects."""
    settings = load_settings()
    with open_store(settings) as store:
        before = current_revision(store.engine)
        upgrade(store.engine)
        after = current_revision(store.engine)
    typer.echo(
        f"database at {after}" + (" (already current)" if before == after else f" (was {before})")
    )


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the one the code expects."""
    settings = load_settings()
    with open_store(settings) as store:
        typer.echo(f"database: {current_revision(store.engine)}  code: {head_revision()}")
