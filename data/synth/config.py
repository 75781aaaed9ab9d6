"""What to generate: the parameters of one synthetic history and the sizes derived from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

MS_PER_DAY = 86_400_000


class SynthError(ValueError):
    """The requested history cannot be generated (bad window, counts, or too dense)."""


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """One synthetic history: ``events`` plays by ``users`` listeners in ``[start, end)``.

    Everything else is derived, so one seed and these five values name one history.
    ``tracks`` overrides the catalog size, which by default grows with ``events``:
    one track per 100 plays, from 300 to 100,000. Resolving a new catalog item costs
    about as much as storing 15 plays, so a much larger catalog would slow loads.
    """

    users: int
    events: int
    start: datetime
    end: datetime
    seed: int = 0
    tracks: int | None = None

    def __post_init__(self) -> None:
        if self.users < 1:
            raise SynthError(f"users must be at least 1, not {self.users}")
        if self.events < 0:
            raise SynthError(f"events must not be negative, not {self.events}")
        if self.seed < 0:
            raise SynthError(f"seed must not be negative, not {self.seed}")
        if self.tracks is not None and self.tracks < 10:
            raise SynthError(f"tracks must be at least 10, not {self.tracks}")
        for name in ("start", "end"):
            if getattr(self, name).tzinfo is None:
                raise SynthError(f"{name} must be timezone-aware")
        if self.end <= self.start:
            raise SynthError(f"end ({self.end:%Y-%m-%d %H:%M}) must be after start")

    @property
    def start_ms(self) -> int:
        return _epoch_ms(self.start)

    @property
    def end_ms(self) -> int:
        return _epoch_ms(self.end)

    @property
    def n_tracks(self) -> int:
        if self.tracks is not None:
            return self.tracks
        return int(np.clip(self.events // 100, 300, 100_000))

    @property
    def n_artists(self) -> int:
        return max(8, self.n_tracks // 12)

    @property
    def n_shows(self) -> int:
        return int(np.clip(self.n_tracks // 1_500, 3, 60))

    @property
    def n_clusters(self) -> int:
        """Taste clusters: enough that each holds a few dozen listeners, at most 32."""
        return int(np.clip(self.users // 40, 2, 32))


def _epoch_ms(ts: datetime) -> int:
    delta = ts.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta // timedelta(milliseconds=1)
