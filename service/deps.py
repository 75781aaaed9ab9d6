"""Every dependency the routes use, as ``Annotated`` aliases that tests can override."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from models.api_keys import Scope
from service.auth.access import Access, Principal, require_self
from service.model_holder import ModelHolder
from service.recs.index import Served
from service.recs.runtime import Recs
from service.settings import Settings
from service.store import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(store: StoreDep) -> Iterator[Session]:
    with store.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_model(request: Request) -> Served | None:
    """The model version to answer with (None: none is active), checked for a newer one."""
    holder: ModelHolder = request.app.state.models
    return holder.current()


ModelDep = Annotated[Served | None, Depends(get_model)]


# Access: what a caller must present (see service.auth.access). Routers get one in the
# ROUTERS table (service/routes/__init__.py); a route that needs more adds one of the
# ``...Scope`` dependencies below to its decorator (``dependencies=[AdminOrOwnerScope]``).
PUBLIC = Access(None)
READ = Access(Scope.read)
READ_OWN = Access(Scope.read, owner=True)
INGEST = Access(Scope.ingest)
ADMIN = Access(Scope.admin)
ADMIN_OWN = Access(Scope.admin, owner=True)
INGEST_ANY_USER = Access(Scope.ingest, any_user=True)
"""An ``ingest`` key, or any listener's own token or session acting for themselves (an
upload page): the route takes the user from ``PrincipalDep`` or calls ``require_self``."""
READ_ANY_USER = Access(Scope.read, any_user=True)
"""A ``read`` key, or any listener's own token (``GET /v1/whoami``)."""

ReadScope = Depends(READ)
IngestScope = Depends(INGEST)
AdminScope = Depends(ADMIN)
ReadOrOwnerScope = Depends(READ_OWN)
AdminOrOwnerScope = Depends(ADMIN_OWN)
IngestOrAnyUserScope = Depends(INGEST_ANY_USER)


def get_principal(request: Request) -> Principal | None:
    """Who the access check let in (None on a public route; everyone with auth off)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]

__all__ = ["require_self"]  # re-exported for routes that act for the caller


def get_recs(request: Request) -> Recs:
    recs: Recs = request.app.state.recs
    return recs


RecsDep = Annotated[Recs, Depends(get_recs)]
