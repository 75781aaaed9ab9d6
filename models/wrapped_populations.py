"""Everyone's listening over one UTC span, as ``encore wrapped build`` found it, stored so a
server can rank a listener on demand without reading every play of a window.

A row holds the span, the highest event id the build read (``last_event``: later events
are read by id and added) and the arrays of :class:`wrapped.population.Base` as one
``.npz`` (numpy's own format, no pickle), compressed. A build replaces the row of the same
span.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, LargeBinary, UniqueConstraint, delete, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime

I64 = npt.NDArray[np.int64]


class WrappedPopulationRow(Base):
    __tablename__ = "wrapped_populations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    span_start: Mapped[datetime] = mapped_column(UTCDateTime)
    span_end: Mapped[datetime] = mapped_column(UTCDateTime)
    last_event: Mapped[int] = mapped_column(BigInteger)
    arrays: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("span_start", "span_end"),)


@dataclass(frozen=True, slots=True)
class StoredSpan:
    """A stored population without its arrays."""

    id: int
    start: datetime
    end: datetime
    last_event: int
    built_at: datetime


def put_population(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    last_event: int,
    arrays: dict[str, I64],
    built_at: datetime,
) -> None:
    """Store the population of ``[start, end)``, replacing the one stored for that span
    (the caller commits)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    r = WrappedPopulationRow
    session.execute(delete(r).where(r.span_start == start, r.span_end == end))
    session.execute(
        insert(r).values(
            span_start=start, span_end=end, last_event=last_event, arrays=buffer.getvalue(),
            built_at=built_at,
        )
    )  # fmt: skip


def stored_spans(session: Session) -> list[StoredSpan]:
    """Every stored population's span, without reading the arrays."""
    r = WrappedPopulationRow
    rows = session.execute(
        select(r.id, r.span_start, r.span_end, r.last_event, r.built_at).order_by(r.id)
    )
    return [StoredSpan(*row) for row in rows]


def get_population(session: Session, population_id: int) -> dict[str, I64] | None:
    """The arrays of one stored population (None if it was replaced meanwhile)."""
    r = WrappedPopulationRow
    data = session.scalar(select(r.arrays).where(r.id == population_id))
    if data is None:
        return None
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}
