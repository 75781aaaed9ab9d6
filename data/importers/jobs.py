"""Running an upload as a background job, with progress and final counts in ``import_jobs``."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from data.importers.base import FileReport, ImportFormatError
from data.importers.formats import FORMATS, ImportFormat
from data.importers.run import import_file
from data.importers.sources import expand
from models.base import utcnow
from models.engine import session_factory
from models.jobs import JobStatus, update_job
from models.resolve import CatalogResolver

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5


def run_job(
    engine: Engine,
    resolver: CatalogResolver,
    *,
    job_id: str,
    fmt: ImportFormat,
    user: str,
    folder: Path,
) -> None:
    """Import every file in ``folder`` for ``user``, then delete the folder.

    A file that fails is left out whole and named in the job's error; the others
    are imported. The job ends ``done`` when every file went in, ``failed`` otherwise.
    """
    sessions = session_factory(engine)
    done = 0.0  # upload bytes read: a zip member's bytes count at its compression ratio
    share = 1.0
    last = 0.0
    reports: list[FileReport] = []
    try:
        with sessions() as session:
            update_job(session, job_id, status=JobStatus.running)

            def on_read(n: int) -> None:
                nonlocal done, last
                done += n * share
                now = time.monotonic()
                if now - last >= PROGRESS_EVERY_S:
                    last = now
                    update_job(session, job_id, bytes_done=int(done))

            fmt_spec = FORMATS[fmt]
            try:
                sources = expand(sorted(folder.iterdir()), fmt_spec.accepts)
            except ImportFormatError as exc:
                sources = []
                reports.append(FileReport(folder.name, error=str(exc)))
            for source in sources:
                share = source.packed_share
                reports.append(
                    import_file(
                        engine, resolver, source, fmt_spec.parse, user=user, on_read=on_read
                    )
                )
            if not sources and not reports:
                reports.append(
                    FileReport("upload", error=f"no {fmt.value} export files in the upload")
                )
            _finish(session, job_id, [_relative(r, folder) for r in reports], int(done))
    except Exception:
        log.exception("import job %s crashed", job_id)
        with sessions() as session:
            update_job(
                session, job_id, status=JobStatus.failed, finished_at=utcnow(),
                error="internal error while importing; nothing of the failing file was stored",
            )  # fmt: skip
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _relative(report: FileReport, folder: Path) -> FileReport:
    """The report with the server's upload folder taken out of its name and error: a
    listener sees the names of the files they sent, never where the server keeps them."""
    prefix = f"{folder}{os.sep}"
    report.name = report.name.replace(prefix, "")
    if report.error:
        report.error = report.error.replace(prefix, "")
    return report


def _finish(session: Session, job_id: str, reports: list[FileReport], done: int) -> None:
    skipped: Counter[str] = Counter()
    for r in reports:
        skipped.update(r.skipped)
    errors = [r.error for r in reports if r.error]
    update_job(
        session,
        job_id,
        status=JobStatus.failed if errors else JobStatus.done,
        bytes_done=done,
        imported=sum(r.imported for r in reports),
        duplicates=sum(r.duplicates for r in reports),
        skipped=dict(skipped),
        files=[
            {
                "name": Path(r.name).name,
                "imported": r.imported,
                "duplicates": r.duplicates,
                "skipped": sum(r.skipped.values()),
                "error": r.error,
            }
            for r in reports
        ],
        error="; ".join(e for e in errors if e) or None,
        finished_at=utcnow(),
    )
