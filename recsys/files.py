"""Interactions read straight from files, for offline evaluation without a store.

Formats (``FORMATS``):

- ``hetrec``: HetRec 2011 Last.fm ``user_artists.dat`` (``userID \\t artistID \\t
  weight``; the weight is a play count). The header line is optional and every field is
  stripped (one published copy has an id with trailing spaces). No timestamps.
- ``movielens``: MovieLens ``ratings.csv`` (``userId,movieId,rating,timestamp``). Every
  rating is one implicit interaction of weight 1, whatever its value.
- ``csv``: generic ``user,item,weight[,ts]``, an optional header; ``ts`` in Unix seconds
  (milliseconds from 1e11 on, as the event API reads them) or ISO 8601 with an offset.
- ``lastfm``: a Last.fm scrobbles export (``uts,utc_time,artist,...,track,...``, as
  written by lastfm.ghan.nl): one listener, each scrobble a play of weight 1 of the item
  ``artist - track`` (names case-folded), with its artist for artist-level views.

A directory may be given instead of a file: the format's usual file name inside it is
read. Errors name the file and line and raise :class:`InteractionsError`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recsys.errors import InteractionsError
from recsys.interactions import Interactions

MS_THRESHOLD = 1e11  # epoch numbers from here on are milliseconds
SCROBBLE_LISTENER = "listener"


def _open_rows(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
                if row and any(field.strip() for field in row):
                    yield number, [field.strip() for field in row]
    except UnicodeDecodeError as exc:
        raise InteractionsError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise InteractionsError(f"{path}: {exc}") from None


def _number(path: Path, line: int, value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InteractionsError(f"{path}, line {line}: {what} {value!r} is not a number") from None
    if not np.isfinite(number):
        raise InteractionsError(f"{path}, line {line}: {what} {value!r} is not finite")
    return number


def _timestamp(path: Path, line: int, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        parsed = None
    else:
        return number / 1000.0 if abs(number) >= MS_THRESHOLD else number
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InteractionsError(f"{path}, line {line}: unreadable time {value!r}") from None
    if parsed.tzinfo is None:
        raise InteractionsError(f"{path}, line {line}: time {value!r} has no UTC offset")
    return parsed.timestamp()


def _locate(path: Path, default_name: str) -> Path:
    if path.is_dir():
        path = path / default_name
    if not path.is_file():
        raise InteractionsError(f"no such file: {path}")
    return path


def read_hetrec(path: Path) -> Interactions:
    """HetRec 2011 ``user_artists.dat`` (or the directory holding it)."""
    path = _locate(path, "user_artists.dat")
    users, items, weights = [], [], []
    for line, row in _open_rows(path, "\t"):
        if len(row) != 3:
            raise InteractionsError(f"{path}, line {line}: expected 3 tab-separated fields")
        if line == 1 and not row[2].replace(".", "", 1).isdigit():
            continue  # the original header: userID artistID weight
        users.append(row[0])
        items.append(row[1])
        weights.append(_number(path, line, row[2], "weight"))
    return _build(path, users, items, weights, None)


def read_movielens(path: Path) -> Interactions:
    """MovieLens ``ratings.csv`` (or the directory holding it)."""
    path = _locate(path, "ratings.csv")
    users, items, stamps = [], [], []
    for line, row in _open_rows(path, ","):
        if line == 1 and row[:2] == ["userId", "movieId"]:
            continue
        if len(row) != 4:
            raise InteractionsError(f"{path}, line {line}: expected userId,movieId,rating,ts")
        _number(path, line, row[2], "rating")
        users.append(row[0])
        items.append(row[1])
        stamps.append(_timestamp(path, line, row[3]))
    return _build(path, users, items, np.ones(len(users)), stamps)


def read_csv(path: Path) -> Interactions:
    """Generic ``user,item,weight[,ts]`` CSV."""
    path = _locate(path, "interactions.csv")
    users, items, weights, stamps = [], [], [], []
    width = 0
    for line, row in _open_rows(path, ","):
        if line == 1 and not _is_number(row[2] if len(row) > 2 else ""):
            continue  # a header
        width = width or len(row)
        if len(row) not in (3, 4) or len(row) != width:
            raise InteractionsError(
                f"{path}, line {line}: expected user,item,weight[,ts] like the first row"
            )
        users.append(row[0])
        items.append(row[1])
        weights.append(_number(path, line, row[2], "weight"))
        if width == 4:
            stamps.append(_timestamp(path, line, row[3]))
    return _build(path, users, items, weights, stamps if width == 4 else None)


def read_lastfm(path: Path) -> Interactions:
    """A Last.fm scrobbles CSV export (one listener)."""
    path = _locate(path, "scrobbles.csv")
    items, artists, stamps = [], [], []
    header: dict[str, int] = {}
    for line, row in _open_rows(path, ","):
        if not header:
            header = {name: i for i, name in enumerate(row)}
            missing = {"uts", "artist", "track"} - header.keys()
            if missing:
                raise InteractionsError(f"{path}: not a scrobbles export, no {sorted(missing)}")
            continue
        try:
            artist, track = row[header["artist"]].casefold(), row[header["track"]].casefold()
            uts = row[header["uts"]]
        except IndexError:
            raise InteractionsError(f"{path}, line {line}: missing fields") from None
        if not artist or not track:
            continue
        items.append(f"{artist} - {track}")
        artists.append(artist)
        stamps.append(_timestamp(path, line, uts))
    users = [SCROBBLE_LISTENER] * len(items)
    return _build(path, users, items, np.ones(len(items)), stamps, artists)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _ids(values: list[str]) -> npt.NDArray[Any]:
    """Integer ids as integers (so they sort numerically), anything else as text."""
    try:
        return np.asarray(values, dtype=np.int64)
    except (ValueError, OverflowError):
        return np.asarray(values, dtype=str)


def _build(
    path: Path,
    users: list[str],
    items: list[str],
    weights: npt.ArrayLike,
    stamps: list[float] | None,
    artists: list[str] | None = None,
) -> Interactions:
    if not users:
        raise InteractionsError(f"{path}: no interactions")
    try:
        return Interactions.from_columns(_ids(users), _ids(items), weights, stamps, artists=artists)
    except InteractionsError as exc:
        raise InteractionsError(f"{path}: {exc}") from None


FORMATS: dict[str, Callable[[Path], Interactions]] = {
    "hetrec": read_hetrec,
    "movielens": read_movielens,
    "csv": read_csv,
    "lastfm": read_lastfm,
}


def read_interactions(path: Path, fmt: str) -> Interactions:
    """Read ``path`` in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        reader = FORMATS[fmt]
    except KeyError:
        raise InteractionsError(
            f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}"
        ) from None
    return reader(path)
