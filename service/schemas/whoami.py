"""The caller as the access check sees them (``GET /v1/whoami``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Identity(BaseModel):
    """Who a credential names: an API key (``key_id`` and its ``scopes``), a listener's
    token (``user_id``; it opens that listener's own data), or everyone when the server
    runs with auth off (``open``, every scope)."""

    kind: Literal["key", "user", "open"]
    key_id: int | None = None
    user_id: str | None = None
    scopes: list[str] = Field(description="granted scopes; admin implies the others")
