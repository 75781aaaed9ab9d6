"""What each listener in an experiment was served and did, for the experiment report.

A listener is **exposed** once a list from the experiment was served to them; the arm is
the one their lists carry. Their listening counts from their first exposure to the end of
the experiment (its stop, or now); private plays count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from models.base import UTCDateTime
from models.metrics import STREAM_MS
from models.metrics.activity import CLICKED

I64 = npt.NDArray[np.int64]

_EXPOSED = """
    SELECT s.user_id, min(s.arm), count(*), sum(CASE WHEN {clicked} THEN 1 ELSE 0 END),
           min(s.served_at)
    FROM served_recommendations s
    WHERE s.experiment_id = :experiment AND s.user_id IS NOT NULL
    GROUP BY s.user_id ORDER BY s.user_id
"""
_LISTENING = """
    SELECT e.user_id, sum(e.ms_played), sum(CASE WHEN e.skipped THEN 1 ELSE 0 END),
           sum(CASE WHEN e.skipped IS NOT NULL THEN 1 ELSE 0 END),
           sum(CASE WHEN s.id IS NOT NULL THEN e.ms_played ELSE 0 END)
    FROM listening_events e
    JOIN (SELECT user_id, min(served_at) AS first_at FROM served_recommendations
          WHERE experiment_id = :experiment AND user_id IS NOT NULL GROUP BY user_id) x
      ON x.user_id = e.user_id
    LEFT JOIN served_recommendations s
      ON s.rec_id = e.rec_id AND s.user_id = e.user_id AND s.experiment_id = :experiment
    WHERE e.ts >= x.first_at AND e.ts < :until AND {not_private}
    GROUP BY e.user_id
"""


@dataclass(frozen=True, slots=True)
class Exposure:
    """Per exposed listener (parallel columns): arm, lists served and clicked, listening
    ms, skipped and skip-known plays, and ms from the experiment's lists."""

    arm: list[str]
    lists: I64
    clicked: I64
    ms: I64
    skips: I64
    known: I64
    rec_ms: I64


def read_exposure(conn: Connection, experiment_id: int, until: datetime) -> Exposure:
    dialect = conn.dialect.name
    exposed = conn.execute(
        text(_EXPOSED.format(clicked=CLICKED[dialect])),
        {"experiment": experiment_id, "stream_ms": STREAM_MS},
    ).all()
    not_private = "e.private = 0" if dialect == "sqlite" else "NOT e.private"
    stmt = text(_LISTENING.format(not_private=not_private)).bindparams(
        bindparam("until", type_=UTCDateTime())
    )
    listened = {
        int(r[0]): [int(v or 0) for v in r[1:]]
        for r in conn.execute(stmt, {"experiment": experiment_id, "until": until})
    }
    zeros = [0, 0, 0, 0]
    cols = np.array([listened.get(int(r[0]), zeros) for r in exposed], dtype=np.int64)
    cols = cols.reshape(-1, 4)
    return Exposure(
        arm=[str(r[1]) for r in exposed],
        lists=np.array([int(r[2]) for r in exposed], dtype=np.int64),
        clicked=np.array([int(r[3] or 0) for r in exposed], dtype=np.int64),
        ms=cols[:, 0], skips=cols[:, 1], known=cols[:, 2], rec_ms=cols[:, 3],
    )  # fmt: skip
