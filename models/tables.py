"""Import every mapped class so the metadata is complete (for Alembic and tests)."""

from models.catalog import Album, Artist, Item, ItemKind, Tag, artist_tags
from models.jobs import ImportJob, JobStatus
from models.listening import EventSource, Feedback, FeedbackKind, ListeningEvent
from models.model_versions import ModelVersion, VersionStatus
from models.served import ServedRecommendation
from models.shares import ShareLink
from models.users import User
from models.wrapped_reports import WrappedReportRow

__all__ = [
    "Album", "Artist", "EventSource", "Feedback", "FeedbackKind", "ImportJob", "Item",
    "ItemKind", "JobStatus", "ListeningEvent", "ModelVersion", "ServedRecommendation",
    "ShareLink", "Tag", "User", "VersionStatus", "WrappedReportRow", "artist_tags",
]  # fmt: skip
