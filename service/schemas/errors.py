"""The error body every refusal carries: FastAPI's own shape, documented once.

Routes list it in ``responses`` for the statuses they raise themselves (404, 409, the
envelope 422 of a batch), so the OpenAPI document covers every answer a client can get.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    ctx: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """``type`` names the reason and ``loc`` the part of the request to change."""

    detail: list[ErrorItem]


def refusal(description: str) -> dict[str, Any]:
    """A ``responses`` entry for a status answered with :class:`ErrorBody`."""
    return {"model": ErrorBody, "description": description}


MODEL_NOT_READY = refusal("no model version is active yet (model_not_ready)")
"""The 503 of every answer that needs the active model and has nothing else to offer."""
