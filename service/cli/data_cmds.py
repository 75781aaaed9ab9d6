"""``encore data ...``"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from data.sample import SAMPLE, SampleFormatError, load_jsonl
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
