"""``/v1/experiments``: start, list, stop and read recommendation experiments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from models.experiments import (
    ArmSpec,
    Experiment,
    ExperimentStatus,
    create_experiment,
    get_all_experiments,
    get_experiment,
    stop_experiment,
)
from service.deps import SessionDep
from service.experiments import ResolverDep, experiment_report
from service.routes.named import NamePath, creating, found, taken, unknown
from service.schemas.experiments import (
    ArmPublic,
    AssignmentPublic,
    ExperimentCreate,
    ExperimentPublic,
    ExperimentsPublic,
    ReportPublic,
)

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])
UNKNOWN = unknown("experiment")


def public(e: Experiment) -> ExperimentPublic:
    return ExperimentPublic(
        id=e.id, name=e.name, status=e.status.value, traffic=e.traffic, started_at=e.started_at,
        stopped_at=e.stopped_at,
        arms=[ArmPublic(name=a.name, model_version_id=a.model_version_id, weight=a.weight)
              for a in e.arms],
    )  # fmt: skip


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperimentPublic,
    responses=taken("experiment"),
)
def create(session: SessionDep, resolver: ResolverDep, body: ExperimentCreate) -> ExperimentPublic:
    """Start an experiment: listeners are split over the arms by a stable hash of their id;
    the first arm is the control the others are compared with."""
    with creating(session, "experiment", body.name):
        experiment = create_experiment(
            session, name=body.name, traffic=body.traffic,
            arms=[ArmSpec(a.name, a.model_version_id, a.weight) for a in body.arms],
        )  # fmt: skip
    resolver.invalidate()
    return public(experiment)


@router.get("", response_model=ExperimentsPublic)
def read_all(session: SessionDep) -> ExperimentsPublic:
    """Every experiment, oldest first."""
    found = [public(e) for e in get_all_experiments(session)]
    return ExperimentsPublic(data=found, count=len(found))


@router.get("/{name}", response_model=ExperimentPublic, responses=UNKNOWN)
def read_one(session: SessionDep, name: NamePath) -> ExperimentPublic:
    return public(found(get_experiment(session, name=name), "experiment", name))


@router.post("/{name}/stop", response_model=ExperimentPublic, responses=UNKNOWN)
def stop(session: SessionDep, resolver: ResolverDep, name: NamePath) -> ExperimentPublic:
    """Stop serving from the experiment's arms; its report keeps the listening until now."""
    experiment = found(get_experiment(session, name=name), "experiment", name)
    if experiment.status is ExperimentStatus.running:
        stop_experiment(session, experiment=experiment)
        session.commit()
    resolver.invalidate()
    return public(experiment)


@router.get("/{name}/report", response_model=ReportPublic, responses=UNKNOWN)
def read_report(
    session: SessionDep,
    name: NamePath,
    alpha: Annotated[float, Query(gt=0, lt=0.5)] = 0.05,
    min_users: Annotated[int, Query(ge=2)] = 100,
) -> ReportPublic:
    """Listening time per listener, recommendation-attributed share, click-through and
    skip rate per arm with confidence intervals, and the verdict."""
    experiment = found(get_experiment(session, name=name), "experiment", name)
    result = experiment_report(session, experiment, alpha=alpha, min_users=min_users)
    return ReportPublic(experiment=public(experiment), report=result)


@router.get("/-/assignment", response_model=AssignmentPublic)
def read_assignment(
    resolver: ResolverDep, user_id: Annotated[str, Query(min_length=1, max_length=128)]
) -> AssignmentPublic:
    """The experiment and arm a listener is served from now (nulls: served as usual)."""
    found = resolver.resolve(user_id)
    return AssignmentPublic(
        user_id=user_id, experiment=found.experiment if found else None,
        arm=found.arm if found else None,
        model_version_id=found.model_version_id if found else None,
    )  # fmt: skip
