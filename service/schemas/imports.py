"""Import jobs as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from data.importers.formats import ImportFormat
from models.jobs import ImportJob, JobStatus


class ImportFileReport(BaseModel):
    name: str
    imported: int
    duplicates: int
    skipped: int
    error: str | None


class ImportJobPublic(BaseModel):
    id: str
    user_id: str
    format: ImportFormat
    status: JobStatus
    bytes_total: int
    bytes_done: int
    progress: float
    imported: int
    duplicates: int
    skipped: dict[str, int]
    files: list[ImportFileReport]
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> ImportJobPublic:
        finished = job.status in (JobStatus.done, JobStatus.failed)
        progress = 1.0 if finished else min(job.bytes_done / max(job.bytes_total, 1), 0.99)
        return cls(
            id=job.id, user_id=job.user_external_id, format=ImportFormat(job.format),
            status=job.status, bytes_total=job.bytes_total, bytes_done=job.bytes_done,
            progress=round(progress, 4), imported=job.imported, duplicates=job.duplicates,
            skipped=job.skipped, files=[ImportFileReport(**f) for f in job.files],
            error=job.error, created_at=job.created_at, finished_at=job.finished_at,
        )  # fmt: skip
