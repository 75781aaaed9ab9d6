"""A served list's ``rec_id`` is a UUIDv7: unique, its time prefix the serving time, so
ids served later sort later (and land together in the served lists' unique index)."""

from __future__ import annotations

import time
import uuid

from service.recs.respond import rec_id


def test_rec_ids_are_uuid7_in_time_order() -> None:
    before = time.time_ns() // 1_000_000
    ids = [rec_id() for _ in range(20_000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    for text in ids[:: len(ids) // 100]:
        parsed = uuid.UUID(text)
        assert len(text) == 32 and parsed.hex == text
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert before <= parsed.int >> 80 <= after  # milliseconds since the epoch
    # the random part differs within a millisecond; the time part orders across them
    stamps = [int(text[:12], 16) for text in ids]
    assert stamps == sorted(stamps)
    time.sleep(0.002)
    assert rec_id() > max(ids)
