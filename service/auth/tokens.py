"""Signed, expiring tokens: end-user tokens, signed-in sessions and their CSRF tokens.

Tokens are JWTs (PyJWT, HS256 with the server secret). JWT over itsdangerous because
the claims that matter here (``exp``, ``iat``, ``aud``, ``iss``, ``sub``) are standard
and checked by the library, and because an operator's own backend can mint or inspect
a listener's token with any JWT library once it holds the secret. Only HS256 is
accepted when decoding, so a token cannot choose its own algorithm (``none``, or RS256
with the secret as a public key).

A token says whose it is in ``typ``: ``user`` (``sub`` is the listener's external id)
or ``key`` (a signed-in page session for an API key; ``sub`` is the key id, and the key
is looked up on every request, so revoking the key ends its sessions too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import jwt

from service.settings import AuthSettings

ISSUER = "encore"
AUDIENCE = "encore"
ALGORITHM = "HS256"
TokenKind = Literal["user", "key"]


@dataclass(frozen=True, slots=True)
class Claims:
    kind: TokenKind
    subject: str
    expires_at: datetime


def load_secret(auth: AuthSettings) -> bytes:
    """The signing secret: ``ENCORE_AUTH__SECRET``, or else the contents of
    ``secret_file``, made (mode 0600, 256 random bits) by whichever process asks first,
    so every worker and the CLI on one machine agree without configuration."""
    if auth.secret is not None:
        return auth.secret.get_secret_value().encode()
    path = Path(auth.secret_file)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"{path}: the secret is shorter than 32 characters")
    return text.encode()


MAX_VERIFIED = 10_000


class TokenSigner:
    """Mints and verifies tokens. Verifying a JWT costs about 100 us (PyJWT parses and
    checks every claim), so tokens that verified are remembered until they expire: a
    listener's app sending the same token again costs a dict look-up."""

    def __init__(self, secret: bytes, *, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._verified: dict[str, tuple[float, Claims]] = {}

    def mint(
        self, kind: TokenKind, subject: str, *, ttl_seconds: int | None = None
    ) -> tuple[str, datetime]:
        """A token for ``subject`` and when it expires (whole seconds)."""
        now = datetime.now(UTC).replace(microsecond=0)
        expires = now + timedelta(seconds=ttl_seconds or self._ttl)
        claims = {
            "iss": ISSUER, "aud": AUDIENCE, "typ": kind, "sub": subject,
            "iat": now, "exp": expires, "jti": secrets.token_urlsafe(9),
        }  # fmt: skip
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires

    def verify(self, token: str) -> Claims | None:
        """The claims of a genuine, unexpired token; None for anything else."""
        hit = self._verified.get(token)
        if hit is not None:
            if hit[0] > time.time():
                return hit[1]
            del self._verified[token]
        claims = self._decode(token)
        if claims is not None:
            if len(self._verified) >= MAX_VERIFIED:
                self._verified.clear()
            self._verified[token] = (claims.expires_at.timestamp(), claims)
        return claims

    def _decode(self, token: str) -> Claims | None:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "typ"]},
            )  # fmt: skip
        except jwt.PyJWTError:
            return None
        kind, subject = claims.get("typ"), claims.get("sub")
        if kind not in ("user", "key") or not isinstance(subject, str) or not subject:
            return None
        return Claims(kind, subject, datetime.fromtimestamp(claims["exp"], UTC))

    def csrf(self, session_token: str) -> str:
        """The CSRF token for a signed-in session: an HMAC of the session cookie, so it
        needs no storage, changes with each sign-in and cannot be made without the secret."""
        mac = hmac.new(self._secret, b"csrf:" + session_token.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode()

    def csrf_ok(self, session_token: str, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(self.csrf(session_token), presented)
