"""Lists as JSON bytes, built directly with orjson (no response model on the hot path)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from service.recs.catalog import KINDS, Catalog


def items(
    catalog: Catalog,
    dense: npt.NDArray[np.int32],
    scores: list[float],
    reasons: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The items at dense indices ``dense`` as the API shows them, ranked from 1."""
    titles, names, kinds = catalog.titles, catalog.artist_names, catalog.kinds
    ids = catalog.item_ids[dense].tolist()
    artists = catalog.item_artist[dense].tolist()
    artist_ids = catalog.artist_ids.ids[catalog.item_artist[dense]].tolist()
    out = []
    for rank, (i, item, artist, artist_id, score) in enumerate(
        zip(dense.tolist(), ids, artists, artist_ids, scores, strict=True), start=1
    ):
        entry: dict[str, Any] = {
            "id": item, "title": titles[i], "artist": names[artist], "artist_id": artist_id,
            "kind": KINDS[kinds[i]], "score": score, "rank": rank,
        }  # fmt: skip
        if reasons is not None:
            entry["reason"] = reasons[rank - 1]
        out.append(entry)
    return out


def dumps(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
