"""Import jobs: uploads that are imported in the background, with progress and counts.

A job that is working writes its progress at least every few seconds (``updated_at``).
One that has not moved for longer than the caller's patience was cut short (the server
restarted or was killed mid-import): :func:`get_job` ends it as failed, so nobody waits
on it forever. Nothing is lost by that: each file is stored whole or not at all, and an
upload sent again stores nothing twice."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ImportJob(Base):
    """One upload of one user's export. Counts are totals over its files."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_external_id: Mapped[str] = mapped_column(String(128), index=True)
    format: Mapped[str] = mapped_column(String(16))
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, create_constraint=True, length=16, name="job_status"),
        default=JobStatus.queued,
    )
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def create_job(session: Session, *, user: str, format: str, bytes_total: int) -> ImportJob:
    job = ImportJob(
        id=str(uuid.uuid4()), user_external_id=user, format=format, bytes_total=bytes_total,
        status=JobStatus.queued, bytes_done=0, imported=0, duplicates=0, skipped={}, files=[],
    )  # fmt: skip
    session.add(job)
    session.commit()
    return job


INTERRUPTED = (
    "the import stopped without finishing (the server restarted while it ran); files "
    "reported imported are stored whole, the others not at all: upload the export again, "
    "nothing is stored twice"
)


def get_job(session: Session, job_id: str, *, stale_after: timedelta) -> ImportJob | None:
    """The job; one still queued or running that has made no progress for ``stale_after``
    is ended as failed first."""
    job = session.scalars(select(ImportJob).where(ImportJob.id == job_id)).one_or_none()
    if job is None or job.status not in (JobStatus.queued, JobStatus.running):
        return job
    now = utcnow()
    if now - (job.updated_at or job.created_at) <= stale_after:
        return job
    session.execute(  # unless it moved meanwhile: then it is alive after all
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.updated_at == job.updated_at)
        .values(status=JobStatus.failed, error=INTERRUPTED, finished_at=now, updated_at=now)
    )
    session.commit()
    session.refresh(job)
    return job


def update_job(session: Session, job_id: str, **values: Any) -> None:
    session.execute(
        update(ImportJob).where(ImportJob.id == job_id).values(updated_at=utcnow(), **values)
    )
    session.commit()
