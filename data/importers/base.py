"""What every importer shares: skip reasons, per-file counts, format errors, clean text."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import IO

from models.catalog import NAME_LENGTH
from models.listening import PLATFORM_LENGTH
from models.records import EventRecord

MAX_MS_PLAYED = 24 * 3600 * 1000
FUTURE_SKEW = timedelta(days=1)
# Scrobbles (Last.fm, most ListenBrainz listens) say a track was played, not for how long.
# They count as streams by definition (a scrobble needs 30 s or half the track), so they are
# stored with a typical track length; Wrapped reports their minutes as estimated.
DEFAULT_SCROBBLE_MS = 210_000


class ImportFormatError(ValueError):
    """The file cannot be read as the format it claims to be; nothing of it is stored."""


@dataclass(frozen=True, slots=True)
class Skip:
    """A row that is well-formed but cannot become a listening event, and why."""

    reason: str


# A format's reader: (stream, display name, listener override) -> records or skips.
Parser = Callable[[IO[bytes], str, str | None], Iterator["EventRecord | Skip"]]


@dataclass
class FileReport:
    """Counts for one file (or one member of a zip)."""

    name: str
    imported: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    error: str | None = None

    @property
    def rows(self) -> int:
        return self.imported + self.duplicates + sum(self.skipped.values())


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@lru_cache(maxsize=200_000)
def _clean(text: str) -> str | None:
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    if len(cleaned) > NAME_LENGTH:
        raise ValueError(f"name longer than {NAME_LENGTH} characters")
    return cleaned or None


def clean_name(value: object) -> str | None:
    """A display name with control characters blanked and spacing trimmed; None when empty.

    Raises :class:`ValueError` for a name too long to be a real title or name.
    """
    if value is None:
        return None
    return _clean(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=10_000)
def clean_short(value: object, limit: int) -> str | None:
    """Short free text (reasons, platform) blanked of control characters and cut to ``limit``."""
    if value is None:
        return None
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    return text[:limit] or None


@lru_cache(maxsize=10_000)
def platform_family(raw: object) -> str | None:
    """Spotify's platform strings ("Android OS 11 API 30 (Xiaomi, ...)", "windows", "iOS 16.1
    (iPhone14,5)") reduced to a family, so metrics by platform stay readable."""
    text = clean_short(raw, PLATFORM_LENGTH)
    if text is None:
        return None
    lowered = text.lower()
    for needle, family in (
        ("android", "android"), ("ios", "ios"), ("iphone", "ios"), ("ipad", "ios"),
        ("windows", "windows"), ("os x", "macos"), ("osx", "macos"), ("mac", "macos"),
        ("linux", "linux"), ("web", "web"), ("cast", "cast"), ("sonos", "speaker"),
        ("alexa", "speaker"), ("echo", "speaker"), ("playstation", "console"),
        ("xbox", "console"), ("tv", "tv"), ("car", "car"),
    ):  # fmt: skip
        if needle in lowered:
            return family
    return lowered.split()[0][:PLATFORM_LENGTH]


def check_time_and_duration(ts: datetime, ms_played: int) -> str | None:
    """A skip reason for impossible plays, or None when the play is plausible."""
    if ms_played < 0:
        return "negative ms_played"
    if ms_played > MAX_MS_PLAYED:
        return "ms_played over 24 hours"
    if ts.timestamp() > time.time() + FUTURE_SKEW.total_seconds():
        return "timestamp in the future"
    if ts.year < 1970:
        return "timestamp before 1970"
    return None
