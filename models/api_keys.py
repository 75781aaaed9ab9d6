"""API keys: who may call the API, and for what (``admin``, ``ingest``, ``read``).

A key is 32 random bytes shown once at creation; the store keeps only its SHA-256 and
a short prefix to tell keys apart in a listing. A slow password hash (bcrypt, argon2)
buys nothing here: it protects guessable secrets, and a 256-bit random key cannot be
guessed, while every request has to hash the key it presents. Revoking stamps
``revoked_at`` and keeps the row, so a listing shows what existed and when it stopped.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime, utcnow

KEY_PREFIX = "enc_"
PREFIX_SHOWN = len(KEY_PREFIX) + 8
"""Characters of a key kept in clear: ``enc_`` and 8 of its random part (48 bits)."""


class Scope(enum.StrEnum):
    """What a key may do; ``admin`` implies the others."""

    admin = "admin"
    ingest = "ingest"
    read = "read"


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(64), doc="comma-separated scope names")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What a live key may do: the key's id (for rate limits and logs) and its scopes."""

    key_id: int
    scopes: frozenset[Scope]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _scopes(text: str) -> frozenset[Scope]:
    return frozenset(Scope(s) for s in text.split(",") if s)


def create_key(
    session: Session, *, scopes: Collection[Scope], name: str | None = None
) -> tuple[ApiKey, str]:
    """A new key with ``scopes``: the stored row and the key itself, which is never
    stored and cannot be shown again. Commits."""
    if not scopes:
        raise ValueError("a key needs at least one scope")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name, prefix=key[:PREFIX_SHOWN], key_hash=hash_key(key),
        scopes=",".join(sorted(Scope(s).value for s in scopes)), created_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row, key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, *, key_id: int) -> bool:
    """Revoke key ``key_id``; False when there is no live key with that id. Commits."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()
    return result.rowcount == 1


def grant_for(
    session: Session, *, key_hash: str | None = None, key_id: int | None = None
) -> KeyGrant | None:
    """The grant of the live key with ``key_hash`` (or ``key_id``); None if there is none."""
    stmt = select(ApiKey.id, ApiKey.scopes).where(ApiKey.revoked_at.is_(None))
    if key_hash is not None:
        stmt = stmt.where(ApiKey.key_hash == key_hash)
    elif key_id is not None:
        stmt = stmt.where(ApiKey.id == key_id)
    else:
        raise ValueError("give key_hash or key_id")
    row = session.execute(stmt).one_or_none()
    return None if row is None else KeyGrant(row[0], _scopes(row[1]))


def scopes_of(row: ApiKey) -> frozenset[Scope]:
    return _scopes(row.scopes)
