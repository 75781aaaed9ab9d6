"""One settings object for the whole service, read from the environment or ``.env``.

Common knobs are flat (``ENCORE_DATABASE_URL``, ``ENCORE_PORT``); areas nest with a
double underscore (``ENCORE_INGEST__MAX_BATCH_EVENTS=500``). A bad value fails at
start with one line naming the variable.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.engine import parse_url
from models.errors import StoreError
from wrapped.context import Rules

LogLevel = Literal["debug", "info", "warning", "error", "critical"]


class IngestSettings(BaseModel):
    max_batch_events: int = Field(1000, ge=1, le=100_000)
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    max_future_skew_seconds: int = Field(600, ge=0)
    earliest_ts: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    @field_validator("earliest_ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class ImportSettings(BaseModel):
    max_upload_bytes: int = Field(1024**3, ge=1024)
    upload_dir: Path | None = Field(None, description="where uploads wait; the system temp dir")

    def folder(self) -> Path:
        base = self.upload_dir or Path(tempfile.gettempdir()) / "encore-uploads"
        base.mkdir(parents=True, exist_ok=True)
        return base


class WrappedSettings(BaseModel):
    """Who gets a Wrapped (Spotify's rule by default) and when comparisons are shown."""

    min_streams: int = Field(30, ge=0, description="plays of 30 s or more in the window")
    min_artists: int = Field(5, ge=0, description="distinct music artists heard")
    min_comparison_users: int = Field(20, ge=1, description="listeners a percentile needs")
    population_cache_seconds: float = Field(
        600.0, ge=0, description="how long a server reuses the listening of everyone compared"
    )

    def rules(self) -> Rules:
        return Rules(self.min_streams, self.min_artists, self.min_comparison_users)


class ModelSettings(BaseModel):
    """Where trained artifacts live and how often a server looks for a newly promoted one."""

    dir: Path = Field(Path("artifacts/models"), description="root of the versioned artifacts")
    reload_seconds: float = Field(30.0, ge=0, description="least time between active checks")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ENCORE_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    database_url: str = "sqlite:///./encore.db"
    database_pool_size: int = Field(5, ge=1, le=100)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    log_level: LogLevel = "info"
    ingest: IngestSettings = IngestSettings()
    imports: ImportSettings = ImportSettings()
    wrapped: WrappedSettings = WrappedSettings()
    models: ModelSettings = ModelSettings()

    @field_validator("database_url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        try:
            parse_url(value)
        except StoreError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


def explain(exc: ValidationError) -> str:
    """One line per bad setting, named as the environment variable a user would set."""
    lines = []
    for error in exc.errors():
        name = "ENCORE_" + "__".join(str(part).upper() for part in error["loc"])
        msg = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {msg}")
    return "; ".join(lines)


@lru_cache
def get_settings() -> Settings:
    return Settings()
