"""A listener's own controls as the API shows them: tokens, privacy flags, export."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ttl_seconds: int | None = Field(
        None, ge=60, le=366 * 86400, description="lifetime; ENCORE_AUTH__TOKEN_TTL_SECONDS"
    )


class UserToken(BaseModel):
    """A signed token for one listener: send it as ``Authorization: Bearer <token>``, or
    open ``signin_url`` in a browser to sign in to their pages."""

    user_id: str
    token: str
    expires_at: datetime
    signin_url: str


class PrivacyUpdate(BaseModel):
    """True allows, false opts out (JSON booleans only); a flag left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    personalization: StrictBool | None = Field(
        None, description="false: popular (non-personal) recommendations; left out of training"
    )
    wrapped: StrictBool | None = Field(
        None, description="false: no Wrapped, share links stop opening"
    )
    comparisons: StrictBool | None = Field(
        None, description="false: no percentiles, in or about them"
    )


class PrivacyPublic(BaseModel):
    user_id: str
    personalization: bool
    wrapped: bool
    comparisons: bool
