""" "You might have missed": tracks that listeners like this one loved, which this one never
played in the window (nor, as far as the recommender knows, before it).

Wrapped knows no model. Whoever builds a report may hand it a :class:`MissedRecommender`
(``service/`` adapts the active collaborative-filtering model to it); the report asks it
for candidates of every listener at once, and this card keeps the first few the listener
did not play in the window and whose names the report knows. Without one it is empty.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from wrapped.context import Context

I64 = npt.NDArray[np.int64]

MISSED = 5
CANDIDATES = 50
"""How many candidates to ask for per listener: enough that the window's own plays, which
the model may not have seen, can be dropped and :data:`MISSED` remain."""


class MissedTrack(BaseModel):
    id: int
    title: str
    artist: str
    spotify_uri: str | None


class MissedRecommender(Protocol):
    """What Wrapped needs of a recommender: candidates for many listeners at once."""

    def missed(self, users: I64, k: int) -> list[I64]:
        """For each store user id in ``users``, up to ``k`` store item ids, best first,
        leaving out what the recommender already saw that user play; an empty array for a
        user it does not know."""
        ...


def you_might_have_missed(ctx: Context) -> list[MissedTrack]:
    if ctx.missed_candidates.size == 0:
        return []
    played = np.isin(ctx.missed_candidates, ctx.plays.item)
    out: list[MissedTrack] = []
    for item in ctx.missed_candidates[~played].tolist():
        info = ctx.catalog.items.get(item)
        if info is None:
            continue
        artist = ctx.artist_name(info.artist_id)
        out.append(MissedTrack(id=item, title=info.title, artist=artist,
                               spotify_uri=info.spotify_uri))  # fmt: skip
        if len(out) == MISSED:
            break
    return out
