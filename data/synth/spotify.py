"""Writing a synthetic history as a Spotify "extended streaming history" file.

The file is what Spotify's privacy export holds (``Streaming_History_Audio_*.json``):
one JSON array of plays with ``ts`` the END of the play (UTC, whole seconds),
``master_metadata_*`` names and ``spotify_track_uri`` for tracks, ``episode_*`` and
``spotify_episode_uri`` for podcasts, and the playback flags. It is written block
by block, one object per line, so a file of millions of plays never exists in
memory as objects. Plays come listener after listener, each in time order; ``ts``
is rounded up, so reading the start back as ``ts - ms_played`` never lands before
the generated start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from data.synth.listening import REASON_END, REASON_START, Plays, generate_block
from data.synth.population import PLATFORMS
from data.synth.rhythm import ZONES
from data.synth.world import World

DOCUMENTATION_IP = "192.0.2.1"  # exports carry the listener's address; this one is reserved


def _records(plays: Plays, world: World) -> list[dict[str, Any]]:
    """One export object per play, with the keys in the order Spotify writes them."""
    cat = world.catalog
    end_s = -(-(plays.start_ms + plays.ms_played) // 1000)
    ts = np.char.add(np.datetime_as_string(end_s.astype("datetime64[s]"), unit="s"), "Z").tolist()
    country = [ZONES[z][1] for z in world.population.zone[plays.user].tolist()]
    episode = cat.is_episode(plays.item).tolist()
    item, ms, began = plays.item.tolist(), plays.ms_played.tolist(), plays.start_ms // 1000
    platform, began = plays.platform.tolist(), began.tolist()
    start, end = plays.reason_start.tolist(), plays.reason_end.tolist()
    shuffle, skipped = plays.shuffle.tolist(), plays.skipped.tolist()
    offline, private = plays.offline.tolist(), plays.private.tolist()
    out = []
    for i, at in enumerate(item):
        ep = episode[i]
        name, creator, uri = cat.titles[at], cat.creator_names[cat.creator[at]], cat.uris[at]
        out.append({
            "ts": ts[i], "platform": PLATFORMS[platform[i]], "ms_played": ms[i],
            "conn_country": country[i], "ip_addr": DOCUMENTATION_IP,
            "master_metadata_track_name": None if ep else name,
            "master_metadata_album_artist_name": None if ep else creator,
            "master_metadata_album_album_name": None if ep else cat.albums[at],
            "spotify_track_uri": None if ep else uri,
            "episode_name": name if ep else None,
            "episode_show_name": creator if ep else None,
            "spotify_episode_uri": uri if ep else None,
            "audiobook_title": None, "audiobook_uri": None, "audiobook_chapter_uri": None,
            "audiobook_chapter_title": None,
            "reason_start": REASON_START[start[i]], "reason_end": REASON_END[end[i]],
            "shuffle": shuffle[i], "skipped": skipped[i], "offline": offline[i],
            "offline_timestamp": began[i], "incognito_mode": private[i],
        })  # fmt: skip
    return out


def write_spotify_json(
    world: World,
    path: Path,
    user: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write the plays of every listener, or of listener index ``user``, to ``path``;
    returns how many were written."""
    blocks = range(len(world.blocks)) if user is None else [world.block_of(user)]
    written = 0
    with path.open("wb") as out:
        out.write(b"[")
        for block in blocks:
            plays = generate_block(world, block)
            if user is not None:
                plays = plays.take(plays.user == user)
            for record in _records(plays, world):
                out.write(b"\n" if not written else b",\n")
                out.write(orjson.dumps(record))
                written += 1
            if on_progress:
                on_progress(len(plays))
        out.write(b"\n]\n")
    return written
