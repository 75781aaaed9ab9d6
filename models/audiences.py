"""Audiences (named rule sets over listening) and the log of their webhook deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow

NAME_LENGTH = 64


class Audience(Base):
    """``rules`` is a JSON list of rule objects (see ``models/audience_rules.py``); a
    listener is a member when every rule holds. Members are computed, never stored."""

    __tablename__ = "audiences"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AudienceDelivery(Base):
    """One attempt to deliver an audience to a webhook: a delivery retried three times
    leaves three rows with the same ``delivery_id``."""

    __tablename__ = "audience_deliveries"
    __table_args__ = (Index("ix_audience_deliveries_audience_at", "audience_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    audience_id: Mapped[int] = mapped_column(ForeignKey("audiences.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(36))
    attempt: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2048))
    members: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # delivered | failed | gave_up
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def create_audience(session: Session, *, name: str, rules: list[dict[str, Any]]) -> Audience:
    audience = Audience(name=name, rules=rules)
    session.add(audience)
    session.flush()
    return audience


def get_audience(session: Session, *, name: str) -> Audience | None:
    found: Audience | None = session.scalars(select(Audience).where(Audience.name == name)).first()
    return found


def get_all_audiences(session: Session) -> list[Audience]:
    return list(session.scalars(select(Audience).order_by(Audience.id)))


def log_attempt(session: Session, **fields: Any) -> None:
    session.add(AudienceDelivery(**fields))
    session.flush()


def get_deliveries(session: Session, *, audience_id: int) -> list[AudienceDelivery]:
    stmt = (
        select(AudienceDelivery)
        .where(AudienceDelivery.audience_id == audience_id)
        .order_by(AudienceDelivery.id)
    )
    return list(session.scalars(stmt))
