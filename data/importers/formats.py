"""The import formats by name, for the CLI and the upload API alike."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from data.importers import lastfm, listenbrainz, spotify
from data.importers.base import Parser


class ImportFormat(enum.StrEnum):
    spotify = "spotify"
    lastfm = "lastfm"
    listenbrainz = "listenbrainz"


@dataclass(frozen=True)
class Format:
    accepts: Callable[[str], bool]
    parse: Parser


FORMATS: dict[ImportFormat, Format] = {
    ImportFormat.spotify: Format(spotify.accepts, spotify.parse),
    ImportFormat.lastfm: Format(lastfm.accepts, lastfm.parse),
    ImportFormat.listenbrainz: Format(listenbrainz.accepts, listenbrainz.parse),
}
