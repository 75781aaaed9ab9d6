"""Pages for people rather than programs: the upload page (``GET /wrapped``).

Page handlers live here so that protecting them (an end-user session, once there is
one) is one dependency on this router. The story pages are in :mod:`service.routes.sharing`
beside the share links they open; all pages share its headers and static files.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.deps import PrincipalDep, SettingsDep
from service.routes.sharing import PAGE, static_url
from service.routes.signin import csrf_token
from wrapped.render.upload import UploadLinks, render_upload

router = APIRouter(tags=["pages"])


@router.get("/wrapped", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}}, "description": "the page"}})  # fmt: skip
def read_upload_page(
    request: Request, settings: SettingsDep, principal: PrincipalDep
) -> HTMLResponse:
    """Upload a Spotify, Last.fm or ListenBrainz export, watch it import, and land on the
    story of its latest year (or of the year chosen). Works without any other site. A
    listener signed in by their link uploads for themselves (the name is theirs, fixed);
    an operator's session uploads for anyone."""
    root = request.scope.get("root_path", "")
    links = UploadLinks(
        stylesheet=static_url(request, "upload.css"), script=static_url(request, "upload.js"),
        icon=static_url(request, "icon.svg"), imports=f"{root}/v1/imports",
        users=f"{root}/v1/users", csrf=csrf_token(request) or "",
        user=(principal.user if principal else None) or "",
    )  # fmt: skip
    page = render_upload(links, max_upload_bytes=settings.imports.max_upload_bytes)
    return HTMLResponse(page, headers=PAGE)
