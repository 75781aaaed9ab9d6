"""Building and maintaining the per-listener daily rollup of one time zone.

The rollup is summarised from each listener's whole history (sessions and "new artist"
need what came before the day), so a refresh re-summarises only the listeners who have
events or served lists above the rollup's watermarks, and does everyone when it is new.

What counts: private plays count nowhere. Listeners who opted out of personalization
*are* counted: these are aggregate product numbers about the service, never shown per
listener; audiences, which are per listener, leave them out.

Definitions:
- a **stream** is a play of 30 s or more; **skip rate** is skipped plays over plays
  whose skip flag is known (scrobbles and older exports have none);
- a **session** is a run of plays with no gap of more than 30 minutes between the end of
  one play (start + ms_played, the furthest so far) and the start of the next; it counts
  on the day and (platform, country, kind) of its first play, and its length is from
  its first start to its last end;
- a play is on a **new artist** when the listener first heard that artist (a play of
  more than 0 ms) at most 30 days before it;
- a play is **from a recommendation** when its ``rec_id`` names a list served to that
  listener (or to an anonymous request).

The same pass writes the artist rows the artist stats read (``models.metrics.artist_days``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from models.base import utcnow
from models.catalog import Item, ItemKind
from models.dialect import epoch_us, insert_ignore
from models.listening import ListeningEvent
from models.metrics import STREAM_MS
from models.metrics.activity import served_by_user_day
from models.metrics.artist_days import delete_artist_days, summarise_artists, write_artist_days
from models.metrics.localtime import local_days, months_of
from models.metrics.periods import (
    Contribution,
    DayRows,
    apply,
    contribution,
    difference,
    merge,
    read_day_rows,
    served_contribution,
)
from models.metrics.schema import MetricsRollup, MetricsUserDay, MetricsUserServed
from models.served import ServedRecommendation
from models.users import User

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
SESSION_GAP_US = 30 * 60 * 1_000_000
NEW_ARTIST_US = 30 * 86_400 * 1_000_000
KINDS = tuple(k.value for k in ItemKind)
STREAM_CHUNK = 50_000
USER_CHUNK = 2_000
INSERT_CHUNK = 20_000
FULL_SHARE = 0.1  # with more stale listeners than this share, rebuild all at once

rollups_t: Table = MetricsRollup.__table__  # type: ignore[assignment]
days_t: Table = MetricsUserDay.__table__  # type: ignore[assignment]
user_served_t: Table = MetricsUserServed.__table__  # type: ignore[assignment]
served_t: Table = ServedRecommendation.__table__  # type: ignore[assignment]
events_t: Table = ListeningEvent.__table__  # type: ignore[assignment]

DAY_COLUMNS = (
    "user_id", "day", "month", "platform", "country", "kind", "plays", "ms_played", "streams",
    "skips", "skip_known", "sessions", "session_ms", "ms_new_artist", "rec_plays", "ms_rec",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Plays ordered by (user, ts): the columns the rollup is summarised from."""

    user: I64
    ts_us: I64
    ms: I64
    skipped: I64  # 1, 0, or -1 when unknown
    kind: I64  # index into KINDS
    artist: I64
    item: I64
    platform: I64  # index into platforms
    country: I64  # index into countries
    from_rec: I64  # 1 when the rec_id names a served list
    platforms: list[str]
    countries: list[str]


def read_events(conn: Connection, user_ids: Sequence[int] | None) -> EventColumns:
    """Every non-private play of ``user_ids`` (None: everyone), streamed."""
    served = served_t.alias("s")
    stmt = (
        select(
            events_t.c.user_id,
            epoch_us(conn.dialect.name, events_t.c.ts),
            events_t.c.ms_played,
            case((events_t.c.skipped.is_(True), 1), (events_t.c.skipped.is_(False), 0), else_=-1),
            case(*((Item.kind == k, n) for n, k in enumerate(KINDS)), else_=0),
            Item.artist_id,
            case((served.c.id.is_not(None), 1), else_=0),
            events_t.c.item_id,
            func.coalesce(events_t.c.platform, ""),
            func.coalesce(events_t.c.country, ""),
        )
        .join(Item, Item.id == events_t.c.item_id)
        .outerjoin(
            served,
            and_(
                served.c.rec_id == events_t.c.rec_id,
                or_(served.c.user_id == events_t.c.user_id, served.c.user_id.is_(None)),
            ),
        )
        .where(events_t.c.private.is_(False))
        .order_by(events_t.c.user_id, events_t.c.ts, events_t.c.id)
    )
    if user_ids is not None:
        stmt = stmt.where(events_t.c.user_id.in_(list(user_ids)))
    ints: list[npt.NDArray[np.int64]] = []
    platforms: dict[str, int] = {}
    countries: dict[str, int] = {}
    plat_codes: list[int] = []
    country_codes: list[int] = []
    result = conn.execute(stmt.execution_options(yield_per=STREAM_CHUNK))
    for part in result.partitions():
        ints.append(np.array([row[:8] for row in part], dtype=np.int64))
        plat_codes.extend(platforms.setdefault(row[8], len(platforms)) for row in part)
        country_codes.extend(countries.setdefault(row[9], len(countries)) for row in part)
    m = np.concatenate(ints) if ints else np.zeros((0, 8), dtype=np.int64)
    return EventColumns(
        user=m[:, 0], ts_us=m[:, 1], ms=m[:, 2], skipped=m[:, 3], kind=m[:, 4], artist=m[:, 5],
        from_rec=m[:, 6], item=m[:, 7], platform=np.array(plat_codes, dtype=np.int64),
        country=np.array(country_codes, dtype=np.int64), platforms=list(platforms),
        countries=list(countries),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class UserDays:
    """The rollup rows, as columns (``platform``/``country`` as strings, ``kind`` a name)."""

    columns: dict[str, npt.NDArray[np.int64]]
    platform: list[str]
    country: list[str]
    kind: list[str]

    def __len__(self) -> int:
        return int(self.columns["user_id"].size)


def _segment_starts(new: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    return np.flatnonzero(new)


def summarise(ev: EventColumns, day: I64) -> UserDays:
    """The rollup rows of the listeners in ``ev`` (whose whole history it must hold);
    ``day``: the local day of each play."""
    n = ev.user.size
    if n == 0:
        return UserDays({c: np.zeros(0, dtype=np.int64) for c in DAY_COLUMNS[:3]}, [], [], [])
    user_start = np.ones(n, dtype=bool)
    user_start[1:] = ev.user[1:] != ev.user[:-1]
    # Sessions: the furthest end so far, per user (users are made monotonic by an offset).
    end = ev.ts_us + ev.ms * 1000
    rank = np.cumsum(user_start) - 1
    span = int(end.max() - ev.ts_us.min()) + 1
    base = ev.ts_us.min()
    if span * (int(rank[-1]) + 1) < 2**62:
        shift = rank * span - base
        furthest = np.maximum.accumulate(end + shift) - shift
    else:  # too many users for one int64 scale: per user
        furthest = end.copy()
        for s, e in zip(*_bounds(user_start), strict=True):
            furthest[s:e] = np.maximum.accumulate(end[s:e])
    new_session = user_start.copy()
    new_session[1:] |= ev.ts_us[1:] - furthest[:-1] > SESSION_GAP_US
    starts = _segment_starts(new_session)
    session_end = np.maximum.reduceat(end, starts)
    sessions = np.zeros(n, dtype=np.int64)
    sessions[starts] = 1
    session_ms = np.zeros(n, dtype=np.int64)
    session_ms[starts] = (session_end - ev.ts_us[starts]) // 1000
    # New artists: first heard (a play over 0 ms) per (user, artist).
    heard_ts = np.where(ev.ms > 0, ev.ts_us, np.iinfo(np.int64).max)
    pair = ev.user * (int(ev.artist.max()) + 1) + ev.artist
    order = np.lexsort((heard_ts, pair))
    sorted_pair = pair[order]
    first_of_pair = np.ones(n, dtype=bool)
    first_of_pair[1:] = sorted_pair[1:] != sorted_pair[:-1]
    group = np.cumsum(first_of_pair) - 1
    first_ts = heard_ts[order][first_of_pair][group]
    first_heard = np.empty(n, dtype=np.int64)
    first_heard[order] = first_ts
    is_new = (ev.ms > 0) & (ev.ts_us - first_heard <= NEW_ARTIST_US)
    per_play = {
        "plays": np.ones(n, dtype=np.int64),
        "ms_played": ev.ms,
        "streams": (ev.ms >= STREAM_MS).astype(np.int64),
        "skips": (ev.skipped == 1).astype(np.int64),
        "skip_known": (ev.skipped >= 0).astype(np.int64),
        "sessions": sessions,
        "session_ms": session_ms,
        "ms_new_artist": np.where(is_new, ev.ms, 0),
        "rec_plays": ev.from_rec,
        "ms_rec": np.where(ev.from_rec == 1, ev.ms, 0),
    }
    keys = (ev.kind, ev.country, ev.platform, day, ev.user)
    order = np.lexsort(keys)
    sorted_keys = [k[order] for k in keys]
    first = np.ones(n, dtype=bool)
    first[1:] = np.any([k[1:] != k[:-1] for k in sorted_keys], axis=0)
    at = np.flatnonzero(first)
    columns: dict[str, npt.NDArray[np.int64]] = {
        "user_id": sorted_keys[4][at],
        "day": sorted_keys[3][at],
    }
    columns["month"] = months_of(columns["day"])
    for name, values in per_play.items():
        columns[name] = np.add.reduceat(values[order], at)
    return UserDays(
        columns=columns,
        platform=[ev.platforms[i] for i in sorted_keys[2][at].tolist()],
        country=[ev.countries[i] for i in sorted_keys[1][at].tolist()],
        kind=[KINDS[i] for i in sorted_keys[0][at].tolist()],
    )


def _bounds(starts: npt.NDArray[np.bool_]) -> tuple[list[int], list[int]]:
    at = np.flatnonzero(starts).tolist()
    return at, [*at[1:], int(starts.size)]


def _rows(days: UserDays, rollup_id: int) -> list[dict[str, object]]:
    ints = {name: values.tolist() for name, values in days.columns.items()}
    names = [c for c in DAY_COLUMNS if c in ints]
    return [
        {"rollup_id": rollup_id, "platform": p, "country": c, "kind": k,
         **{name: ints[name][i] for name in names}}
        for i, (p, c, k) in enumerate(zip(days.platform, days.country, days.kind, strict=True))
    ]  # fmt: skip


def _day_rows(days: UserDays) -> DayRows:
    strings = {"": [""] * len(days), "platform": days.platform, "country": days.country,
               "kind": days.kind}  # fmt: skip
    return DayRows(days.columns, strings)


def _before(conn: Connection, rollup_id: int, users: list[int]) -> Contribution:
    """What ``users`` contribute now, from their stored rows."""
    stmt = select(user_served_t.c.day, user_served_t.c.lists, user_served_t.c.clicked).where(
        user_served_t.c.rollup_id == rollup_id, user_served_t.c.user_id.in_(users)
    )
    m = np.array(conn.execute(stmt).all(), dtype=np.int64).reshape(-1, 3)
    served = served_contribution(m[:, 0], m[:, 1], m[:, 2])
    return merge(contribution(read_day_rows(conn, rollup_id, users)), served)


def _write_served(
    conn: Connection, rollup_id: int, tz: ZoneInfo, users: list[int] | None
) -> dict[tuple[str, str, int, str], I64]:
    """Store the served lists of ``users`` (None: all) by listener and day; returns their
    contribution to the daily period rows."""
    user, day, lists, clicked = served_by_user_day(conn, tz, users)
    rows = [
        {"rollup_id": rollup_id, "user_id": u, "day": d, "lists": n, "clicked": c}
        for u, d, n, c in zip(user.tolist(), day.tolist(), lists.tolist(), clicked.tolist(),
                              strict=True)
    ]  # fmt: skip
    for start in range(0, len(rows), INSERT_CHUNK):
        conn.execute(insert(user_served_t), rows[start : start + INSERT_CHUNK])
    return served_contribution(day, lists, clicked)


def _write(conn: Connection, rollup_id: int, days: UserDays) -> int:
    rows = _rows(days, rollup_id)
    for start in range(0, len(rows), INSERT_CHUNK):
        conn.execute(insert(days_t), rows[start : start + INSERT_CHUNK])
    return len(rows)


@dataclass(slots=True)
class _Written:
    """What a refresh wrote, for its log line: the artist rows apart (their share of the
    time is what the artist stats cost the rollup)."""

    day_rows: int = 0
    artist_rows: int = 0
    artist_s: float = 0.0


def _summarise_and_write(
    conn: Connection, rollup_id: int, users: list[int] | None, tz: ZoneInfo, written: _Written
) -> UserDays:
    """Write the listener days and the artist rows of ``users`` (None: everyone), whose
    listener days are already deleted; returns the listener days (their contribution to
    the periods is the caller's)."""
    ev = read_events(conn, users)
    day = local_days(ev.ts_us, tz)
    days = summarise(ev, day)
    written.day_rows += _write(conn, rollup_id, days)
    began = time.perf_counter()
    delete_artist_days(conn, rollup_id, users)
    artists = summarise_artists(ev.user, ev.artist, ev.item, ev.country, ev.countries, day, ev.ms)
    written.artist_rows += write_artist_days(conn, rollup_id, artists)
    written.artist_s += time.perf_counter() - began
    return days


def _lock_rollup(conn: Connection, zone: str) -> tuple[int, int, int]:
    """The rollup of ``zone`` (created if missing), locked for this transaction on
    PostgreSQL so two servers never refresh it at once: (id, event and served marks)."""
    insert_ignore(conn, rollups_t, [{"timezone": zone, "event_watermark": 0,
                                     "served_watermark": 0}])  # fmt: skip
    stmt = select(rollups_t.c.id, rollups_t.c.event_watermark, rollups_t.c.served_watermark)
    stmt = stmt.where(rollups_t.c.timezone == zone)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one()
    return int(row[0]), int(row[1]), int(row[2])


def _stale_users(conn: Connection, events_mark: int, served_mark: int) -> set[int]:
    users = set(
        conn.scalars(select(events_t.c.user_id).where(events_t.c.id > events_mark).distinct())
    )
    users |= set(
        conn.scalars(
            select(served_t.c.user_id)
            .where(served_t.c.id > served_mark, served_t.c.user_id.is_not(None))
            .distinct()
        )
    )
    return users


def refresh(
    conn: Connection, zone: str, *, full: bool = False, full_share: float = FULL_SHARE
) -> int:
    """Bring the rollup of ``zone`` up to date in one transaction (the caller's
    connection, outside a transaction); returns how many listeners were re-summarised.
    With more than ``full_share`` of all listeners stale, everyone is re-summarised."""
    tz = ZoneInfo(zone)
    began, written = time.perf_counter(), _Written()
    with conn.begin():
        rollup_id, events_mark, served_mark = _lock_rollup(conn, zone)
        top_event = int(conn.scalar(select(func.max(events_t.c.id))) or 0)
        top_served = int(conn.scalar(select(func.max(served_t.c.id))) or 0)
        if not full and (top_event, top_served) == (events_mark, served_mark):
            return 0
        stale = _stale_users(conn, events_mark, served_mark)
        all_users = full or events_mark == 0 or len(stale) > full_share * _user_count(conn)
        if all_users:
            conn.execute(delete(days_t).where(days_t.c.rollup_id == rollup_id))
            conn.execute(delete(user_served_t).where(user_served_t.c.rollup_id == rollup_id))
            days = _summarise_and_write(conn, rollup_id, None, tz, written)
            served = _write_served(conn, rollup_id, tz, None)
            apply(conn, rollup_id, merge(contribution(_day_rows(days)), served), replace=True)
            done = _user_count(conn)
        else:
            ordered = sorted(stale)
            for start in range(0, len(ordered), USER_CHUNK):
                chunk = ordered[start : start + USER_CHUNK]
                before = _before(conn, rollup_id, chunk)
                _delete_days(conn, rollup_id, chunk)
                days = _summarise_and_write(conn, rollup_id, chunk, tz, written)
                after = merge(
                    contribution(_day_rows(days)), _write_served(conn, rollup_id, tz, chunk)
                )
                apply(conn, rollup_id, difference(after, before), replace=False)
            done = len(ordered)
        conn.execute(
            update(rollups_t)
            .where(rollups_t.c.id == rollup_id)
            .values(event_watermark=top_event, served_watermark=top_served, refreshed_at=utcnow())
        )
    log.info(
        "metrics rollup %s %s: %d listeners, %d listener-day rows, %d artist rows, in %.1f s "
        "(artist rows %.1f s)", zone, "rebuilt" if all_users else "refreshed", done,
        written.day_rows, written.artist_rows, time.perf_counter() - began, written.artist_s,
    )  # fmt: skip
    return done


def forget(conn: Connection, user_ids: list[int]) -> None:
    """Take ``user_ids`` out of every zone's rollup, inside the caller's transaction: their
    rows go, and what they added to the periods and cohorts is subtracted, so an erased
    listener counts nowhere, now or after a rebuild (each rollup is locked on PostgreSQL,
    as a refresh locks it)."""
    stmt = select(rollups_t.c.id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    for rid in conn.scalars(stmt).all():
        apply(conn, rid, difference(({}, {}), _before(conn, rid, user_ids)), replace=False)
        _delete_days(conn, rid, user_ids)
        delete_artist_days(conn, rid, user_ids)


def _delete_days(conn: Connection, rollup_id: int, users: list[int]) -> None:
    """Delete the listener days and served-list days of ``users`` from one rollup."""
    for table in (days_t, user_served_t):
        conn.execute(
            delete(table).where(table.c.rollup_id == rollup_id, table.c.user_id.in_(users))
        )


def _user_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(User)) or 0)


def rollup_id(conn: Connection, zone: str) -> int | None:
    found = conn.scalar(select(rollups_t.c.id).where(rollups_t.c.timezone == zone))
    return None if found is None else int(found)
