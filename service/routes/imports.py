"""``POST /v1/imports`` (upload an export) and ``GET /v1/imports/{id}`` (its progress)."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Path, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from data.importers.formats import ImportFormat
from data.importers.jobs import run_job
from models.jobs import create_job, get_job
from service.deps import PrincipalDep, SessionDep, SettingsDep, StoreDep, require_self
from service.errors import ApiError, NotFound
from service.schemas.errors import refusal
from service.schemas.imports import ImportJobPublic

router = APIRouter(prefix="/v1/imports", tags=["imports"])

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(index: int, filename: str | None) -> str:
    """A file name that cannot leave the upload folder, keeping the export's own name."""
    base = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = UNSAFE.sub("_", base).lstrip(".")[:120] or "upload"
    return f"{index:03d}_{cleaned}"


@router.post(
    "",
    status_code=202,
    response_model=ImportJobPublic,
    responses={
        400: {"description": "the body is not valid multipart/form-data"},
        413: refusal("the files together are over ENCORE_IMPORTS__MAX_UPLOAD_BYTES"),
    },
)
async def create_import(
    request: Request,
    response: Response,
    settings: SettingsDep,
    store: StoreDep,
    session: SessionDep,
    background: BackgroundTasks,
    principal: PrincipalDep,
    user_id: Annotated[str, Form(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")],
    format: Annotated[ImportFormat, Form(description="spotify, lastfm or listenbrainz")],
    files: Annotated[
        list[UploadFile],
        File(min_length=1, description="the export: a zip, or its JSON/CSV files"),
    ],
) -> ImportJobPublic:
    """Upload one user's export. It is imported in the background; poll the returned job
    (also at the ``Location`` header) for progress and the final counts. Uploading the same
    export again imports nothing twice. A listener's own token (or sign-in session)
    uploads only for that listener."""
    require_self(principal, user_id)
    limit = settings.imports.max_upload_bytes
    total = sum(f.size or 0 for f in files)
    if total > limit:
        raise ApiError(
            413, ["body", "files"], f"upload is {total} bytes; the limit is {limit}", "too_large"
        )
    job_id = str(uuid.uuid4())
    folder = settings.imports.folder() / job_id
    folder.mkdir()

    def save() -> None:
        for index, upload in enumerate(files):
            with (folder / safe_name(index, upload.filename)).open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1024 * 1024)

    await run_in_threadpool(save)
    job = create_job(session, user=user_id, format=format.value, bytes_total=total)
    background.add_task(
        run_job,
        store.engine,
        store.resolver,
        job_id=job.id,
        fmt=format,
        user=user_id,
        folder=folder,
    )
    response.headers["Location"] = str(request.url_for("read_import", job_id=job.id))
    return ImportJobPublic.of(job)


@router.get(
    "/{job_id}", response_model=ImportJobPublic, responses={404: refusal("unknown import job")}
)
def read_import(
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    job_id: Annotated[str, Path(max_length=36)],
) -> ImportJobPublic:
    """An import job: status (queued, running, done, failed), progress and counts; a
    listener's token sees only that listener's jobs. A job that stopped making progress
    (the server restarted while it ran) is reported failed, with what to do."""
    stale_after = timedelta(seconds=settings.imports.stale_seconds)
    job = get_job(session, job_id, stale_after=stale_after)
    listener = None if principal is None else principal.user
    if job is None or (listener is not None and job.user_external_id != listener):
        raise NotFound(["path", "job_id"], "unknown import job")
    return ImportJobPublic.of(job)
