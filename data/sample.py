"""Load events written in the API's JSON format (one per line) through the bulk path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from models.catalog import ItemKind
from models.ingest import ingest_events
from models.listening import EventSource
from models.records import EventRecord, IngestResult, ItemRef
from models.resolve import CatalogResolver

log = logging.getLogger(__name__)

SAMPLE = Path(__file__).parent / "samples" / "listening_sample.jsonl"
BATCH = 5_000


class SampleFormatError(ValueError):
    """A line of a sample file is not an event."""


def _record(line_no: int, raw: dict[str, Any], source: EventSource) -> EventRecord:
    try:
        item = raw["item"]
        ts = datetime.fromisoformat(raw["ts"])
        if ts.tzinfo is None:
            raise ValueError("ts has no UTC offset")
        return EventRecord(
            user=str(raw["user_id"]),
            ts=ts,
            ms_played=int(raw["ms_played"]),
            item=ItemRef(
                kind=ItemKind(item.get("kind", "track")),
                artist=item.get("artist"),
                title=item.get("title"),
                album=item.get("album"),
                duration_ms=item.get("duration_ms"),
                spotify_uri=item.get("spotify_uri"),
            ),
            skipped=raw.get("skipped"),
            reason_start=raw.get("reason_start"),
            reason_end=raw.get("reason_end"),
            shuffle=raw.get("shuffle"),
            platform=raw.get("platform"),
            country=raw.get("country"),
            source=source,
            client_event_id=raw.get("event_id"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SampleFormatError(f"line {line_no}: not an event ({exc!r})") from None


def read_jsonl(path: Path, source: EventSource = EventSource.sample) -> Iterator[EventRecord]:
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    raw = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise SampleFormatError(f"line {line_no}: not JSON ({exc})") from None
                yield _record(line_no, raw, source)


def load_jsonl(engine: Engine, resolver: CatalogResolver, path: Path = SAMPLE) -> IngestResult:
    """Parse the whole file first (so a bad line stores nothing), then ingest in batches."""
    records = list(read_jsonl(path))
    total = IngestResult()
    for start in range(0, len(records), BATCH):
        total.add(ingest_events(engine, resolver, records[start : start + BATCH]))
    log.info("loaded %s: %d new, %d duplicates", path, total.accepted, total.duplicates)
    return total
