"""Artist tags (genres and the like): the many-to-many ``artist_tags`` with a weight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from models.catalog import Artist, Tag, artist_tags
from models.dialect import fetch_ids, insert_ignore
from models.normalise import normalise

tags_t: Table = Tag.__table__  # type: ignore[assignment]
artists_t: Table = Artist.__table__  # type: ignore[assignment]


def tag_artists(conn: Connection, tags: Mapping[str, Sequence[tuple[str, float]]]) -> None:
    """Give each artist, named as in ``tags`` (matched by its normalised name), its
    ``(tag, weight)`` pairs, inside the caller's transaction.

    Tags are created when new; a link that exists already keeps its weight, so
    tagging again is harmless. Raises ``LookupError`` naming an artist not in the
    catalog, since a silently dropped tag would go unnoticed.
    """
    names = sorted({tag for pairs in tags.values() for tag, _ in pairs})
    tag_ids = fetch_ids(conn, tags_t, ["name"], names)
    missing = [name for name in names if name not in tag_ids]
    if missing:
        insert_ignore(conn, tags_t, [{"name": name} for name in missing])
        tag_ids.update(fetch_ids(conn, tags_t, ["name"], missing))
    keys = {artist: normalise(artist) for artist in tags}
    artist_ids = fetch_ids(conn, artists_t, ["name_key"], sorted(set(keys.values())))
    unknown = [artist for artist, key in keys.items() if key not in artist_ids]
    if unknown:
        raise LookupError(
            f"{len(unknown)} artists to tag are not in the catalog, e.g. {unknown[0]!r}"
        )
    rows = [
        {"artist_id": artist_ids[keys[artist]], "tag_id": tag_ids[tag], "weight": weight}
        for artist, pairs in tags.items()
        for tag, weight in pairs
    ]
    insert_ignore(conn, artist_tags, sorted(rows, key=lambda r: (r["artist_id"], r["tag_id"])))
