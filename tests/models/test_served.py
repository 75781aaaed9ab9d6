"""Served recommendation lists are stored as handed over and go with their listener."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import orjson
import pytest
from sqlalchemy import String, cast, delete, func, select
from sqlalchemy.exc import IntegrityError

from models.served import ServedList, ServedRecommendation, record_served, served_between
from models.users import User
from service.store import Store

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _user(store: Store, name: str) -> int:
    with store.sessions.begin() as session:
        user = User(external_id=name)
        session.add(user)
        session.flush()
        return user.id


def test_record_and_read_back_in_order(store: Store) -> None:
    alice = _user(store, "alice")
    lists = [
        ServedList(f"r{i}", alice, T0 + timedelta(minutes=i), 3, "model", [5, 1, 9])
        for i in (2, 0, 1)
    ]
    lists.append(ServedList("anon", None, T0, None, "seeds", [], experiment_id=1, arm="b"))
    with store.sessions.begin() as session:
        assert record_served(session, lists) == 4
    with store.sessions() as session:
        rows = served_between(session, T0, T0 + timedelta(minutes=2))
        assert [r.rec_id for r in rows] == ["r0", "anon", "r1"]  # ties by insertion
        assert rows[0].item_ids == [5, 1, 9]
        assert rows[0].served_at == T0
        assert (rows[1].user_id, rows[1].arm, rows[1].experiment_id) == (None, "b", 1)


def test_rec_ids_are_unique(store: Store) -> None:
    alice = _user(store, "alice")
    same = ServedList("dup", alice, T0, None, "popular", [1])
    with store.sessions.begin() as session:
        record_served(session, [same])
    with pytest.raises(IntegrityError), store.sessions.begin() as s:
        record_served(s, [same])


def test_lists_go_with_their_listener(store: Store) -> None:
    alice, bob = _user(store, "alice"), _user(store, "bob")
    with store.sessions.begin() as session:
        record_served(
            session,
            [
                ServedList("a", alice, T0, 1, "model", [1]),
                ServedList("b", bob, T0, 1, "model", [2]),
            ],
        )
    with store.sessions.begin() as session:
        session.execute(delete(User).where(User.id == alice))
    with store.sessions() as session:
        left = session.scalars(select(ServedRecommendation.rec_id)).all()
        assert left == ["b"]
        assert session.scalar(select(func.count()).select_from(ServedRecommendation)) == 1


def test_written_as_the_orm_writes(store: Store) -> None:
    """``record_served`` hands the driver plain tuples; what it stores must be what the ORM
    stores for the same list (the time's text on SQLite, the item ids' JSON), so queries
    comparing times and reading ids see no difference. A list given in another zone and
    with numpy ids is stored the same."""
    alice = _user(store, "alice")
    local = T0.astimezone(timezone(timedelta(hours=-5)))
    with store.sessions.begin() as session:
        session.add(ServedRecommendation(
            rec_id="orm", user_id=alice, served_at=T0, model_version_id=2, source="model",
            item_ids=[7, 3],
        ))  # fmt: skip
        ids = list(np.array([7, 3]))
        record_served(session, [ServedList("raw", alice, local, 2, "model", ids)])
    with store.sessions() as session:
        table = ServedRecommendation.__table__
        raw = session.execute(
            select(table.c.rec_id, cast(table.c.served_at, String), cast(table.c.item_ids, String))
            .order_by(table.c.rec_id)
        ).all()  # fmt: skip
        (_, orm_time, orm_ids), (_, raw_time, raw_ids) = raw
        assert raw_time == orm_time
        assert orjson.loads(raw_ids) == orjson.loads(orm_ids) == [7, 3]
        at_t0 = session.scalars(
            select(ServedRecommendation.rec_id).where(ServedRecommendation.served_at == T0)
        ).all()  # fmt: skip
        assert sorted(at_t0) == ["orm", "raw"]


def test_naive_times_are_refused(store: Store) -> None:
    naive = ServedList("naive", None, T0.replace(tzinfo=None), None, "seeds", [1])
    with pytest.raises(ValueError, match="naive"), store.sessions.begin() as session:
        record_served(session, [naive])


def test_many_lists_in_one_call(store: Store) -> None:
    """A batch as the server writes it (one statement) stores every list in the order
    given, each with its own fields; a duplicate among them stores none."""
    alice, bob = _user(store, "alice"), _user(store, "bob")
    lists = [
        ServedList(f"r{i:03d}", (alice, bob, None)[i % 3], T0 + timedelta(seconds=i % 7),
                   i % 4 or None, "model", list(range(i, i + i % 5)), i % 2 or None,
                   f"arm{i}" if i % 2 else None)
        for i in range(137)
    ]  # fmt: skip
    with store.sessions.begin() as session:
        assert record_served(session, lists) == len(lists)
    with store.sessions() as session:
        stored = session.scalars(select(ServedRecommendation).order_by(ServedRecommendation.id))
        got = [(r.rec_id, r.user_id, r.served_at, r.model_version_id, r.source, r.item_ids,
                r.experiment_id, r.arm) for r in stored]  # fmt: skip
    assert got == [
        (s.rec_id, s.user_id, s.served_at, s.model_version_id, s.source, s.item_ids,
         s.experiment_id, s.arm)
        for s in lists
    ]  # fmt: skip
    late = [ServedList(f"n{i}", alice, T0, None, "model", [i]) for i in range(70)]
    with pytest.raises(IntegrityError), store.sessions.begin() as session:
        record_served(session, [*late, lists[0]])
    with store.sessions() as session:
        count = session.scalar(select(func.count()).select_from(ServedRecommendation))
    assert count == len(lists)
