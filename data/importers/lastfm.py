"""Last.fm scrobbles.

- The CSV that export tools such as lastfm.ghan.nl write: a header with ``uts`` (Unix
  seconds), ``utc_time``, ``artist``, ``artist_mbid``, ``album``, ``album_mbid``, ``track``,
  ``track_mbid``.
- The Last.fm 1K-users TSV (Celma, 2010): ``user``, ISO timestamp, artist MBID, artist,
  track MBID, track; with or without a header line; it names its own users.

A scrobble records that a track was played (for 30 s or half its length), not for how
long: it is stored with :data:`~data.importers.base.DEFAULT_SCROBBLE_MS`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO

from data.importers.base import (
    DEFAULT_SCROBBLE_MS,
    ImportFormatError,
    Skip,
    check_time_and_duration,
    clean_name,
)
from data.importers.jsonstream import buffer
from models.listening import EventSource
from models.records import EventRecord, ItemRef

MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
GHAN_COLUMNS = {"uts", "artist", "track"}
NO_METADATA = "no artist or track name"
BAD_TIME = "unreadable timestamp"


def accepts(name: str) -> bool:
    return name.lower().endswith((".csv", ".tsv"))


def _mbid(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value if MBID.match(value) else None


def _record(user: str, ts: datetime, item: ItemRef) -> EventRecord | Skip:
    if not item.has_metadata:
        return Skip(NO_METADATA)
    problem = check_time_and_duration(ts, DEFAULT_SCROBBLE_MS)
    if problem:
        return Skip(problem)
    return EventRecord(
        user=user, ts=ts, ms_played=DEFAULT_SCROBBLE_MS, item=item, source=EventSource.lastfm
    )


def _ghan(reader: csv.DictReader[str], user: str) -> Iterator[EventRecord | Skip]:
    for row in reader:
        try:
            ts = datetime.fromtimestamp(int(row["uts"]), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            yield Skip(BAD_TIME)
            continue
        try:
            item = ItemRef(
                artist=clean_name(row.get("artist")),
                title=clean_name(row.get("track")),
                album=clean_name(row.get("album")),
                mbid=_mbid(row.get("track_mbid")),
                artist_mbid=_mbid(row.get("artist_mbid")),
            )
        except ValueError as exc:
            yield Skip(str(exc))
            continue
        yield _record(user, ts, item)


def _one_k(lines: Iterator[list[str]], user: str | None) -> Iterator[EventRecord | Skip]:
    for row in lines:
        if len(row) != 6:
            yield Skip("not 6 tab-separated columns")
            continue
        listener, stamp, artist_mbid, artist, track_mbid, track = row
        try:
            ts = datetime.fromisoformat(stamp)
            if ts.tzinfo is None:
                raise ValueError(stamp)
        except ValueError:
            yield Skip(BAD_TIME)
            continue
        try:
            item = ItemRef(
                artist=clean_name(artist),
                title=clean_name(track),
                mbid=_mbid(track_mbid),
                artist_mbid=_mbid(artist_mbid),
            )
        except ValueError as exc:
            yield Skip(str(exc))
            continue
        yield _record(user or clean_name(listener) or "me", ts.astimezone(UTC), item)


def parse(stream: IO[bytes], name: str, user: str | None) -> Iterator[EventRecord | Skip]:
    """Records of a Last.fm export, whichever of the two layouts it has."""
    text = io.TextIOWrapper(buffer(stream), encoding="utf-8-sig", newline="", errors="strict")
    try:
        head = text.readline()
        if "\t" in head:
            fields = head.rstrip("\r\n").split("\t")
            rows = csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE)
            if fields[0] != "user":  # the original 1K file has no header: that was a row
                yield from _one_k(iter([fields]), user)
            yield from _one_k(rows, user)
            return
        columns = next(csv.reader([head]), [])
        if not set(columns) >= GHAN_COLUMNS:
            raise ImportFormatError(
                f"{name}: not a Last.fm scrobble export (needs columns uts, artist, track; "
                f"found {', '.join(columns[:8]) or 'none'})"
            )
        yield from _ghan(csv.DictReader(text, fieldnames=columns), user or "me")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{name}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise ImportFormatError(f"{name}: malformed CSV ({exc})") from None
