"""Recommendations and similar items as the API shows them."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

Source = Literal["model", "popular"]


class RecommendedItem(BaseModel):
    id: int
    title: str
    artist: str
    score: float
    rank: int = Field(ge=1)


class Recommendations(BaseModel):
    """``source`` says whether the model ranked these (``model``) or, for a listener the
    model does not know or when no model is active, popularity did (``popular``)."""

    user_id: str
    data: list[RecommendedItem]
    count: int
    model_version: int | None
    rec_id: uuid.UUID
    source: Source


class SimilarItems(BaseModel):
    item_id: int
    data: list[RecommendedItem]
    count: int
    model_version: int
