"""Lists as JSON bytes, built directly from per-item fragments (no response model, no
per-item dict on the hot path): each item's fixed fields and its "because you played"
reason are encoded once per model version (:class:`~service.recs.catalog.Catalog`), so
a list costs a join of bytes plus its scores and ranks."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from service.recs.catalog import Catalog

POPULAR = orjson.dumps("popular with listeners lately")


def rec_id() -> str:
    """A new list's id: 128 random bits as hex, like a UUID4 without the object."""
    return os.urandom(16).hex()


RANKS = [b',"rank":%d' % r for r in range(1, 1001)]


def items(
    catalog: Catalog,
    dense: npt.NDArray[np.int32],
    scores: list[float],
    reasons: list[bytes] | None = None,
) -> bytes:
    """The JSON array of the items at dense indices ``dense``, ranked from 1; ``reasons``
    holds each item's reason as a JSON string."""
    if not scores:
        return b"[]"
    head = catalog.item_json
    # orjson writes every score at once; its list splits into the scores' own encodings
    encoded = orjson.dumps(scores)[1:-1].split(b",")
    if reasons is None:
        parts = [
            b"".join((head[i], b',"score":', s, RANKS[r], b"}"))
            for r, (i, s) in enumerate(zip(dense.tolist(), encoded, strict=True))
        ]
    else:
        parts = [
            b"".join((head[i], b',"score":', s, RANKS[r], b',"reason":', why, b"}"))
            for r, (i, s, why) in enumerate(zip(dense.tolist(), encoded, reasons, strict=True))
        ]
    return b"[" + b",".join(parts) + b"]"


def body(meta: dict[str, Any], data: bytes) -> bytes:
    """``meta``'s fields then ``data``, as one JSON object."""
    return orjson.dumps(meta)[:-1] + b',"data":' + data + b"}"
