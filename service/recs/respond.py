"""Lists as JSON bytes, built directly from per-item fragments (no response model, no
per-item dict on the hot path): each item's fixed fields and its "because you played"
reason are encoded once per model version (:class:`~service.recs.catalog.Catalog`), so
a list costs a join of bytes plus its scores and ranks."""

from __future__ import annotations

import os
import time
from typing import Any

import orjson
from starlette.responses import Response

from service.recs.catalog import Catalog

POPULAR = orjson.dumps("popular with listeners lately")
UUID_FIELDS = 0xF << 76 | 0x3 << 62  # the version and variant bits of a UUID
UUID_V7 = 0x7 << 76 | 0x2 << 62


class JsonBytes(Response):
    """A response of JSON already encoded, its two headers built without Starlette's
    general header handling."""

    media_type = "application/json"

    def __init__(self, content: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = content
        self.raw_headers = [
            (b"content-length", str(len(content)).encode()),
            (b"content-type", b"application/json"),
        ]


def rec_id() -> str:
    """A new list's id: a UUIDv7 as 32 hex digits (the time in milliseconds, then 74
    random bits). Ids in time order land next to each other in the store's unique index
    of served lists, so writing a batch of them touches a few index pages rather than
    one page per list (measured on SQLite: about a third of the served log's cost)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    return f"{value & ~UUID_FIELDS | UUID_V7:032x}"


RANKS = [b',"rank":%d' % r for r in range(1, 1001)]
RANKS_REASON = [rank + b',"reason":' for rank in RANKS]


def body(
    meta: dict[str, Any],
    catalog: Catalog,
    dense: list[int],
    scores: list[float],
    reasons: list[bytes] | None = None,
) -> bytes:
    """One JSON object: ``meta``'s fields, then ``data``, the items at dense indices
    ``dense`` with their ``scores``, ranked from 1; ``reasons`` holds each item's reason
    as a JSON string. One join of pre-encoded pieces."""
    parts = [orjson.dumps(meta)[:-1], b',"data":[']
    if scores:
        head = catalog.item_json_score
        # orjson writes every score at once; its list splits into the scores' own encodings
        encoded = orjson.dumps(scores)[1:-1].split(b",")
        if reasons is None:
            for r, (i, s) in enumerate(zip(dense, encoded, strict=True)):
                parts += (head[i], s, RANKS[r], b"},")
        else:
            for r, (i, s, why) in enumerate(zip(dense, encoded, reasons, strict=True)):
                parts += (head[i], s, RANKS_REASON[r], why, b"},")
        parts[-1] = b"}"
    parts.append(b"]}")
    return b"".join(parts)
