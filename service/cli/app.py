"""Typer application and the helpers every command shares: settings, store, errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError

from models.engine import check_connection
from models.errors import StoreError
from service.settings import Settings, explain
from service.store import Store

app = typer.Typer(
    name="encore",
    help="Encore: listening history, recommendations and Wrapped, self-hosted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)
data_app = typer.Typer(help="Load listening data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(data_app, name="data")


def fail(message: str) -> typer.Exit:
    """Print one error line to stderr; raise the returned Exit for status 1."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def load_settings(**overrides: Any) -> Settings:
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise fail(explain(exc)) from None
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.log_level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    """A connected store, or one clear error line and exit code 1."""
    try:
        store = Store.open(settings)
        check_connection(store.engine)
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        yield store
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
