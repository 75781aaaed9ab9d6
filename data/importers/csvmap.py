"""Any CSV of plays, given a column mapping.

``--map`` pairs Encore's fields with the file's column names, for example
``ts=played_at,user=listener,artist=Artist,title=Track,album=Album,ms_played=ms``.
Fields: ``ts`` (required), ``artist`` and ``title`` (or one of ``spotify_uri``,
``isrc``, ``mbid``), and optionally ``user``, ``album``, ``ms_played``, ``kind``,
``skipped``, ``shuffle``, ``platform``, ``country``, ``event_id``.
``--ts-format`` is ``iso`` (default; a time without an offset is taken as UTC),
``epoch`` (seconds), ``epoch_ms`` or a ``strftime`` pattern such as
``%d %b %Y, %H:%M`` (UTC). Rows without ``ms_played`` count as one stream of
:data:`~data.importers.base.DEFAULT_SCROBBLE_MS`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from data.importers.base import (
    DEFAULT_SCROBBLE_MS,
    ImportFormatError,
    Skip,
    check_time_and_duration,
    clean_name,
    clean_short,
    platform_family,
)
from data.importers.jsonstream import buffer
from models.catalog import ItemKind
from models.listening import CLIENT_ID_LENGTH, EventSource
from models.records import EventRecord, ItemRef

FIELDS = (
    "ts", "user", "artist", "title", "album", "ms_played", "spotify_uri", "isrc", "mbid",
    "kind", "skipped", "shuffle", "platform", "country", "event_id",
)  # fmt: skip
TRUE, FALSE = {"true", "1", "yes", "y", "t"}, {"false", "0", "no", "n", "f", ""}


class MappingError(ValueError):
    """The ``--map`` or ``--ts-format`` option is wrong; the message says how."""


@dataclass(frozen=True)
class CsvMapping:
    columns: dict[str, str]
    ts_format: str = "iso"
    delimiter: str = ","

    @classmethod
    def parse(cls, spec: str, ts_format: str = "iso", delimiter: str = ",") -> CsvMapping:
        columns: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            field, sep, column = part.partition("=")
            if not sep or not column.strip():
                raise MappingError(f"--map: {part!r} is not FIELD=COLUMN")
            if field.strip() not in FIELDS:
                raise MappingError(
                    f"--map: unknown field {field.strip()!r}; fields: {', '.join(FIELDS)}"
                )
            columns[field.strip()] = column.strip()
        if "ts" not in columns:
            raise MappingError("--map: ts=COLUMN is required")
        if not (
            {"artist", "title"} <= columns.keys()
            or columns.keys() & {"spotify_uri", "isrc", "mbid"}
        ):
            raise MappingError(
                "--map: map artist and title, or an external id (spotify_uri, isrc, mbid)"
            )
        if len(delimiter) != 1:
            raise MappingError("--delimiter must be one character")
        return cls(columns, ts_format, delimiter)

    def timestamp(self) -> Callable[[str], datetime]:
        fmt = self.ts_format
        if fmt == "epoch":
            return lambda v: datetime.fromtimestamp(float(v), UTC)
        if fmt == "epoch_ms":
            return lambda v: datetime.fromtimestamp(float(v) / 1000, UTC)
        if fmt == "iso":
            return lambda v: _utc(datetime.fromisoformat(v.strip()))
        if "%" not in fmt:
            raise MappingError("--ts-format: use iso, epoch, epoch_ms or a strftime pattern")
        return lambda v: _utc(datetime.strptime(v.strip(), fmt))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    return True if lowered in TRUE else False if lowered in FALSE else None


def make_parser(
    mapping: CsvMapping,
) -> Callable[[IO[bytes], str, str | None], Iterator[EventRecord | Skip]]:
    to_ts = mapping.timestamp()
    col = mapping.columns

    def parse(stream: IO[bytes], name: str, user: str | None) -> Iterator[EventRecord | Skip]:
        text = io.TextIOWrapper(buffer(stream), encoding="utf-8-sig", newline="")
        try:
            reader = csv.DictReader(text, delimiter=mapping.delimiter)
            missing = [c for c in col.values() if c not in (reader.fieldnames or [])]
            if missing:
                raise ImportFormatError(f"{name}: no column named {', '.join(map(repr, missing))}")
            for row in reader:
                yield _row(row, col, to_ts, user)
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"{name}: not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise ImportFormatError(f"{name}: malformed CSV ({exc})") from None

    return parse


def _row(
    row: dict[str, str], col: dict[str, str], to_ts: Callable[[str], datetime], user: str | None
) -> EventRecord | Skip:
    def get(field: str) -> str | None:
        return row.get(col[field]) if field in col else None

    try:
        ts = to_ts(get("ts") or "")
    except (ValueError, OverflowError, OSError):
        return Skip("unreadable timestamp")
    try:
        ms = int(get("ms_played") or DEFAULT_SCROBBLE_MS)
        kind = ItemKind((get("kind") or "track").strip().lower())
    except ValueError:
        return Skip("unreadable ms_played or kind")
    try:
        item = ItemRef(
            kind=kind, artist=clean_name(get("artist")), title=clean_name(get("title")),
            album=clean_name(get("album")), spotify_uri=clean_name(get("spotify_uri")),
            isrc=clean_name(get("isrc")), mbid=clean_name(get("mbid")),
        )  # fmt: skip
    except ValueError as exc:
        return Skip(str(exc))
    if not (item.has_metadata or item.external_ids):
        return Skip("no artist and title or external id")
    problem = check_time_and_duration(ts, ms)
    if problem:
        return Skip(problem)
    listener = user or clean_name(get("user")) or "me"
    country = (get("country") or "").strip().upper()
    return EventRecord(
        user=listener, ts=ts, ms_played=ms, item=item,
        skipped=_bool(get("skipped")), shuffle=_bool(get("shuffle")),
        platform=platform_family(get("platform")),
        country=country if len(country) == 2 and country.isalpha() else None,
        client_event_id=clean_short(get("event_id"), CLIENT_ID_LENGTH),
        source=EventSource.csv,
    )  # fmt: skip
