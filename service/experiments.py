"""The service side of experiments: which arm a listener is served from (for the
recommendation route), and the report of an experiment.

:class:`ExperimentResolver` keeps the running experiments for ``ttl`` seconds so a
recommendation request costs no query. A listener is in at most one experiment: the
oldest running one that enrols them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from models.experiments import Experiment, get_all_experiments
from models.metrics.exposure import read_exposure
from recsys.experiments import Arm, ExperimentReport, ExperimentSpec, assign, report


@dataclass(frozen=True, slots=True)
class Assignment:
    """Serve this listener from ``model_version_id`` (None: the popularity baseline) and
    record ``experiment_id`` and ``arm`` on the served list."""

    experiment_id: int
    experiment: str
    arm: str
    model_version_id: int | None


def spec(experiment: Experiment) -> ExperimentSpec:
    arms = [Arm(a.name, a.weight, a.model_version_id) for a in experiment.arms]
    return ExperimentSpec(experiment.name, arms, experiment.traffic)


class ExperimentResolver:
    def __init__(self, sessions: sessionmaker[Session], ttl: float = 10.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._lock = threading.Lock()
        self._loaded_at = -float("inf")
        self._running: list[tuple[int, ExperimentSpec]] = []

    def _current(self) -> list[tuple[int, ExperimentSpec]]:
        if time.monotonic() - self._loaded_at < self._ttl:  # the common case: no lock
            return self._running
        with self._lock:
            if time.monotonic() - self._loaded_at >= self._ttl:
                with self._sessions() as session:
                    running = get_all_experiments(session, running_only=True)
                    self._running = [(e.id, spec(e)) for e in running]
                self._loaded_at = time.monotonic()
            return self._running

    def resolve(self, user_external_id: str) -> Assignment | None:
        """The arm to serve ``user_external_id`` from, or None: serve as usual."""
        for experiment_id, experiment in self._current():
            arm = assign(user_external_id, experiment)
            if arm is not None:
                return Assignment(experiment_id, experiment.name, arm.name, arm.model_version_id)
        return None

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = -float("inf")


def experiment_report(
    session: Session, experiment: Experiment, *, alpha: float = 0.05, min_users: int = 100
) -> ExperimentReport:
    until = experiment.stopped_at or datetime.now(UTC)
    exposure = read_exposure(session.connection(), experiment.id, until)
    arms = [a.name for a in experiment.arms]
    return report(exposure, arms, alpha=alpha, min_users=min_users)


def experiment_resolver(request: Request) -> ExperimentResolver:
    """The app's resolver (made on first use), as a dependency."""
    resolver: ExperimentResolver | None = getattr(request.app.state, "experiments", None)
    if resolver is None:
        resolver = ExperimentResolver(request.app.state.store.sessions)
        request.app.state.experiments = resolver
    return resolver


ResolverDep = Annotated[ExperimentResolver, Depends(experiment_resolver)]
