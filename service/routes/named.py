"""What the routes of named resources (audiences, experiments) share: the name in the
path, a 404 for an unknown name and a 409 for a name that is taken."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Path
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import ApiError, NotFound
from service.schemas.errors import refusal

T = TypeVar("T")

NamePath = Annotated[str, Path(min_length=1, max_length=64)]


def unknown(kind: str) -> dict[int | str, dict[str, Any]]:
    """The documented 404 of a route that looks a ``kind`` up by name."""
    return {404: refusal(f"no {kind} with that name")}


def taken(kind: str) -> dict[int | str, dict[str, Any]]:
    """The documented 409 of a route that creates a ``kind``."""
    return {409: refusal(f"an {kind} with that name exists")}


def found(resource: T | None, kind: str, name: str) -> T:
    """``resource``, or a 404 naming the path parameter."""
    if resource is None:
        raise NotFound(["path", "name"], f"no {kind} named {name!r}")
    return resource


@contextmanager
def creating(session: Session, kind: str, name: str) -> Iterator[None]:
    """Commit what the block creates; a name already taken is a 409 naming the field."""
    try:
        yield
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(
            409, ["body", "name"], f"an {kind} named {name!r} exists", "conflict"
        ) from None
