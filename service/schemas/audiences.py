"""Audience definitions: a discriminated union of rule types (see models/audience_rules.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.schemas.fields import ROW_ID_MAX

Days = Annotated[int, Field(strict=True, ge=1, le=3660)]
"""A look-back in days: strict, so ``true`` or ``"30"`` is refused rather than read as a
number the client did not write (the schema says integer)."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopGenre(_Rule):
    type: Literal["top_genre"]
    genre: str = Field(min_length=1, max_length=128)
    days: Days = 90


class ArtistMinutes(_Rule):
    type: Literal["artist_minutes"]
    artist_id: int = Field(strict=True, ge=1, le=ROW_ID_MAX)
    min_minutes: float = Field(strict=True, ge=0)
    days: Days = 30


class Active(_Rule):
    type: Literal["active"]
    from_days_ago: Days
    to_days_ago: Annotated[int, Field(strict=True, ge=0, le=3660)] = 0

    @model_validator(mode="after")
    def _ordered(self) -> Active:
        if self.to_days_ago >= self.from_days_ago:
            raise ValueError("from_days_ago must be more than to_days_ago")
        return self


class Inactive(_Rule):
    type: Literal["inactive"]
    days: Days


Rule = Annotated[TopGenre | ArtistMinutes | Active | Inactive, Field(discriminator="type")]


class AudienceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    rules: list[Rule] = Field(min_length=1, max_length=20, description="all must hold")


class AudiencePublic(BaseModel):
    id: int
    name: str
    rules: list[Rule]
    created_at: datetime
    size: int | None = Field(None, description="members now (on single reads)")


class AudiencesPublic(BaseModel):
    data: list[AudiencePublic]
    count: int


class DeliveryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2048, pattern=r"^https?://")


class AttemptPublic(BaseModel):
    delivery_id: str
    attempt: int
    url: str
    members: int
    status: str
    status_code: int | None
    error: str | None
    at: datetime


class DeliveriesPublic(BaseModel):
    data: list[AttemptPublic]
    count: int
