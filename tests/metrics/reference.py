"""Every product metric computed again with pandas, straight from the event rows, as the
independent answer the rollup-based numbers are checked against.

Nothing here imports the code under test: events are read with plain SQL, local days come
from pandas' own time-zone conversion, sessions from a per-user ``cummax``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Engine

GAP = pd.Timedelta(minutes=30)
NEW_ARTIST = pd.Timedelta(days=30)


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.astype(str), utc=True, format="ISO8601")


def load(engine: Engine) -> dict[str, pd.DataFrame]:
    """Non-private plays with their item's kind and artist, feedback and served lists."""
    with engine.connect() as conn:
        events = pd.read_sql(
            text(
                "SELECT e.user_id, e.ts, e.ms_played, e.skipped, e.platform, e.country, e.rec_id,"
                " e.item_id, i.kind, i.artist_id FROM listening_events e"
                " JOIN items i ON i.id = e.item_id WHERE NOT e.private"
            ),
            conn,
        )
        feedback = pd.read_sql(text("SELECT user_id, kind, ts FROM feedback"), conn)
        served = pd.read_sql(
            text("SELECT rec_id, user_id, served_at, item_ids FROM served_recommendations"), conn
        )
    events["ts"] = _utc(events["ts"])
    feedback["ts"] = _utc(feedback["ts"])
    served["served_at"] = _utc(served["served_at"])
    served["item_ids"] = served["item_ids"].map(
        lambda v: [int(x) for x in (v if isinstance(v, list) else json.loads(v))]
    )
    events["platform"] = events["platform"].fillna("")
    events["country"] = events["country"].fillna("")
    events = events.sort_values(["user_id", "ts"], kind="stable").reset_index(drop=True)
    return {"events": events, "feedback": feedback, "served": served}


def local_date(ts: pd.Series, zone: str) -> pd.Series:
    return ts.dt.tz_convert(zone).dt.tz_localize(None).dt.normalize().dt.date


def bucket(d: pd.Series | date, granularity: str) -> Any:
    def one(x: date) -> date:
        if granularity == "week":
            return x - timedelta(days=x.weekday())
        if granularity == "month":
            return x.replace(day=1)
        return x

    return d.map(one) if isinstance(d, pd.Series) else one(d)


def prepare(data: dict[str, pd.DataFrame], zone: str) -> pd.DataFrame:
    """Events with local date, session starts and lengths, new-artist and rec flags."""
    ev = data["events"].copy()
    ev["date"] = local_date(ev["ts"], zone)
    end = ev["ts"] + pd.to_timedelta(ev["ms_played"], unit="ms")
    ev["end"] = end
    furthest = end.groupby(ev["user_id"]).cummax()
    prev = furthest.groupby(ev["user_id"]).shift()
    ev["session_start"] = prev.isna() | ((ev["ts"] - prev) > GAP)
    ev["session"] = ev["session_start"].cumsum()
    length = ev.groupby("session")["end"].max() - ev.groupby("session")["ts"].min()
    ev["session_ms"] = 0.0
    starts = ev["session_start"]
    ev.loc[starts, "session_ms"] = (  # whole milliseconds, rounded down
        ev.loc[starts, "session"].map(length) // pd.Timedelta(milliseconds=1)
    )
    heard = ev[ev["ms_played"] > 0].groupby(["user_id", "artist_id"])["ts"].min()
    first = ev.join(heard.rename("first"), on=["user_id", "artist_id"])["first"]
    ev["new_artist"] = (ev["ms_played"] > 0) & ((ev["ts"] - first) <= NEW_ARTIST)
    served = data["served"]
    owners = dict(zip(served["rec_id"], served["user_id"], strict=True))
    ev["from_rec"] = [
        rec in owners and (pd.isna(owners[rec]) or owners[rec] == user)
        for rec, user in zip(ev["rec_id"], ev["user_id"], strict=True)
    ]
    return ev


def periods(first: date, end: date, granularity: str) -> list[tuple[date, date, date]]:
    """(bucket key, start, end) of each period of the range, clipped to it."""
    out: dict[date, list[date]] = {}
    d = first
    while d < end:
        out.setdefault(bucket(d, granularity), []).append(d)
        d += timedelta(days=1)
    return [(k, v[0], v[-1] + timedelta(days=1)) for k, v in out.items()]


def in_range(ev: pd.DataFrame, first: date, end: date) -> pd.DataFrame:
    return ev[(ev["date"] >= first) & (ev["date"] < end)]


def split(frame: pd.DataFrame, keys: pd.Series | str) -> Callable[[Any], pd.DataFrame]:
    """``frame``'s rows of one key (a bucket, an artist; none when it has no rows), grouped
    once rather than masked once per key."""
    parts = dict(tuple(frame.groupby(keys))) if len(frame) else {}
    return lambda key: parts.get(key, frame.iloc[:0])


def north_star(ev: pd.DataFrame, first: date, end: date, g: str) -> list[tuple[Any, ...]]:
    sel = in_range(ev, first, end)
    part_of = split(sel, bucket(sel["date"], g))
    out = []
    for k, start, stop in periods(first, end, g):
        part = part_of(k)
        out.append((start, stop, part["ms_played"].sum() / 60_000, part["user_id"].nunique()))
    return out


def active_users(ev: pd.DataFrame, first: date, end: date, g: str) -> list[tuple[Any, ...]]:
    firsts = ev.groupby("user_id")["date"].min()
    sel = in_range(ev, first, end)
    part_of = split(sel, bucket(sel["date"], g))
    on_day = {d: set(users) for d, users in ev.groupby("date")["user_id"].unique().items()}
    out = []
    for k, start, stop in periods(first, end, g):
        days = [start + timedelta(days=i) for i in range((stop - start).days)]
        dau = [len(on_day.get(d, ())) for d in days]
        last = days[-1]

        def trailing(n: int, last: date = last) -> int:
            window = (on_day.get(last - timedelta(days=i), set()) for i in range(n))
            return len(set().union(*window))

        users = part_of(k)["user_id"].unique()
        new = sum(1 for u in users if start <= firsts[u] < stop)
        mau = trailing(30)
        out.append(
            (start, stop, len(users), sum(dau) / len(dau), trailing(7), mau,
             dau[-1] / mau if mau else None, new, len(users) - new)
        )  # fmt: skip
    return out


def retention(ev: pd.DataFrame, first: date, end: date) -> list[tuple[Any, ...]]:
    """Over whole Monday-start weeks: the range is widened to the weeks it touches."""
    first = bucket(first, "week")
    end = bucket(end - timedelta(days=1), "week") + timedelta(days=7)
    firsts = ev.groupby("user_id")["date"].min()
    cohort = firsts[(firsts >= first) & (firsts < end)].map(lambda d: bucket(d, "week"))
    sel = in_range(ev, first, end)
    sel = sel[sel["user_id"].isin(cohort.index)]
    weeks = bucket(sel["date"], "week")
    in_week = {wk: set(users) for wk, users in sel.groupby(weeks)["user_id"].unique().items()}
    last_week = bucket(end - timedelta(days=1), "week")
    out = []
    for cw in sorted(cohort.unique()):
        members = set(cohort[cohort == cw].index)
        n = ((last_week - cw).days // 7) + 1
        active = [len(members & in_week.get(cw + timedelta(days=7 * i), set())) for i in range(n)]
        out.append((cw, len(members), active))
    return out


def engagement(
    ev: pd.DataFrame, fb: pd.DataFrame, zone: str, first: date, end: date, g: str
) -> list[tuple[Any, ...]]:
    sel = in_range(ev, first, end)
    part_of = split(sel, bucket(sel["date"], g))
    fdate = local_date(fb["ts"], zone) if len(fb) else pd.Series([], dtype=object)
    fkeys = bucket(fdate, g) if len(fb) else fdate
    out = []
    for k, start, stop in periods(first, end, g):
        p = part_of(k)
        streams = int((p["ms_played"] >= 30_000).sum())
        known = p["skipped"].notna()
        skips = int((p.loc[known, "skipped"].astype(bool)).sum())
        sessions = int(p["session_start"].sum())
        users = p["user_id"].nunique()
        f = (
            fb[(fkeys == k).values & (fdate >= start).values & (fdate < stop).values]
            if len(fb)
            else fb
        )
        likes = int((f["kind"] == "like").sum()) if len(f) else 0
        saves = int((f["kind"] == "save").sum()) if len(f) else 0
        out.append(
            (start, stop, len(p), streams, skips / known.sum() if known.sum() else None, sessions,
             sessions / users if users else None,
             p["session_ms"].sum() / sessions / 60_000 if sessions else None,
             100 * likes / streams if streams else None, 100 * saves / streams if streams else None)
        )  # fmt: skip
    return out


def discovery(
    ev: pd.DataFrame, served: pd.DataFrame, zone: str, first: date, end: date, g: str
) -> list[tuple[Any, ...]]:
    sel = in_range(ev, first, end)
    part_of = split(sel, bucket(sel["date"], g))
    s = served[served["user_id"].notna()].copy()
    s["date"] = local_date(s["served_at"], zone) if len(s) else []
    s = s[(s["date"] >= first) & (s["date"] < end)] if len(s) else s
    s["clicked"] = clicked(ev, s)
    lists_of = split(s, bucket(s["date"], g) if len(s) else pd.Series([], dtype=object))
    out = []
    for k, start, stop in periods(first, end, g):
        p = part_of(k)
        ms = p["ms_played"].sum()
        lists = lists_of(k)
        new_ms, rec_ms = (
            p.loc[p["new_artist"], "ms_played"].sum(),
            p.loc[p["from_rec"], "ms_played"].sum(),
        )
        out.append(
            (start, stop, ms / 60_000, new_ms / ms if ms else None,
             rec_ms / ms if ms else None, int(p["from_rec"].sum()),
             len(lists), int(lists["clicked"].sum()) if len(lists) else 0)
        )  # fmt: skip
    return out


def clicked(ev: pd.DataFrame, lists: pd.DataFrame) -> list[bool]:
    """For each served list: did its listener stream (30 s or more) one of its items within
    a day of it being served?"""
    pairs = (
        lists[["user_id", "served_at", "item_ids"]]
        .assign(list_no=range(len(lists)))
        .explode("item_ids")
        .dropna(subset=["item_ids"])
        .astype({"user_id": "int64", "item_ids": "int64"})
    )
    streams = ev.loc[ev["ms_played"] >= 30_000, ["user_id", "item_id", "ts"]]
    hits = pairs.merge(streams, left_on=["user_id", "item_ids"], right_on=["user_id", "item_id"])
    soon = (hits["ts"] >= hits["served_at"]) & (
        hits["ts"] < hits["served_at"] + pd.Timedelta(days=1)
    )
    answered = set(hits.loc[soon, "list_no"])
    return [n in answered for n in range(len(lists))]


def artist_stats(ev: pd.DataFrame, artist: int, first: date, end: date) -> dict[str, Any]:
    """An artist's listeners, plays, streams, minutes, top ten tracks (item, streams,
    minutes, listeners) and countries (code or None, listeners, minutes) in the range."""
    mine = in_range(ev, first, end)
    mine = mine[mine["artist_id"] == artist].assign(stream=lambda d: d["ms_played"] >= 30_000)
    tracks = (
        mine.groupby("item_id")
        .agg(streams=("stream", "sum"), ms=("ms_played", "sum"), listeners=("user_id", "nunique"))
        .reset_index()
        .sort_values(["streams", "ms", "item_id"], ascending=[False, False, True])
    )
    countries = (
        mine.groupby("country")
        .agg(listeners=("user_id", "nunique"), ms=("ms_played", "sum"))
        .reset_index()
        .sort_values(["listeners", "ms", "country"], ascending=[False, False, True])
    )
    return {
        "listeners": mine["user_id"].nunique(),
        "plays": len(mine),
        "streams": int(mine["stream"].sum()),
        "minutes": mine["ms_played"].sum() / 60_000,
        "top_tracks": [
            (int(r.item_id), int(r.streams), r.ms / 60_000, int(r.listeners))
            for r in tracks.head(10).itertuples()
        ],
        "countries": [
            (r.country or None, int(r.listeners), r.ms / 60_000) for r in countries.itertuples()
        ],
    }
