"""Every dependency the routes use, as ``Annotated`` aliases that tests can override."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

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


def get_recs(request: Request) -> Recs:
    recs: Recs = request.app.state.recs
    return recs


RecsDep = Annotated[Recs, Depends(get_recs)]
