"""A short-lived, in-process cache of API key hash -> grant, so a request costs one
SHA-256 and a dict look-up instead of a database query.

Each entry is trusted for ``ttl`` seconds: a key revoked with ``encore keys revoke``
stops working within that time in every worker (5 s by default,
``ENCORE_AUTH__KEY_CACHE_SECONDS``; 0 asks the store on every request). Unknown keys
are remembered too, so a client retrying a bad key does not reach the database each
time; the cache is emptied when it grows past ``MAX_ENTRIES`` rather than let a stream
of random keys grow it without bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from models.api_keys import KeyGrant, grant_for, hash_key

MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, KeyGrant | None]] = {}

    async def by_key(self, key: str) -> KeyGrant | None:
        """The grant of the live key ``key``; None for an unknown or revoked one."""
        return await self._get(f"h:{hash_key(key)}")

    async def by_id(self, key_id: int) -> KeyGrant | None:
        """The grant of live key ``key_id`` (a signed-in session names its key by id)."""
        return await self._get(f"i:{key_id}")

    async def _get(self, entry: str) -> KeyGrant | None:
        now = self._clock()
        hit = self._entries.get(entry)
        if hit is not None and hit[0] > now:
            return hit[1]
        grant = await run_in_threadpool(self._load, entry)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[entry] = (now + self._ttl, grant)
        return grant

    def _load(self, entry: str) -> KeyGrant | None:
        kind, value = entry.split(":", 1)
        with self._sessions() as session:
            if kind == "h":
                return grant_for(session, key_hash=value)
            return grant_for(session, key_id=int(value))
