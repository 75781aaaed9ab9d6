"""ListenBrainz listens: the JSON array or JSON-lines export, or the zip of monthly
JSON-lines files that ListenBrainz sends.

Each listen has ``listened_at`` (Unix seconds, when the listen started) and
``track_metadata`` with ``artist_name``, ``track_name``, ``release_name`` and
``additional_info`` (``duration_ms`` or ``duration``, ``recording_mbid``, ``isrc``,
``spotify_id``); ``mbid_mapping`` may carry the recording MBID instead. Listens say a
track was played, not for how long: the track's duration stands in when known,
:data:`~data.importers.base.DEFAULT_SCROBBLE_MS` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from data.importers.base import (
    DEFAULT_SCROBBLE_MS,
    MAX_MS_PLAYED,
    ImportFormatError,
    Skip,
    check_time_and_duration,
    clean_name,
)
from data.importers.jsonstream import iter_objects
from data.importers.lastfm import MBID
from models.listening import EventSource
from models.records import EventRecord, ItemRef

SPOTIFY_URL = re.compile(r"open\.spotify\.com/(track|episode)/([A-Za-z0-9]{22})")
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")


def accepts(name: str) -> bool:
    return name.lower().endswith((".json", ".jsonl"))


def _duration(info: dict[str, Any]) -> int | None:
    for key, scale in (("duration_ms", 1), ("duration", 1000)):
        value = info.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            ms = int(value * scale)
            if 0 < ms <= MAX_MS_PLAYED:
                return ms
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _listen(obj: dict[str, Any], user: str | None) -> EventRecord | Skip:
    meta = obj.get("track_metadata")
    stamp = obj.get("listened_at")
    if not isinstance(meta, dict):
        return Skip("no track_metadata")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return Skip("unreadable listened_at")
    try:
        ts = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return Skip("unreadable listened_at")
    info = _dict(meta.get("additional_info"))
    mapping = _dict(meta.get("mbid_mapping"))
    mbid = (_str(info.get("recording_mbid")) or _str(mapping.get("recording_mbid")) or "").lower()
    spotify = SPOTIFY_URL.search(_str(info.get("spotify_id")) or "")
    isrc = (_str(info.get("isrc")) or "").upper()
    duration = _duration(info)
    try:
        item = ItemRef(
            artist=clean_name(meta.get("artist_name")),
            title=clean_name(meta.get("track_name")),
            album=clean_name(meta.get("release_name")),
            duration_ms=duration,
            mbid=mbid if MBID.match(mbid) else None,
            isrc=isrc if ISRC.match(isrc) else None,
            spotify_uri=f"spotify:{spotify[1]}:{spotify[2]}" if spotify else None,
        )
    except ValueError as exc:
        return Skip(str(exc))
    if not item.has_metadata:
        return Skip("no artist or track name")
    ms = duration or DEFAULT_SCROBBLE_MS
    problem = check_time_and_duration(ts, ms)
    if problem:
        return Skip(problem)
    listener = user or clean_name(obj.get("user_name")) or "me"
    return EventRecord(
        user=listener, ts=ts, ms_played=ms, item=item, source=EventSource.listenbrainz
    )


def parse(stream: IO[bytes], name: str, user: str | None) -> Iterator[EventRecord | Skip]:
    """Records of a ListenBrainz export file (array or JSON lines)."""
    objects = iter_objects(stream, name)
    first = next(objects, None)
    if first is None:
        return
    if "listened_at" not in first or "track_metadata" not in first:
        keys = ", ".join(sorted(first)[:6])
        raise ImportFormatError(f"{name}: not a ListenBrainz export (first record has {keys})")
    yield _listen(first, user)
    for obj in objects:
        yield _listen(obj, user)
