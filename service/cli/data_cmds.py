"""``encore data ...``"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.exc import DBAPIError

from data.sample import SAMPLE, SampleFormatError, load_jsonl
from data.synth import (
    SynthConfig,
    SynthError,
    World,
    build_world,
    store_history,
    write_spotify_json,
)
from models.migrate import is_current
from service.cli.app import data_app, fail, load_settings, open_store


@data_app.command("sample")
def data_sample(
    path: Annotated[Path, typer.Argument(help="JSONL file of events in the API's format")] = SAMPLE,
) -> None:
    """Load events from a JSONL file (by default the bundled sample) through the bulk path."""
    if not path.is_file():
        raise fail(f"no such file: {path}")
    settings = load_settings()
    with open_store(settings) as store:
        try:
            result = load_jsonl(store.engine, store.resolver, path)
        except SampleFormatError as exc:
            raise fail(f"{path}: {exc}; nothing was stored") from None
    typer.echo(f"{path.name}: {result.accepted} imported, {result.duplicates} duplicates")


def _moment(option: str, value: str) -> datetime:
    """A day (midnight UTC) or an ISO 8601 time; one without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: expected YYYY-MM-DD or an ISO 8601 time, not {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    )  # fmt: skip


SYNTH_HELP = (
    "Generate a realistic synthetic listening history and load it through the bulk path, "
    "or write it as a Spotify export (--output). Popularity has a long tail, listeners "
    "fall into taste clusters, and plays come in sessions with skips, podcasts and new "
    "releases, following a daily and weekly rhythm in each listener's time zone. The same "
    "options give the same history: loading it again stores nothing new."
)


@data_app.command("synth", help=SYNTH_HELP)
def data_synth(
    users: Annotated[int, typer.Option(help="how many listeners")] = 1_000,
    events: Annotated[int, typer.Option(help="how many plays, in all")] = 100_000,
    start: Annotated[
        str | None,
        typer.Option(
            help="start of the window, YYYY-MM-DD (UTC) or ISO 8601; default: a year before end"
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="end of the window, exclusive; default: today (UTC)")
    ] = None,
    seed: Annotated[int, typer.Option(help="the same seed and options give the same history")] = 0,
    tracks: Annotated[
        int | None, typer.Option(help="catalog size; default: one track per 100 plays")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="write a Spotify extended streaming history JSON file instead"),
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="with --output: only this listener, e.g. synth-000007")
    ] = None,
) -> None:
    """``encore data synth``: see SYNTH_HELP; the generator is :mod:`data.synth`."""
    if user is not None and output is None:
        raise fail("--user only applies with --output")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    until = _moment("--end", end) if end else today
    since = _moment("--start", start) if start else until - timedelta(days=365)
    began = time.perf_counter()
    try:
        world = build_world(SynthConfig(users, events, since, until, seed=seed, tracks=tracks))
    except SynthError as exc:
        raise fail(str(exc)) from None
    if output is None:
        _load(world, began)
    else:
        _write(world, output, user, began)


def _rate(events: int, began: float) -> str:
    seconds = time.perf_counter() - began
    return f"{seconds:.1f} s ({events / max(seconds, 1e-9):,.0f} events/s)"


def _write(world: World, output: Path, user: str | None, began: float) -> None:
    ids = world.population.ids
    if user is not None and user not in ids:
        raise fail(f"no listener {user!r} among {ids[0]} … {ids[-1]}")
    listener = None if user is None else ids.index(user)
    total = world.config.events if listener is None else int(world.population.counts[listener])
    with _progress() as progress:
        task = progress.add_task("writing", total=total)
        try:
            written = write_spotify_json(
                world, output, listener, lambda n: progress.advance(task, n)
            )
        except OSError as exc:
            raise fail(f"cannot write {output}: {exc.strerror or exc}") from None
    who = f"listener {user}" if user else f"{len(ids):,} listeners"
    typer.echo(f"{output}: {written:,} events of {who} in {_rate(written, began)}")


def _load(world: World, began: float) -> None:
    with open_store(load_settings()) as store:
        if not is_current(store.engine):
            raise fail("the database schema is not current; run `encore db upgrade` first")
        with _progress() as progress:
            task = progress.add_task("loading", total=world.config.events)
            try:
                result = store_history(
                    store.engine, store.resolver, world, lambda n: progress.advance(task, n)
                )
            except DBAPIError as exc:
                reason = str(exc.orig or exc).strip().splitlines()[0]
                raise fail(
                    f"database error: {reason}; the blocks stored so far stay, and running "
                    "the same command again completes the load"
                ) from None
    typer.echo(
        f"synthetic history: {result.events:,} events ({result.inserted:,} new), "
        f"{result.users:,} users, {result.items:,} items in {_rate(result.events, began)}"
    )
