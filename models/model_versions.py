"""Trained model versions: where each artifact lives, what it was trained on, how it scored.

A retrain records a ``candidate``; promoting makes it the one ``active`` version (the one
servers load) and retires the version it replaces. Rolling back retires the active
version for good (its ``promoted_at`` is cleared) and re-activates the version promoted
most recently before it. Pruning (:func:`prunable`, :func:`mark_pruned`) records that a
version's artifact was deleted: the row stays, with ``pruned_at`` set, and such a version
can be neither promoted nor rolled back to.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Float, Index, Integer, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow


class VersionStatus(enum.StrEnum):
    candidate = "candidate"
    active = "active"
    retired = "retired"


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    family: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    params_hash: Mapped[str] = mapped_column(String(64))
    data_since: Mapped[float | None] = mapped_column(Float)
    data_until: Mapped[float | None] = mapped_column(Float)
    data_events: Mapped[int] = mapped_column(BigInteger)
    data_users: Mapped[int] = mapped_column(Integer)
    data_items: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checksum: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1024))
    status: Mapped[VersionStatus] = mapped_column(
        Enum(
            VersionStatus,
            native_enum=False,
            create_constraint=True,
            length=16,
            name="model_version_status",
        ),
        default=VersionStatus.candidate,
        index=True,
    )
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pruned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "ix_model_versions_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


def create(session: Session, **fields: Any) -> ModelVersion:
    """Record a new candidate version. Commits."""
    version = ModelVersion(status=VersionStatus.candidate, created_at=utcnow(), **fields)
    session.add(version)
    session.commit()
    return version


def get(session: Session, *, version_id: int) -> ModelVersion | None:
    return session.get(ModelVersion, version_id)


def get_all(session: Session) -> list[ModelVersion]:
    """Every version, newest first."""
    return list(session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc())))


def get_active(session: Session) -> ModelVersion | None:
    return session.scalars(
        select(ModelVersion).where(ModelVersion.status == VersionStatus.active)
    ).one_or_none()


def promote(session: Session, *, version_id: int) -> ModelVersion:
    """Make ``version_id`` the active version, retiring the one it replaces. Commits.

    Raises
    ------
    LookupError
        No version has this id.
    """
    version = session.get(ModelVersion, version_id, with_for_update=True)
    if version is None:
        raise LookupError(f"no model version {version_id}")
    if version.pruned_at is not None:
        raise LookupError(f"model version {version_id} was pruned: its artifact is gone")
    current = get_active(session)
    if current is not None and current.id != version.id:
        current.status = VersionStatus.retired
        session.flush()  # at most one active row at any moment
    version.status = VersionStatus.active
    version.promoted_at = utcnow()
    session.commit()
    return version


def _rollback_target(session: Session, current: ModelVersion) -> ModelVersion | None:
    return session.scalars(
        select(ModelVersion)
        .where(
            ModelVersion.status == VersionStatus.retired,
            ModelVersion.promoted_at.is_not(None),
            ModelVersion.pruned_at.is_(None),
            ModelVersion.id != current.id,
        )
        .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
        .limit(1)
    ).one_or_none()


def rollback(session: Session) -> ModelVersion:
    """Retire the active version and re-activate the one promoted before it. Commits.

    Raises
    ------
    LookupError
        Nothing is active, or no earlier promoted version is left to go back to.
    """
    current = get_active(session)
    if current is None:
        raise LookupError("no model version is active")
    previous = _rollback_target(session, current)
    if previous is None:
        raise LookupError("no earlier promoted version to roll back to")
    current.status = VersionStatus.retired
    current.promoted_at = None
    session.flush()
    previous.status = VersionStatus.active
    session.commit()
    return previous


def prunable(session: Session, *, keep: int) -> list[ModelVersion]:
    """Versions whose artifacts may go: all but the ``keep`` newest, never the active one
    nor the one :func:`rollback` would return to, nor one pruned already; oldest first."""
    versions = get_all(session)
    spared = {v.id for v in versions[:keep]}
    active = next((v for v in versions if v.status == VersionStatus.active), None)
    if active is not None:
        spared.add(active.id)
        target = _rollback_target(session, active)
        if target is not None:
            spared.add(target.id)
    return [v for v in reversed(versions) if v.id not in spared and v.pruned_at is None]


def mark_pruned(session: Session, *, version_ids: list[int]) -> None:
    """Record that these versions' artifacts are deleted. Commits."""
    now = utcnow()
    for version_id in version_ids:
        version = session.get(ModelVersion, version_id)
        if version is not None:
            version.pruned_at = now
    session.commit()
