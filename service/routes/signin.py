"""Signing in to the pages: ``GET /signin?token=...`` turns a user token (from
``POST /v1/users/{user_id}/tokens`` or ``encore users token``) into a session cookie
and goes on to the page; ``POST /signin`` does the same for an API key typed into the
form (for operators' pages such as the dashboard); ``POST /signout`` ends it.

The cookie is HttpOnly (scripts cannot read it), SameSite=Lax (other sites' forms and
scripts do not send it; a link from elsewhere still opens the page) and Secure over
HTTPS, and lives as long as the token. Pages put :func:`csrf_token` in their forms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth.access import SESSION_COOKIE, Gate, Principal
from service.auth.tokens import Claims

router = APIRouter(tags=["pages"])

HTML = {"text/html": {"schema": {"type": "string"}}}
SEE_OTHER = {
    "description": "signed in (or out): on to the page, with the session cookie set (or cleared)",
    "headers": {"Location": {"description": "the page to go on to", "schema": {"type": "string"}}},
}
REFUSED = {"description": "an invalid link or key: the form again, saying so", "content": HTML}

Next = Annotated[str | None, Query(max_length=2000, description="local page to go on to")]

FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · Encore</title>
</head><body><main><h1>Sign in to Encore</h1>{message}
<form method="post" action="{action}"><label>API key <input name="key" type="password"
autocomplete="off" required></label><input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button></form>
<p>Listeners sign in with the link they were given.</p></main></body></html>"""


def csrf_token(request: Request) -> str | None:
    """The CSRF token for the signed-in session of ``request`` (None without one): put it
    in a form as ``<input type="hidden" name="csrf_token">`` or send it as
    ``X-CSRF-Token``; an unsafe request on a cookie session without it is refused."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.session is None:
        return None
    gate: Gate = request.app.state.gate
    return gate.signer.csrf(principal.session)


def local(next_: str | None) -> str | None:
    """``next_`` if it is a path on this site; anything else (``//evil``, ``https:...``,
    backslashes that browsers read as slashes) would make sign-in an open redirect."""
    if not next_ or not next_.startswith("/") or next_.startswith("//") or "\\" in next_:
        return None
    if any(ord(c) < 0x20 for c in next_):
        return None
    return next_


def _landing(claims: Claims) -> str:
    """A user's story of the Wrapped season (this year from December, else last year);
    an operator's API docs."""
    if claims.kind == "key":
        return "/docs"
    today = datetime.now(UTC)
    year = today.year if today.month == 12 else today.year - 1
    return f"/v1/users/{quote(claims.subject, safe='')}/wrapped/{year}/story"


def _signed_in(request: Request, token: str, claims: Claims, next_: str | None) -> Response:
    response = RedirectResponse(local(next_) or _landing(claims), status_code=303)
    remaining = int((claims.expires_at - datetime.now(UTC)).total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max(remaining, 0), path="/", httponly=True,
        samesite="lax", secure=request.url.scheme == "https",
    )  # fmt: skip
    response.headers["cache-control"] = "no-store"
    return response


def _form(request: Request, next_: str | None, message: str = "", status: int = 200) -> Response:
    root = request.scope.get("root_path", "")
    page = FORM.format(
        message=f"<p role=alert>{escape(message)}</p>" if message else "",
        action=escape(f"{root}/signin"), next=escape(local(next_) or ""),
    )  # fmt: skip
    return HTMLResponse(page, status_code=status, headers={"cache-control": "no-store"})


@router.get("/signin", response_class=HTMLResponse, responses={303: SEE_OTHER, 401: REFUSED})
def signin_link(
    request: Request,
    token: Annotated[str | None, Query(max_length=4096)] = None,
    next: Next = None,
) -> Response:
    """With ``token``: sign in with it and go on to ``next`` (or the listener's story).
    Without: the form for signing in with an API key."""
    if token is None:
        return _form(request, next)
    gate: Gate = request.app.state.gate
    claims = gate.signer.verify(token)
    if claims is None:
        return _form(request, next, "This sign-in link is invalid or has expired.", 401)
    return _signed_in(request, token, claims, next)


@router.post("/signin", response_class=HTMLResponse, responses={303: SEE_OTHER, 401: REFUSED})
async def signin_key(
    request: Request,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Sign in with an API key: the session carries the key's scopes (never the key)
    for as long as a user token lives, and ends when the key is revoked."""
    gate: Gate = request.app.state.gate
    grant = await gate.keys.by_key(key.strip())
    if grant is None:
        return _form(request, next, "That API key is not valid.", 401)
    token, _expires = gate.signer.mint("key", str(grant.key_id))
    claims = gate.signer.verify(token)
    assert claims is not None
    return _signed_in(request, token, claims, next)


@router.post("/signout", response_class=RedirectResponse, status_code=303,
             responses={303: SEE_OTHER})  # fmt: skip
def signout(request: Request) -> Response:
    """End the session on this browser."""
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
