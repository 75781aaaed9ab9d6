""" "You might have missed": tracks a recommender thinks the listener would like but did not
play in the window. A hook until Wrapped is given a model: without one it is empty."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from wrapped.context import Context

MISSED = 10


class MissedTrack(BaseModel):
    id: int
    title: str
    artist: str
    spotify_uri: str | None


class MissedRecommender(Protocol):
    """What Wrapped needs of a recommender (``service/`` adapts a served model to it)."""

    def missed(self, user_id: str, heard_items: npt.NDArray[np.int64], k: int) -> list[MissedTrack]:
        """Up to ``k`` tracks for ``user_id``, none of ``heard_items``."""
        ...


def you_might_have_missed(ctx: Context) -> list[MissedTrack]:
    if ctx.recommender is None:
        return []
    heard = np.unique(ctx.plays.item[ctx.heard])
    return ctx.recommender.missed(ctx.user_id, heard, MISSED)[:MISSED]
