"""Audience members, CSV export and webhook delivery.

A delivery POSTs ``{"audience", "delivery_id", "generated_at", "count", "members"}`` as
JSON, signed with HMAC-SHA256 over ``"<timestamp>.<body>"`` using
``ENCORE_AUDIENCES__WEBHOOK_SECRET``; the receiver checks ``X-Encore-Signature:
sha256=<hex>`` against ``X-Encore-Timestamp`` (and rejects old timestamps against
replays). A network error, a 429 or a 5xx is retried with exponential backoff; any other
answer ends the delivery. Every attempt is written to ``audience_deliveries``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from models.audience_rules import members
from models.audiences import Audience, log_attempt

log = logging.getLogger(__name__)
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def audience_members(
    session: Session, audience: Audience, as_of: datetime | None = None
) -> list[str]:
    """External ids of the audience's members now (or at ``as_of``)."""
    return [x for _, x in members(session, audience.rules, as_of or datetime.now(UTC))]


def to_csv(member_ids: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["user_id"])
    writer.writerows([m] for m in member_ids)
    return buf.getvalue()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivery_id: str
    status: str  # delivered | gave_up
    attempts: int
    members: int
    status_code: int | None


def deliver(
    session: Session,
    audience: Audience,
    *,
    url: str,
    secret: str,
    attempts: int = 4,
    backoff: float = 0.5,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Deliver the audience's members to ``url``; commits the log of every attempt."""
    member_ids = audience_members(session, audience)
    delivery_id = str(uuid.uuid4())
    body = json.dumps({
        "audience": audience.name, "delivery_id": delivery_id,
        "generated_at": datetime.now(UTC).isoformat(), "count": len(member_ids),
        "members": member_ids,
    }).encode()  # fmt: skip
    code: int | None = None
    for attempt in range(1, attempts + 1):
        timestamp = str(int(time.time()))
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Encore-Timestamp": timestamp,
            "X-Encore-Signature": sign(secret, timestamp, body),
            "X-Encore-Delivery": delivery_id, "User-Agent": "encore-audiences",
        })  # fmt: skip
        error: str | None = None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                code = int(response.status)
        except urllib.error.HTTPError as exc:
            code, error = exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            code, error = None, str(getattr(exc, "reason", exc))
        ok = code is not None and 200 <= code < 300
        retry = not ok and (code is None or code in RETRY_STATUSES) and attempt < attempts
        status = "delivered" if ok else ("failed" if retry else "gave_up")
        log_attempt(
            session, audience_id=audience.id, delivery_id=delivery_id, attempt=attempt, url=url,
            members=len(member_ids), status=status, status_code=code, error=error,
        )  # fmt: skip
        session.commit()
        if not retry:
            return DeliveryResult(delivery_id, status, attempt, len(member_ids), code)
        log.warning("audience %s delivery %s attempt %d failed: %s", audience.name,
                    delivery_id, attempt, error)  # fmt: skip
        sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable: the last attempt never retries")
