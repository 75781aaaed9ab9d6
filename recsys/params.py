"""Typed parameters of every model family, and the stable hash that identifies a model.

A model is identified by its family and parameters (:func:`params_hash`): the same
parameters hash the same in every process and on every machine, so an artifact, a report
row and a served model can be matched without comparing floats by hand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from recsys.errors import InvalidParams, UnknownModel
from recsys.weighting import WeightingParams

Similarity = Literal["bm25", "cosine", "tfidf"]
SIMILARITIES: tuple[Similarity, ...] = ("bm25", "cosine", "tfidf")


def _floats(params: object) -> None:
    """Store float fields as floats, so ``20`` and ``20.0`` hash alike."""
    for f in dataclasses.fields(params):  # type: ignore[arg-type]
        if f.type == "float":
            object.__setattr__(params, f.name, float(getattr(params, f.name)))


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise InvalidParams(f"{name} must be positive, not {value}")


@dataclass(frozen=True)
class PopularityParams:
    """Most popular first: by distinct users (``by="users"``) or by summed confidence;
    equal user counts break on summed confidence."""

    family: ClassVar[str] = "popularity"
    by: Literal["users", "weight"] = "users"

    def __post_init__(self) -> None:
        if self.by not in ("users", "weight"):
            raise InvalidParams(f"popularity by {self.by!r}: use 'users' or 'weight'")


@dataclass(frozen=True)
class AlsParams:
    """implicit's AlternatingLeastSquares; ``weighting`` re-weights its input (BM25 by default)."""

    family: ClassVar[str] = "als"
    factors: int = 64
    iterations: int = 15
    regularization: float = 0.01
    alpha: float = 1.0
    weighting: WeightingParams = field(default_factory=lambda: WeightingParams("bm25"))
    seed: int = 0

    def __post_init__(self) -> None:
        _floats(self)
        _positive(factors=self.factors, iterations=self.iterations, alpha=self.alpha)
        _positive(regularization=self.regularization)


@dataclass(frozen=True)
class BprParams:
    """implicit's BayesianPersonalizedRanking (it reads only which entries are stored)."""

    family: ClassVar[str] = "bpr"
    factors: int = 100
    learning_rate: float = 0.01
    regularization: float = 0.01
    iterations: int = 100
    weighting: WeightingParams = field(default_factory=WeightingParams)
    seed: int = 0

    def __post_init__(self) -> None:
        _floats(self)
        _positive(factors=self.factors, iterations=self.iterations)
        _positive(learning_rate=self.learning_rate)


@dataclass(frozen=True)
class LmfParams:
    """implicit's LogisticMatrixFactorization."""

    family: ClassVar[str] = "lmf"
    factors: int = 30
    learning_rate: float = 1.0
    regularization: float = 0.6
    iterations: int = 30
    neg_prop: int = 30
    weighting: WeightingParams = field(default_factory=WeightingParams)
    seed: int = 0

    def __post_init__(self) -> None:
        _floats(self)
        _positive(factors=self.factors, iterations=self.iterations, neg_prop=self.neg_prop)
        _positive(learning_rate=self.learning_rate)


@dataclass(frozen=True)
class ItemKnnParams:
    """Item-item nearest neighbours over implicit's BM25, cosine or TF-IDF similarity.

    ``neighbours`` is implicit's ``K``; ``k1`` and ``b`` shape the BM25 similarity (over
    item rows), while ``weighting`` re-weights the user x item input and the user
    histories that the similarities are summed over.
    """

    family: ClassVar[str] = "item-knn"
    similarity: Similarity = "bm25"
    neighbours: int = 20
    k1: float = 1.2
    b: float = 0.75
    weighting: WeightingParams = field(default_factory=WeightingParams)

    def __post_init__(self) -> None:
        _floats(self)
        if self.similarity not in SIMILARITIES:
            raise InvalidParams(f"similarity {self.similarity!r}: use one of {SIMILARITIES}")
        _positive(neighbours=self.neighbours)


ModelParams = PopularityParams | AlsParams | BprParams | LmfParams | ItemKnnParams
FAMILIES: dict[str, type[ModelParams]] = {
    cls.family: cls for cls in (PopularityParams, AlsParams, BprParams, LmfParams, ItemKnnParams)
}


def params_dict(params: ModelParams) -> dict[str, Any]:
    """``{"family": ..., **fields}`` with nested parameters as plain dicts (JSON-ready)."""
    return {"family": params.family, **dataclasses.asdict(params)}


def params_from_dict(data: dict[str, Any]) -> ModelParams:
    """Inverse of :func:`params_dict`."""
    values = dict(data)
    family = values.pop("family", None)
    cls = FAMILIES.get(str(family))
    if cls is None:
        raise UnknownModel(f"unknown model family {family!r}; known: {sorted(FAMILIES)}")
    try:
        if isinstance(values.get("weighting"), dict):
            values["weighting"] = WeightingParams(**values["weighting"])
        return cls(**values)
    except TypeError as exc:
        raise InvalidParams(f"{family}: {exc}") from None


def params_hash(params: ModelParams) -> str:
    """A stable 16-hex-digit identity of the family and every parameter."""
    text = json.dumps(params_dict(params), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


WEIGHTING_FIELDS = {"weighting": "kind", "bm25_k1": "k1", "bm25_b": "b"}


def override(params: ModelParams, **values: Any) -> ModelParams:
    """``params`` with the given fields replaced; a value of None keeps the field.

    ``weighting``, ``bm25_k1`` and ``bm25_b`` replace the input weighting's kind, k1 and
    b (setting k1 or b alone switches the weighting to BM25).

    Raises
    ------
    InvalidParams
        A field this family does not have, or a value its checks refuse.
    """
    given = {name: value for name, value in values.items() if value is not None}
    if not given:
        return params
    own = {f.name for f in dataclasses.fields(params)}
    changes: dict[str, Any] = {}
    weighting: dict[str, Any] = {}
    for name, value in given.items():
        if name in WEIGHTING_FIELDS and "weighting" in own:
            weighting[WEIGHTING_FIELDS[name]] = value
        elif name in own and name != "weighting":
            changes[name] = value
        else:
            raise InvalidParams(
                f"{name} does not apply to {params.family}; it has "
                + ", ".join(sorted(own - {"weighting"} | (set(WEIGHTING_FIELDS) & _has(own))))
            )
    if weighting:
        current = WeightingParams() if isinstance(params, PopularityParams) else params.weighting
        if "kind" not in weighting:
            weighting["kind"] = "bm25"
        changes["weighting"] = dataclasses.replace(current, **weighting)
    replaced: ModelParams = dataclasses.replace(params, **changes)
    return replaced


def _has(own: set[str]) -> set[str]:
    return set(WEIGHTING_FIELDS) if "weighting" in own else set()
