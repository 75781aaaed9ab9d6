"""Served recommendation lists are stored as handed over and go with their listener."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
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
