"""The process's handle on the store: engine, session factory and catalog cache."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.engine import make_engine, session_factory
from models.resolve import CatalogResolver
from service.settings import Settings


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    resolver: CatalogResolver = field(default_factory=CatalogResolver)

    @classmethod
    def open(cls, settings: Settings) -> Store:
        engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
        return cls(engine=engine, sessions=session_factory(engine))

    def close(self) -> None:
        self.engine.dispose()
