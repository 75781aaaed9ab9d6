"""What ``encore evaluate`` and ``encore tune`` share: where the interactions come from
(the store or a file), how they are split, and the check of a named choice."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recsys.files import FORMATS, read_interactions
from recsys.interactions import Interactions
from recsys.splits import SPLITS
from recsys.store import read_store
from service.cli.app import fail, load_settings, open_store

FormatOption = Annotated[
    str, typer.Option("--format", help=f"format of --interactions: {'|'.join(FORMATS)}")
]
SplitOption = Annotated[
    str | None,
    typer.Option(help=f"{'|'.join(SPLITS)}; by default temporal when there are timestamps"),
]
TestShareOption = Annotated[float, typer.Option(help="share held out (random, temporal)")]


def choice(value: str, allowed: tuple[str, ...] | list[str], option: str) -> str:
    """``value`` when it is one of ``allowed``; else one error line naming ``option``."""
    if value not in allowed:
        raise fail(f"{option} {value!r}: use one of {', '.join(allowed)}")
    return value


def check_source(path: Path | None, fmt: str, split: str | None) -> None:
    """One error line for an unknown --format (of a file) or --split."""
    if path is not None:
        choice(fmt, list(FORMATS), "--format")
    if split is not None:
        choice(split, SPLITS, "--split")


def load_interactions(path: Path | None, fmt: str) -> tuple[Interactions, str]:
    """The interactions of the file at ``path`` (or of the store when None), and a
    description of where they came from."""
    if path is None:
        settings = load_settings()
        with open_store(settings) as store:
            return read_store(store.engine), "the store"
    if not path.exists():
        raise fail(f"no such file: {path}")
    load_settings()  # logging as every command sets it up
    return read_interactions(path, fmt), f"{path} ({fmt})"
