"""Share links as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ShareLinkPublic(BaseModel):
    """A live share link: ``url`` opens the story read-only, ``url`` + ``/card.png`` its
    card. Anyone with the link can see that Wrapped until it is revoked."""

    token: str = Field(examples=["pqOSDG6fYDgHo0Zl1qKk1gW8n4uK8Z7C"])
    url: str = Field(examples=["http://127.0.0.1:8000/share/pqOSDG6fYDgHo0Zl1qKk1gW8n4uK8Z7C"])
    year: int
    created_at: datetime
