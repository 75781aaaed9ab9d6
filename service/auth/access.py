"""The access check every API route runs: who is calling, and may they call this?

A caller presents ``Authorization: Bearer <credential>``: an API key (``enc_...``) or a
signed token (an end-user token, see :mod:`service.auth.tokens`). Pages present the same
token in the ``encore_session`` cookie that ``/signin`` sets; a request authenticated by
that cookie must also carry the session's CSRF token (``X-CSRF-Token`` header or a
``csrf_token`` form field) unless its method is safe.

An :class:`Access` names the scope a route needs; ``owner=True`` also lets a user token
in when the route's ``{user_id}`` is that token's user. ``admin`` implies every scope.
No credential is 401 (a browser asking for a page is sent to ``/signin`` instead, to
come back after); a credential without the scope (or another user's token) is 403;
both in FastAPI's error shape, saying which scope the route needs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from models.api_keys import Scope
from service.auth.keys import KeyCache
from service.auth.ratelimit import RateLimiter
from service.auth.tokens import TokenSigner
from service.errors import ApiError, SignInRequired

log = logging.getLogger(__name__)

SESSION_COOKIE = "encore_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEY_PREFIX = "enc_"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a key's scopes, or the listener a user token belongs to."""

    scopes: frozenset[Scope]
    user: str | None = None
    key_id: int | None = None
    session: str | None = None
    """The sign-in cookie this request was authenticated by, if it was."""

    def has(self, scope: Scope) -> bool:
        return Scope.admin in self.scopes or scope in self.scopes

    @property
    def caller(self) -> str:
        """Who to count a request against (rate limits) and name in logs."""
        return f"key:{self.key_id}" if self.key_id is not None else f"user:{self.user}"


RANK = {Scope.read: 0, Scope.ingest: 1, Scope.admin: 2}
"""For naming the strictest check in a 401; ``admin`` implies the others."""

OPEN = Principal(scopes=frozenset(Scope))
"""Everyone, when auth is off."""


class Gate:
    """The process's auth state: key cache, token signer, rate limiter."""

    def __init__(
        self,
        *,
        enabled: bool,
        keys: KeyCache,
        signer: TokenSigner,
        limiter: RateLimiter,
        user_limiter: RateLimiter,
    ) -> None:
        self.enabled = enabled
        self.keys = keys
        self.signer = signer
        self.limiter = limiter
        self.user_limiter = user_limiter
        """Listeners' tokens get a bucket of their own, smaller than a service's key."""

    async def principal(self, request: Request) -> Principal | None:
        """The caller the request's credential names; None without one. An invalid
        credential is a 401 here, not None: a client that sent one wants to know."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, credential = header.partition(" ")
            credential = credential.strip()
            if scheme.lower() != "bearer" or not credential:
                raise unauthenticated("use Authorization: Bearer <API key or user token>")
            return await self._credential(credential, session=None)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            return await self._credential(cookie, session=cookie)
        return None

    async def _credential(self, credential: str, *, session: str | None) -> Principal:
        if credential.startswith(KEY_PREFIX) and session is None:
            grant = await self.keys.by_key(credential)
            if grant is None:
                raise unauthenticated("invalid or revoked API key")
            return Principal(scopes=grant.scopes, key_id=grant.key_id)
        claims = self.signer.verify(credential)
        if claims is None:
            raise unauthenticated("invalid or expired token")
        if claims.kind == "user":
            return Principal(scopes=frozenset(), user=claims.subject, session=session)
        grant = await self.keys.by_id(int(claims.subject)) if claims.subject.isdigit() else None
        if grant is None:
            raise unauthenticated("the API key this session was signed in with is revoked")
        return Principal(scopes=grant.scopes, key_id=grant.key_id, session=session)


def unauthenticated(msg: str) -> ApiError:
    return ApiError(401, ["header", "authorization"], msg, "not_authenticated")


def _forbidden(msg: str, scope: Scope, principal: Principal) -> ApiError:
    granted = sorted(s.value for s in principal.scopes)
    ctx: dict[str, object] = {"required_scope": scope.value, "granted_scopes": granted}
    return ApiError(403, ["header", "authorization"], msg, "insufficient_scope", ctx)


class Access:
    """A dependency requiring ``scope`` (``None``: public); see the module docstring."""

    def __init__(self, scope: Scope | None, *, owner: bool = False, any_user: bool = False) -> None:
        self.scope = scope
        self.owner = owner
        self.any_user = any_user
        """Any listener's token passes, for routes with no ``{user_id}`` that act for the
        caller (an upload page); the route must then use ``principal.user`` as the user,
        or check a user it is given with :func:`require_self`."""

    def __repr__(self) -> str:
        scope = self.scope.value if self.scope else "public"
        return f"Access({scope}{', or the user' if self.owner else ''})"

    async def __call__(self, request: Request) -> Principal | None:
        if self.scope is None:
            return None
        gate: Gate = request.app.state.gate
        if not gate.enabled:
            return OPEN
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:
            principal = await gate.principal(request)
            if principal is None:
                needed = self._strictest(request)
                assert needed.scope is not None
                if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                    query = request.url.query
                    target = request.url.path + (f"?{query}" if query else "")
                    raise SignInRequired(f"/signin?{urlencode({'next': target})}")
                raise ApiError(
                    401, ["header", "authorization"],
                    f"this endpoint needs an API key with the {needed.scope.value} scope"
                    + (" or the user's own token" if needed.owner else ""),
                    "not_authenticated", {"required_scope": needed.scope.value},
                )  # fmt: skip
            if principal.session is not None and request.method not in SAFE_METHODS:
                await _check_csrf(request, gate, principal.session)
            limiter = gate.limiter if principal.user is None else gate.user_limiter
            wait = limiter.take(principal.caller)
            if wait:
                raise ApiError(
                    429, ["header", "authorization"], f"rate limit reached; retry in {wait} s",
                    "rate_limited", headers={"retry-after": str(wait)},
                )  # fmt: skip
            request.state.principal = principal
        self._authorize(request, principal)
        return principal

    def _strictest(self, request: Request) -> Access:
        """This check or a stricter one the route itself adds, to name in a 401."""
        route = request.scope.get("route")
        found = [self] + [
            d.dependency
            for d in getattr(route, "dependencies", ())
            if isinstance(d.dependency, Access) and d.dependency.scope is not None
        ]
        return max(found, key=lambda a: (RANK[a.scope] if a.scope else -1, not a.owner))

    def _authorize(self, request: Request, principal: Principal) -> None:
        assert self.scope is not None
        if principal.user is None:
            if not principal.has(self.scope):
                raise _forbidden(
                    f"this endpoint needs an API key with the {self.scope.value} scope",
                    self.scope, principal,
                )  # fmt: skip
            return
        if self.any_user or (self.owner and request.path_params.get("user_id") == principal.user):
            return
        raise _forbidden(
            "a user token opens only its own user's data; this endpoint needs "
            f"an API key with the {self.scope.value} scope",
            self.scope, principal,
        )  # fmt: skip


def require_self(principal: Principal | None, user_id: str) -> None:
    """Refuse (403) a listener's token acting for another listener, on routes that take the
    user from a form or body rather than the path (see ``Access.any_user``)."""
    if principal is not None and principal.user is not None and principal.user != user_id:
        raise ApiError(
            403, ["body", "user_id"], "a user token acts only for its own user",
            "insufficient_scope",
        )  # fmt: skip


async def _check_csrf(request: Request, gate: Gate, session: str) -> None:
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        presented = field if isinstance(field, str) else None
    if not gate.signer.csrf_ok(session, presented):
        raise ApiError(
            403, ["header", CSRF_HEADER], "missing or wrong CSRF token for this session",
            "csrf_failed",
        )  # fmt: skip
