"""The key cache on both databases: a key's grant is trusted for the TTL, so a revocation
takes effect within it, and not before the store is asked again."""

from __future__ import annotations

import asyncio

from models.api_keys import Scope, create_key, revoke_key
from service.auth.keys import KeyCache
from service.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_revoked_key_stops_working_within_the_ttl(store: Store) -> None:
    clock = Clock()
    cache = KeyCache(store.sessions, ttl=5.0, clock=clock)
    with store.sessions() as session:
        row, key = create_key(session, scopes=[Scope.read, Scope.ingest], name="t")
    grant = asyncio.run(cache.by_key(key))
    assert grant is not None and grant.key_id == row.id
    assert grant.scopes == {Scope.read, Scope.ingest}
    assert asyncio.run(cache.by_id(row.id)) == grant
    with store.sessions() as session:
        assert revoke_key(session, key_id=row.id)
    clock.now = 4.9
    assert asyncio.run(cache.by_key(key)) == grant  # still trusted inside the TTL
    clock.now = 5.0
    assert asyncio.run(cache.by_key(key)) is None
    assert asyncio.run(cache.by_id(row.id)) is None
    assert asyncio.run(cache.by_key("enc_unknown")) is None


def test_ttl_zero_asks_the_store_every_time(store: Store) -> None:
    cache = KeyCache(store.sessions, ttl=0, clock=Clock())
    with store.sessions() as session:
        row, key = create_key(session, scopes=[Scope.admin])
        assert asyncio.run(cache.by_key(key)) is not None
        revoke_key(session, key_id=row.id)
    assert asyncio.run(cache.by_key(key)) is None
