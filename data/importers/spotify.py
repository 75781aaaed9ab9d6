"""Spotify's privacy exports.

- Extended streaming history (``Streaming_History_Audio_*.json``,
  ``Streaming_History_Video_*.json`` and the older ``endsong_*.json``): one object per
  play with ``ts`` (the END of the play, UTC), ``ms_played``, ``master_metadata_*``,
  track/episode/audiobook URIs, ``reason_*``, ``skipped``, ``shuffle``, ``offline``,
  ``incognito_mode``, ``platform`` and ``conn_country``.
- Account data (``StreamingHistory*.json``): ``endTime`` ("YYYY-MM-DD HH:MM", UTC),
  ``artistName``, ``trackName``, ``msPlayed``; newer exports split podcasts into
  ``StreamingHistory_podcast_*.json`` with ``podcastName`` and ``episodeName``.

Encore stores when a play *started*, so ``ts`` becomes ``end - ms_played``. Plays in
incognito mode are kept but marked private: they count nowhere. Plays in the video
files are items of kind video unless their URI is already known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import IO, Any

from data.importers.base import (
    ImportFormatError,
    Skip,
    check_time_and_duration,
    clean_name,
    clean_short,
    platform_family,
)
from data.importers.jsonstream import buffer, first_byte, iter_array
from models.catalog import ItemKind
from models.listening import REASON_LENGTH, EventSource
from models.records import EventRecord, ItemRef

NAMES = re.compile(
    r"^(Streaming_History_(Audio|Video)_.*|endsong.*|StreamingHistory.*)\.json$", re.IGNORECASE
)
NO_METADATA = "no track, episode or audiobook in the record"
BAD_TIME = "unreadable ts or ms_played"


def accepts(name: str) -> bool:
    return bool(NAMES.match(name))


def _ms(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _country(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 2 and value.isalpha() and value.upper() != "ZZ":
        return value.upper()
    return None


def _extended_item(obj: dict[str, Any], video: bool) -> ItemRef | None:
    kind = ItemKind.video if video else None
    if obj.get("spotify_track_uri") or obj.get("master_metadata_track_name"):
        return ItemRef(
            kind=kind or ItemKind.track,
            artist=clean_name(obj.get("master_metadata_album_artist_name")),
            title=clean_name(obj.get("master_metadata_track_name")),
            album=clean_name(obj.get("master_metadata_album_album_name")),
            spotify_uri=clean_name(obj.get("spotify_track_uri")),
        )
    if obj.get("spotify_episode_uri") or obj.get("episode_name"):
        return ItemRef(
            kind=kind or ItemKind.episode,
            artist=clean_name(obj.get("episode_show_name")),
            title=clean_name(obj.get("episode_name")),
            spotify_uri=clean_name(obj.get("spotify_episode_uri")),
        )
    if obj.get("audiobook_chapter_uri") or obj.get("audiobook_chapter_title"):
        return ItemRef(
            kind=ItemKind.episode,
            artist=clean_name(obj.get("audiobook_title")),
            title=clean_name(obj.get("audiobook_chapter_title")),
            spotify_uri=clean_name(obj.get("audiobook_chapter_uri")),
        )
    return None


def _extended(obj: dict[str, Any], user: str, video: bool) -> EventRecord | Skip:
    ms = _ms(obj.get("ms_played"))
    try:
        end = datetime.fromisoformat(str(obj.get("ts")))
        item = _extended_item(obj, video)
    except ValueError as exc:
        return Skip(str(exc) if "longer than" in str(exc) else BAD_TIME)
    if ms is None or end.tzinfo is None:
        return Skip(BAD_TIME)
    if item is None:
        return Skip(NO_METADATA)
    if end.tzinfo is not UTC:
        end = end.astimezone(UTC)
    start = end - timedelta(milliseconds=ms)
    problem = check_time_and_duration(start, ms)
    if problem:
        return Skip(problem)
    return EventRecord(
        user=user,
        ts=start,
        ms_played=ms,
        item=item,
        skipped=_flag(obj.get("skipped")),
        reason_start=clean_short(obj.get("reason_start"), REASON_LENGTH),
        reason_end=clean_short(obj.get("reason_end"), REASON_LENGTH),
        shuffle=_flag(obj.get("shuffle")),
        offline=_flag(obj.get("offline")),
        private=obj.get("incognito_mode") is True,
        platform=platform_family(obj.get("platform")),
        country=_country(obj.get("conn_country")),
        source=EventSource.spotify,
    )


def _account(obj: dict[str, Any], user: str) -> EventRecord | Skip:
    ms = _ms(obj.get("msPlayed"))
    try:
        end = datetime.strptime(str(obj.get("endTime")), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        if "podcastName" in obj or "episodeName" in obj:
            item = ItemRef(
                kind=ItemKind.episode,
                artist=clean_name(obj.get("podcastName")),
                title=clean_name(obj.get("episodeName")),
            )
        else:
            item = ItemRef(
                artist=clean_name(obj.get("artistName")), title=clean_name(obj.get("trackName"))
            )
    except ValueError as exc:
        return Skip(str(exc) if "longer than" in str(exc) else BAD_TIME)
    if ms is None:
        return Skip(BAD_TIME)
    if not item.has_metadata:
        return Skip(NO_METADATA)
    start = end - timedelta(milliseconds=ms)
    problem = check_time_and_duration(start, ms)
    if problem:
        return Skip(problem)
    return EventRecord(user=user, ts=start, ms_played=ms, item=item, source=EventSource.spotify)


def parse(stream: IO[bytes], name: str, user: str | None) -> Iterator[EventRecord | Skip]:
    """Records of one Spotify history file, whichever of the formats it is in."""
    buffered = buffer(stream)
    if first_byte(buffered) != b"[":
        raise ImportFormatError(f"{name}: not a Spotify streaming history (expected a JSON array)")
    rows = iter_array(buffered, name)
    first = next(rows, None)
    if first is None:
        return
    listener = user or "me"
    video = "video" in name.rsplit("/", 1)[-1].lower()
    convert: Callable[[dict[str, Any]], EventRecord | Skip]
    if "ms_played" in first and "ts" in first:
        convert = partial(_extended, user=listener, video=video)
    elif "msPlayed" in first and "endTime" in first:
        convert = partial(_account, user=listener)
    else:
        keys = ", ".join(sorted(first)[:6])
        raise ImportFormatError(
            f"{name}: not a Spotify streaming history (first record has {keys})"
        )
    yield convert(first)
    for obj in rows:
        yield convert(obj)
