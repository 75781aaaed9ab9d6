"""``encore export interactions``: the user x item table, for training beyond one machine.

Written batch by batch (columnar, one store chunk in memory at a time) to a temporary
file beside the output and renamed at the end, so a failed export leaves no half file.
"""

from __future__ import annotations

import enum
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import typer

from recsys.export import SCHEMA, interaction_batches
from service.cli.app import app, fail, load_settings, open_store

export_app = typer.Typer(help="Export data for training elsewhere.", no_args_is_help=True)
app.add_typer(export_app, name="export")


class Format(enum.StrEnum):
    parquet = "parquet"
    csv = "csv"


def _instant(option: str, value: str | None) -> datetime | None:
    """An ISO date or date-time; one without an offset is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r}: not an ISO date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@export_app.command("interactions")
def export_interactions(
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")],
    fmt: Annotated[Format, typer.Option("--format", help="file format")] = Format.parquet,
    since: Annotated[str | None, typer.Option(help="plays from (ISO, inclusive)")] = None,
    until: Annotated[str | None, typer.Option(help="plays before (ISO, exclusive)")] = None,
) -> None:
    """One row per user and item: plays, ms_played, confidence, last_ts (see recsys/export.py).

    Private plays and users who opted out of personalisation are left out, as in training.
    """
    start, end = _instant("--since", since), _instant("--until", until)
    if start and end and start >= end:
        raise fail("--since must be before --until")
    if not output.parent.is_dir():
        raise fail(f"--output {output}: no such directory {output.parent}")
    settings = load_settings()
    partial = output.with_name(f".{output.name}.partial")
    pairs = plays = 0
    try:
        with open_store(settings) as store:
            writer: pq.ParquetWriter | pa_csv.CSVWriter = (
                pq.ParquetWriter(partial, SCHEMA, compression="zstd")
                if fmt is Format.parquet
                else pa_csv.CSVWriter(partial, SCHEMA)
            )
            with writer:
                for batch in interaction_batches(store.engine, since=start, until=end):
                    writer.write_batch(batch)
                    pairs += batch.num_rows
                    plays += int(batch.column("plays").to_numpy().sum())
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    typer.echo(f"{pairs} user-item pairs from {plays} plays written to {output} ({fmt.value})")
