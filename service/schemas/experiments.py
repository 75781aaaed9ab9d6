"""Request and response bodies of the experiments API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.experiments import MODEL_VERSION_ID_MAX
from recsys.experiments import ExperimentReport

Name = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class ArmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Name
    model_version_id: int | None = Field(
        None, ge=1, le=MODEL_VERSION_ID_MAX,
        description="a model version; null serves the popularity baseline",
    )  # fmt: skip
    weight: float = Field(1.0, gt=0, le=1000, description="relative share of the traffic")


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Name
    arms: list[ArmIn] = Field(min_length=2, max_length=10, description="the first is the control")
    traffic: float = Field(1.0, gt=0, le=1, description="share of listeners enrolled")

    @model_validator(mode="after")
    def _distinct_arms(self) -> ExperimentCreate:
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError("arm names must be distinct")
        return self


class ArmPublic(BaseModel):
    name: str
    model_version_id: int | None
    weight: float


class ExperimentPublic(BaseModel):
    id: int
    name: str
    status: str
    traffic: float
    started_at: datetime
    stopped_at: datetime | None
    arms: list[ArmPublic]


class ExperimentsPublic(BaseModel):
    data: list[ExperimentPublic]
    count: int


class ReportPublic(BaseModel):
    experiment: ExperimentPublic
    report: ExperimentReport


class AssignmentPublic(BaseModel):
    user_id: str
    experiment: str | None
    arm: str | None
    model_version_id: int | None
