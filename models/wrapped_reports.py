"""Stored Wrapped reports: one JSON document per listener, period and timezone.

``encore wrapped build`` writes them so the API can answer without recomputing. Each row
keeps a fingerprint of what the report was computed from (see :func:`event_fingerprints`);
a reader compares it with the fingerprint now and recomputes when they differ, so a stored
report is served only while the listener's history before the period's end is unchanged.
The document is the report's JSON, zlib-compressed at the fastest level (about a quarter
of the size, which is most of what a build of every listener writes; level 6 saved a
further sixth of that at twice the time). Deleting a listener deletes their reports.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    LargeBinary,
    String,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.listening import ListeningEvent

PERIOD_LENGTH = 64
FINGERPRINT_LENGTH = 160
LOOKUP_CHUNK = 500


class WrappedReportRow(Base):
    __tablename__ = "wrapped_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    timezone: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_LENGTH))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("user_id", "period", "timezone"),)


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A stored report: ``document`` is the report's JSON (uncompressed)."""

    user_id: int
    period: str
    timezone: str
    fingerprint: str
    document: bytes
    built_at: datetime


@dataclass(frozen=True, slots=True)
class History:
    """What a listener's history before some instant adds up to: every event counts,
    private ones too (a report leaves them out, but a new private play is still a change)."""

    events: int = 0
    max_id: int = 0
    ms_played: int = 0

    def key(self) -> str:
        return f"{self.events}.{self.max_id}.{self.ms_played}"

    def plus(self, event_id: int, ms_played: int) -> History:
        return History(self.events + 1, max(self.max_id, event_id), self.ms_played + ms_played)


def _history(events: int, max_id: int | None, ms: int | None) -> History:
    return History(int(events), int(max_id or 0), int(ms or 0))


def history_before(session: Session, *, user_id: int, end: datetime) -> History:
    """One listener's :class:`History` of events that started before ``end``."""
    e = ListeningEvent
    row = session.execute(
        select(func.count(), func.max(e.id), func.sum(e.ms_played)).where(
            e.user_id == user_id, e.ts < end
        )
    ).one()
    return _history(*row)


def event_fingerprints(
    session: Session, *, ends: dict[int, datetime], user_ids: Iterable[int] | None = None
) -> dict[int, History]:
    """Every listener's :class:`History` before their own end (``ends`` by user id; a user
    missing from it has none), in two reads: everything before the earliest end, grouped,
    and the few events between the earliest and the latest end, added one by one. Ends
    differ by a timezone's offset, so the second read is about a day of events."""
    if not ends:
        return {}
    wanted = set(ends) if user_ids is None else set(user_ids) & set(ends)
    first, last = min(ends.values()), max(ends.values())
    e = ListeningEvent
    grouped = (
        select(e.user_id, func.count(), func.max(e.id), func.sum(e.ms_played))
        .where(e.ts < first)
        .group_by(e.user_id)
    )
    out = {
        user: _history(n, top, ms)
        for user, n, top, ms in session.execute(grouped)
        if user in wanted
    }
    if last > first:
        tail = select(e.user_id, e.id, e.ms_played, e.ts).where(e.ts >= first, e.ts < last)
        for user, event_id, ms, ts in session.execute(tail):
            if user in wanted and ts < ends[user]:
                out[user] = out.get(user, History()).plus(event_id, ms)
    return {user: out.get(user, History()) for user in wanted}


def stored_fingerprints(
    session: Session, *, keys: Sequence[tuple[int, str, str]]
) -> dict[tuple[int, str, str], str]:
    """The stored fingerprint of each (user id, period, timezone) that has a report."""
    r = WrappedReportRow
    out: dict[tuple[int, str, str], str] = {}
    by_period: dict[tuple[str, str], list[int]] = {}
    for user, period, tz in keys:
        by_period.setdefault((period, tz), []).append(user)
    for (period, tz), users in by_period.items():
        for start in range(0, len(users), LOOKUP_CHUNK):
            chunk = users[start : start + LOOKUP_CHUNK]
            rows = session.execute(
                select(r.user_id, r.fingerprint).where(
                    r.period == period, r.timezone == tz, r.user_id.in_(chunk)
                )
            )
            out.update(((user, period, tz), fp) for user, fp in rows)
    return out


def get_stored(
    session: Session, *, user_id: int, period: str, timezone: str
) -> StoredReport | None:
    """The stored report of one listener, period and timezone, if there is one."""
    r = WrappedReportRow
    row = session.execute(
        select(r.fingerprint, r.document, r.built_at).where(
            r.user_id == user_id, r.period == period, r.timezone == timezone
        )
    ).one_or_none()
    if row is None:
        return None
    return StoredReport(user_id, period, timezone, row[0], zlib.decompress(row[1]), row[2])


def put_stored(session: Session, reports: Sequence[StoredReport]) -> int:
    """Store ``reports``, replacing any of the same listener, period and timezone (the
    caller commits). Returns how many were written."""
    if not reports:
        return 0
    r = WrappedReportRow
    keys = [(s.user_id, s.period, s.timezone) for s in reports]
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        session.execute(delete(r).where(tuple_(r.user_id, r.period, r.timezone).in_(chunk)))
    session.execute(
        insert(r),
        [
            {
                "user_id": s.user_id, "period": s.period, "timezone": s.timezone,
                "fingerprint": s.fingerprint, "document": zlib.compress(s.document, 1),
                "built_at": s.built_at,
            }
            for s in reports
        ],
    )  # fmt: skip
    return len(reports)


def count_stored(session: Session, *, period: str | None = None) -> int:
    r = WrappedReportRow
    stmt = select(func.count()).select_from(r)
    if period is not None:
        stmt = stmt.where(and_(r.period == period))
    return int(session.scalar(stmt) or 0)
