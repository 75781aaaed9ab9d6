"""Import every mapped class so the metadata is complete (for Alembic and tests)."""

from models.api_keys import ApiKey
from models.audiences import Audience, AudienceDelivery
from models.catalog import Album, Artist, Item, ItemKind, Tag, artist_tags
from models.experiments import Experiment, ExperimentArm, ExperimentStatus
from models.jobs import ImportJob, JobStatus
from models.listening import EventSource, Feedback, FeedbackKind, ListeningEvent
from models.metrics.schema import (
    MetricsRollup,
    MetricsUserDay,
)
from models.model_versions import ModelVersion, VersionStatus
from models.served import ServedRecommendation
from models.shares import ShareLink
from models.users import User
from models.wrapped_populations import WrappedPopulationRow
from models.wrapped_reports import WrappedReportRow

__all__ = [
    "Album",
    "ApiKey",
    "Artist",
    "Audience",
    "AudienceDelivery",
    "EventSource",
    "Experiment",
    "ExperimentArm",
    "ExperimentStatus",
    "Feedback",
    "FeedbackKind",
    "ImportJob",
    "Item",
    "ItemKind",
    "JobStatus",
    "ListeningEvent",
    "MetricsRollup",
    "MetricsUserDay",
    "ModelVersion",
    "ServedRecommendation",
    "ShareLink",
    "Tag",
    "User",
    "VersionStatus",
    "WrappedPopulationRow",
    "WrappedReportRow",
    "artist_tags",
]
