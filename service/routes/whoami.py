"""``GET /v1/whoami``: the caller's identity and scopes, so a client can check its
credential before using it (and the cheapest route behind the access check)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from service.auth.access import OPEN, Principal
from service.deps import READ_ANY_USER
from service.schemas.whoami import Identity

router = APIRouter(prefix="/v1", tags=["auth"])


@router.get("/whoami", response_model=Identity)
async def whoami(principal: Annotated[Principal | None, Depends(READ_ANY_USER)]) -> Identity:
    """The API key or listener this request's credential names, with its scopes."""
    scopes = sorted(s.value for s in principal.scopes) if principal else []
    if principal is None or principal is OPEN:
        return Identity(kind="open", scopes=scopes)
    if principal.user is not None:
        return Identity(kind="user", user_id=principal.user, scopes=scopes)
    return Identity(kind="key", key_id=principal.key_id, scopes=scopes)
