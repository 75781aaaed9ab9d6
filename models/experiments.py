"""Recommendation experiments and their arms: which model version (or the popularity
baseline) each share of listeners is served. Assignment is a pure hash of the listener's
id (``recsys.experiments.assign``), so nothing per listener is stored here; the arm a list
was served from is recorded on ``served_recommendations``."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, BigId, UTCDateTime, utcnow

NAME_LENGTH = 64
MODEL_VERSION_ID_MAX = 2**31 - 1
"""The largest model version id an arm can name: ``experiment_arms.model_version_id`` is a
32-bit ``INTEGER`` on PostgreSQL (and SQLite refuses anything past 64 bits outright)."""


class ExperimentStatus(enum.StrEnum):
    running = "running"
    stopped = "stopped"


class Experiment(Base):
    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    status: Mapped[ExperimentStatus] = mapped_column(
        Enum(
            ExperimentStatus, native_enum=False, create_constraint=True, length=16,
            name="experiment_status",
        ),
        default=ExperimentStatus.running,
    )  # fmt: skip
    traffic: Mapped[float] = mapped_column(Float, default=1.0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    arms: Mapped[list[ExperimentArm]] = relationship(
        lazy="selectin", order_by="ExperimentArm.position", cascade="all, delete-orphan"
    )


class ExperimentArm(Base):
    """One arm: a model version, or the popularity baseline when ``model_version_id`` is
    None. ``weight`` is its relative share of the experiment's traffic."""

    __tablename__ = "experiment_arms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    model_version_id: Mapped[int | None] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float, default=1.0)


@dataclass(frozen=True, slots=True)
class ArmSpec:
    name: str
    model_version_id: int | None
    weight: float = 1.0


def create_experiment(
    session: Session, *, name: str, arms: Sequence[ArmSpec], traffic: float = 1.0
) -> Experiment:
    """Start an experiment (the caller commits)."""
    experiment = Experiment(name=name, traffic=traffic, status=ExperimentStatus.running)
    experiment.arms = [
        ExperimentArm(position=n, name=a.name, model_version_id=a.model_version_id, weight=a.weight)
        for n, a in enumerate(arms)
    ]
    session.add(experiment)
    session.flush()
    return experiment


def get_experiment(session: Session, *, name: str) -> Experiment | None:
    found: Experiment | None = session.scalars(
        select(Experiment).where(Experiment.name == name)
    ).first()
    return found


def get_all_experiments(session: Session, *, running_only: bool = False) -> list[Experiment]:
    stmt = select(Experiment).order_by(Experiment.id)
    if running_only:
        stmt = stmt.where(Experiment.status == ExperimentStatus.running)
    return list(session.scalars(stmt))


def stop_experiment(session: Session, *, experiment: Experiment) -> None:
    experiment.status = ExperimentStatus.stopped
    experiment.stopped_at = utcnow()
    session.flush()
