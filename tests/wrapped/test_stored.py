"""Stored reports: ``encore wrapped build`` and the API serving what it stored while fresh.

Every number checked here is recomputed from the raw events in the test, never taken from
another report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from models.listening import ListeningEvent
from models.users import User
from models.wrapped_reports import WrappedReportRow
from service.settings import Settings, WrappedSettings
from service.store import Store
from tests.wrapped.conftest import LENIENT, Add, play, set_user
from wrapped.report import build_report
from wrapped.stored import BuildSummary, build_stored
from wrapped.window import Window

ENCORE = str(Path(sys.executable).parent / "encore")
USERS = ("ana", "ben", "cy", "dee", "eve")


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The server's rules are the lenient ones the builds here use."""
    lenient = WrappedSettings(min_streams=LENIENT.min_streams, min_artists=LENIENT.min_artists)
    assert lenient.rules() == LENIENT
    return Settings(database_url=db_url, wrapped=lenient, _env_file=None)


def a_year(add: Add, user: str, n: int) -> None:
    """``n`` streams of 2024 over five artists, each ``k + 1`` minutes long."""
    add(
        *(play(f"2024-03-{1 + k % 28:02d}T{k % 24:02d}:10:00Z", user=user,
               artist=f"Artist {k % 5}", title=f"Song {k % 7}", ms=60_000 * (k + 1))
          for k in range(n))
    )  # fmt: skip


def raw_minutes(store: Store, user: str, end: datetime) -> int:
    """The user's minutes of 2024 (UTC) straight from the events table."""
    with store.sessions() as session:
        total = session.scalar(
            select(func.sum(ListeningEvent.ms_played))
            .join(User, User.id == ListeningEvent.user_id)
            .where(
                User.external_id == user,
                ListeningEvent.ts >= datetime(2024, 1, 1, tzinfo=UTC),
                ListeningEvent.ts < end,
            )
        )
    return int(total or 0) // 60_000


def stored_rows(store: Store) -> dict[str, datetime]:
    with store.sessions() as session:
        rows = session.execute(
            select(User.external_id, WrappedReportRow.built_at).join(
                User, User.id == WrappedReportRow.user_id
            )
        )
        return {name: at for name, at in rows}


def build(store: Store, **kw: Any) -> BuildSummary:
    with store.sessions() as session:
        return build_stored(
            session, window_for=lambda _own: Window.for_year(2024, "UTC"), rules=LENIENT, **kw
        )


def test_build_stores_every_report_and_skips_fresh_ones(store: Store, add: Add) -> None:
    for n, user in enumerate(USERS):
        a_year(add, user, 3 + n)
    set_user(store, "eve", opt_out_wrapped=True)
    first = build(store)
    assert stored_rows(store).keys() == {"ana", "ben", "cy", "dee"}
    assert first.built == 4 and first.fresh == 0
    with store.sessions() as session:
        doc = session.scalars(select(WrappedReportRow.document)).first()
    assert doc is not None and not doc.startswith(b"{")  # compressed
    again = build(store)
    assert again.built == 0 and again.fresh == 4

    add(play("2024-06-01T10:00:00Z", user="ben", ms=90_000))
    before = stored_rows(store)
    third = build(store)
    assert third.built == 1 and third.fresh == 3
    after = stored_rows(store)
    assert after["ben"] > before["ben"] and after["ana"] == before["ana"]


def test_a_killed_build_continues_where_it_stopped(store: Store, add: Add) -> None:
    for n, user in enumerate(USERS):
        a_year(add, user, 3 + n)

    class Killed(Exception):
        pass

    def kill(_n: int) -> None:
        raise Killed

    with pytest.raises(Killed):
        build(store, batch=2, on_done=kill)
    # the first batch of two was committed before the kill
    kept = stored_rows(store)
    assert len(kept) == 2
    resumed = build(store)
    assert resumed.built == 3 and resumed.fresh == 2
    done = stored_rows(store)
    assert done.keys() == set(USERS) and all(done[u] == kept[u] for u in kept)


def documents(store: Store) -> dict[str, bytes]:
    with store.sessions() as session:
        rows = session.execute(
            select(User.external_id, WrappedReportRow.document).join(
                User, User.id == WrappedReportRow.user_id
            )
        )
        return {name: zlib.decompress(doc) for name, doc in rows}


def test_worker_processes_store_what_one_process_stores(store: Store, add: Add) -> None:
    listeners = [*USERS, *(f"more-{n}" for n in range(7))]
    for n, user in enumerate(listeners):
        a_year(add, user, 3 + n)
    add(play("2023-05-01T10:00:00Z", user="old"))  # nothing in 2024
    set_user(store, "eve", opt_out_wrapped=True)
    set_user(store, "ben", opt_out_comparisons=True)
    alone = build(store)
    expected = documents(store)
    assert len(expected) == len(listeners) - 1
    with store.engine.begin() as conn:
        conn.execute(delete(WrappedReportRow))

    handled: list[int] = []
    forked = build(store, workers=2, batch=3, on_done=handled.append)
    assert forked == alone
    assert forked.refused == {"NothingToWrap": 1, "WrappedOptedOut": 1}
    assert sum(handled) == len(listeners) + 1
    assert documents(store) == expected
    assert build(store, workers=2).fresh == len(expected)


def test_only_the_users_asked_for(store: Store, add: Add) -> None:
    for user in USERS:
        a_year(add, user, 4)
    summary = build(store, only=["ana", "cy", "nobody"])
    assert summary.built == 2 and stored_rows(store).keys() == {"ana", "cy"}


def test_api_serves_stored_while_fresh(client: httpx.Client, store: Store, add: Add) -> None:
    a_year(add, "ana", 6)
    a_year(add, "ben", 4)
    url = "/v1/users/ana/wrapped/2024"
    live = client.get(url, params={"tz": "UTC"})
    assert live.status_code == 200 and live.headers["x-wrapped-computed"] == "live"
    build(store)

    stored = client.get(url, params={"tz": "UTC"})
    assert stored.status_code == 200 and stored.headers["x-wrapped-computed"] == "stored"
    assert datetime.fromisoformat(stored.headers["x-wrapped-built-at"]).tzinfo is not None
    assert stored.json() == live.json()
    end = datetime(2025, 1, 1, tzinfo=UTC)
    assert stored.json()["totals"]["minutes"] == raw_minutes(store, "ana", end) == 21
    # another timezone is another report: computed, not the stored UTC one
    other = client.get(url, params={"tz": "Asia/Tokyo"})
    assert other.headers["x-wrapped-computed"] == "live"

    # a play after the year's end changes nothing the report depends on
    add(play("2025-02-01T10:00:00Z", user="ana", ms=600_000))
    assert client.get(url, params={"tz": "UTC"}).headers["x-wrapped-computed"] == "stored"
    # a play inside it does: the report is computed again, with the new play
    add(play("2024-12-31T23:59:00Z", user="ana", ms=600_000))
    changed = client.get(url, params={"tz": "UTC"})
    assert changed.headers["x-wrapped-computed"] == "live"
    assert changed.json()["totals"]["minutes"] == raw_minutes(store, "ana", end) == 31
    # ... and so does a play of an earlier year (it may undo a discovery)
    build(store)
    rebuilt = client.get(url, params={"tz": "UTC"})
    assert rebuilt.headers["x-wrapped-computed"] == "stored"
    assert rebuilt.json()["discoveries"]["new_artists"] == 6
    add(play("2023-05-01T10:00:00Z", user="ana", artist="Artist 1", title="Song 1"))
    earlier = client.get(url, params={"tz": "UTC"})
    assert earlier.headers["x-wrapped-computed"] == "live"
    # six artists in 2024 (five of the year's plays, Artist A of the 31st); one now old
    assert earlier.json()["discoveries"]["new_artists"] == 5

    # pages and cards read the same stored report
    build(store)
    story = client.get(f"{url}/story", params={"tz": "UTC"})
    assert story.status_code == 200 and "31" in story.text


def test_opting_out_refuses_a_stored_report(client: httpx.Client, store: Store, add: Add) -> None:
    a_year(add, "ana", 6)
    build(store)
    set_user(store, "ana", opt_out_wrapped=True)
    r = client.get("/v1/users/ana/wrapped/2024", params={"tz": "UTC"})
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "wrapped_opted_out"
    set_user(store, "ana", opt_out_wrapped=False, opt_out_comparisons=True)
    # opting out of comparisons changes what the report may show: computed again
    r = client.get("/v1/users/ana/wrapped/2024", params={"tz": "UTC"})
    assert r.headers["x-wrapped-computed"] == "live"


def test_deleting_a_listener_deletes_their_reports(store: Store, add: Add) -> None:
    a_year(add, "ana", 6)
    build(store)
    with store.engine.begin() as conn:
        conn.execute(delete(User).where(User.external_id == "ana"))
    assert stored_rows(store) == {}


def test_stored_report_equals_a_fresh_computation(store: Store, add: Add) -> None:
    for n, user in enumerate(USERS):
        a_year(add, user, 3 + 2 * n)
    build(store)
    with store.sessions() as session:
        rows = session.execute(
            select(User.external_id, WrappedReportRow.document).join(
                User, User.id == WrappedReportRow.user_id
            )
        )
        docs = {name: doc for name, doc in rows}
        for user in USERS:
            live = build_report(
                session, user_id=user, window_for=lambda _own: Window.for_year(2024, "UTC"),
                rules=LENIENT,
            )  # fmt: skip
            assert zlib.decompress(docs[user]).decode() == live.model_dump_json()


@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_encore_wrapped_build_command(db_url: str, store: Store, add: Add, tmp_path: Path) -> None:
    for user in USERS:
        a_year(add, user, 40)
    env = {**os.environ, "ENCORE_DATABASE_URL": db_url, "ENCORE_WRAPPED__MIN_STREAMS": "30"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ENCORE, "wrapped", "build", *args], capture_output=True, text=True, env=env,
            cwd=tmp_path, timeout=120,
        )  # fmt: skip

    first = run("--year", "2024", "--users", "ana", "--users", "ben")
    assert first.returncode == 0, first.stderr
    assert "built 2 reports, 0 already fresh" in first.stdout
    second = run("--year", "2024", "--tz-from-user")
    assert "built 3 reports, 2 already fresh" in second.stdout
    assert run("--year", "2024", "--tz", "Mars/Olympus").stderr.startswith(
        "error: unknown timezone"
    )
    both = run("--year", "2024", "--tz", "UTC", "--tz-from-user")
    assert (
        both.returncode == 1
        and both.stderr.strip() == "error: give --tz or --tz-from-user, not both"
    )
