"""``encore import spotify | lastfm | listenbrainz | csv``"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from data.importers import csvmap
from data.importers.base import FileReport, ImportFormatError
from data.importers.formats import FORMATS, Format, ImportFormat
from data.importers.run import import_file
from data.importers.sources import expand
from service.cli.app import app, fail, load_settings, open_store

import_app = typer.Typer(
    help="Import listening history from exports (files, folders or zips).", no_args_is_help=True
)
app.add_typer(import_app, name="import")

Paths = Annotated[list[Path], typer.Argument(help="files, folders or zips", show_default=False)]
User = Annotated[
    str | None,
    typer.Option(help="the listener to import as (default: from the file, else 'me')"),
]
out = Console()


def _run(paths: list[Path], fmt: Format, user: str | None) -> None:
    settings = load_settings()
    try:
        sources = expand(paths, fmt.accepts)
    except (FileNotFoundError, ImportFormatError) as exc:
        raise fail(str(exc)) from None
    if not sources:
        raise fail("nothing to import: no file of this format under " + ", ".join(map(str, paths)))
    reports: list[FileReport] = []
    with open_store(settings) as store:
        progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        with progress:
            total = progress.add_task("importing", total=sum(s.size for s in sources))
            for source in sources:
                progress.update(total, description=Path(source.name).name[:40])
                report = import_file(
                    store.engine,
                    store.resolver,
                    source,
                    fmt.parse,
                    user=user,
                    on_read=lambda n: progress.advance(total, n),
                    parallel=True,
                )
                reports.append(report)
    _summary(reports)
    failed = [r for r in reports if r.error]
    if failed:
        raise fail(
            f"{len(failed)} of {len(reports)} files could not be imported and were left out "
            "entirely: " + "; ".join(r.error or "" for r in failed)
        )


def _summary(reports: list[FileReport]) -> None:
    table = Table("file", "imported", "duplicates", "skipped", box=None, pad_edge=False)
    skipped: Counter[str] = Counter()
    for r in reports:
        status = "failed" if r.error else str(sum(r.skipped.values()))
        table.add_row(Path(r.name).name, str(r.imported), str(r.duplicates), status)
        skipped.update(r.skipped)
    out.print(table)
    imported = sum(r.imported for r in reports)
    duplicates = sum(r.duplicates for r in reports)
    out.print(
        f"total: {imported} imported, {duplicates} duplicates, {sum(skipped.values())} skipped",
        highlight=False,
    )
    for reason, count in skipped.most_common():
        out.print(f"  skipped {count}: {reason}", highlight=False)


@import_app.command("spotify")
def import_spotify(paths: Paths, user: User = None) -> None:
    """Spotify extended streaming history (Streaming_History_*.json, endsong*.json) or account
    data (StreamingHistory*.json), as files, folders or the zip Spotify sends."""
    _run(paths, FORMATS[ImportFormat.spotify], user)


@import_app.command("lastfm")
def import_lastfm(paths: Paths, user: User = None) -> None:
    """Last.fm scrobbles: the CSV of export tools (uts, artist, album, track, MBIDs) or the
    Last.fm 1K-users TSV."""
    _run(paths, FORMATS[ImportFormat.lastfm], user)


@import_app.command("listenbrainz")
def import_listenbrainz(paths: Paths, user: User = None) -> None:
    """ListenBrainz listens: JSON array, JSON lines, or the export zip."""
    _run(paths, FORMATS[ImportFormat.listenbrainz], user)


@import_app.command("csv")
def import_csv(
    paths: Paths,
    map_: Annotated[
        str,
        typer.Option(
            "--map", help="FIELD=COLUMN pairs, e.g. ts=played_at,artist=Artist,title=Track"
        ),
    ],
    ts_format: Annotated[
        str, typer.Option(help="iso, epoch, epoch_ms or a strftime pattern")
    ] = "iso",
    delimiter: Annotated[str, typer.Option(help="column separator")] = ",",
    user: User = None,
) -> None:
    """Any CSV of plays, with a column mapping (see the README for the fields)."""
    try:
        mapping = csvmap.CsvMapping.parse(map_, ts_format, delimiter)
        parse = csvmap.make_parser(mapping)
    except csvmap.MappingError as exc:
        raise fail(str(exc)) from None
    _run(paths, Format(lambda name: name.lower().endswith((".csv", ".tsv", ".txt")), parse), user)
