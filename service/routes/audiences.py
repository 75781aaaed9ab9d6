"""``/v1/audiences``: define audiences by listening rules, size and export them, and deliver
them to a webhook."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from models.audiences import (
    Audience,
    create_audience,
    get_all_audiences,
    get_audience,
    get_deliveries,
)
from service.audiences import audience_members, deliver, to_csv
from service.deps import SessionDep, SettingsDep
from service.errors import ApiError
from service.routes.named import NamePath, creating, found, taken, unknown
from service.schemas.audiences import (
    AttemptPublic,
    AudienceCreate,
    AudiencePublic,
    AudiencesPublic,
    DeliveriesPublic,
    DeliveryCreate,
)
from service.schemas.errors import refusal

router = APIRouter(prefix="/v1/audiences", tags=["audiences"])
UNKNOWN = unknown("audience")


def public(a: Audience, size: int | None = None) -> AudiencePublic:
    return AudiencePublic.model_validate(
        {"id": a.id, "name": a.name, "rules": a.rules, "created_at": a.created_at, "size": size}
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AudiencePublic,
    responses=taken("audience"),
)
def create(session: SessionDep, body: AudienceCreate) -> AudiencePublic:
    """Define an audience: listeners for whom every rule holds (never anyone who opted
    out of personalization)."""
    with creating(session, "audience", body.name):
        rules = [r.model_dump() for r in body.rules]
        audience = create_audience(session, name=body.name, rules=rules)
    return public(audience, len(audience_members(session, audience)))


@router.get("", response_model=AudiencesPublic)
def read_all(session: SessionDep) -> AudiencesPublic:
    found = [public(a) for a in get_all_audiences(session)]
    return AudiencesPublic(data=found, count=len(found))


@router.get("/{name}", response_model=AudiencePublic, responses=UNKNOWN)
def read_one(session: SessionDep, name: NamePath) -> AudiencePublic:
    """The audience with its size now."""
    audience = found(get_audience(session, name=name), "audience", name)
    return public(audience, len(audience_members(session, audience)))


@router.get(
    "/{name}/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one user_id a line"}, **UNKNOWN},
)
def export(session: SessionDep, name: NamePath) -> Response:
    """The members as CSV (a ``user_id`` header, then one external id a line)."""
    audience = found(get_audience(session, name=name), "audience", name)
    return Response(
        to_csv(audience_members(session, audience)), media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{audience.name}.csv"'},
    )  # fmt: skip


@router.post(
    "/{name}/deliveries",
    response_model=DeliveriesPublic,
    responses={
        **UNKNOWN,
        409: refusal("no webhook secret is configured (not_configured)"),
    },
)
def create_delivery(
    session: SessionDep, settings: SettingsDep, name: NamePath, body: DeliveryCreate
) -> DeliveriesPublic:
    """Deliver the members to a webhook now (signed, retried with backoff); answers with
    the log of this delivery's attempts."""
    audience = found(get_audience(session, name=name), "audience", name)
    secret = settings.audiences.webhook_secret
    if secret is None:
        raise ApiError(409, ["body", "url"], "ENCORE_AUDIENCES__WEBHOOK_SECRET is not set",
                       "not_configured")  # fmt: skip
    result = deliver(
        session, audience, url=body.url, secret=secret, attempts=settings.audiences.attempts,
        backoff=settings.audiences.backoff_seconds,
    )  # fmt: skip
    rows = [d for d in get_deliveries(session, audience_id=audience.id)
            if d.delivery_id == result.delivery_id]  # fmt: skip
    data = [AttemptPublic.model_validate(d, from_attributes=True) for d in rows]
    return DeliveriesPublic(data=data, count=len(data))


@router.get("/{name}/deliveries", response_model=DeliveriesPublic, responses=UNKNOWN)
def read_deliveries(session: SessionDep, name: NamePath) -> DeliveriesPublic:
    """Every delivery attempt of the audience, oldest first."""
    audience = found(get_audience(session, name=name), "audience", name)
    rows = get_deliveries(session, audience_id=audience.id)
    data = [AttemptPublic.model_validate(d, from_attributes=True) for d in rows]
    return DeliveriesPublic(data=data, count=len(data))
