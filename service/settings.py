"""One settings object for the whole service, read from the environment or ``.env``.

Common knobs are flat (``ENCORE_DATABASE_URL``, ``ENCORE_PORT``); areas nest with a
double underscore (``ENCORE_INGEST__MAX_BATCH_EVENTS=500``). A bad value fails at
start with one line naming the variable.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from models.engine import parse_url
from models.errors import StoreError
from wrapped.rules import Rules

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
    stale_seconds: float = Field(
        600.0, gt=0, description="a job with no progress for this long was cut short: failed"
    )

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
    keep: int | None = Field(
        None, ge=1, description="artifacts of this many newest versions kept; None keeps all"
    )


class AuthSettings(BaseModel):
    """API keys and end-user tokens. ``ENCORE_AUTH=off`` turns checking off (local demo)."""

    enabled: bool = True
    secret: SecretStr | None = Field(
        None, min_length=32, description="signs user tokens; unset: kept in secret_file"
    )
    secret_file: Path = Field(
        Path(".encore-secret"), description="made on first use when secret is unset"
    )
    token_ttl_seconds: int = Field(7 * 86400, ge=60, le=366 * 86400)
    key_cache_seconds: float = Field(
        5.0, ge=0, le=300, description="how long a key's scopes are trusted; revoking waits"
    )
    rate_per_second: float = Field(1000.0, ge=0, description="per API key; 0: no limit")
    rate_burst: int = Field(2000, ge=1)
    user_rate_per_second: float = Field(10.0, ge=0, description="per listener's token")
    user_rate_burst: int = Field(50, ge=1)


class HttpSettings(BaseModel):
    """What every request meets before a route: size cap, CORS, logs, shutdown."""

    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="any request without a larger cap of its own"
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed to call the API; none: CORS off"
    )
    log_format: Literal["json", "text"] = "json"


class RetentionSettings(BaseModel):
    events_days: int | None = Field(
        None, ge=1, description="keep raw listening events this many days; unset: forever"
    )


SWITCH = {"off": False, "false": False, "0": False, "no": False,
          "on": True, "true": True, "1": True, "yes": True}  # fmt: skip


class _AuthSwitch(EnvSettingsSource):
    """Reads ``ENCORE_AUTH=off|on`` as ``ENCORE_AUTH__ENABLED``, merged with the other
    ``ENCORE_AUTH__...`` variables, instead of as JSON."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: object) -> object:
        if field_name == "auth" and isinstance(value, str) and value.strip().lower() in SWITCH:
            return {"enabled": SWITCH[value.strip().lower()]}
        return super().decode_complex_value(field_name, field, value)


class _DotEnvAuthSwitch(_AuthSwitch, DotEnvSettingsSource):
    pass


class ServeSettings(BaseModel):
    """How ``encore serve`` behaves in production, behind a proxy or a load balancer.

    Keep-alive should outlast the idle timeout of whatever sits in front (nginx keeps
    upstream connections 60 s by default): otherwise the server closes a connection the
    proxy is about to reuse, and a request fails with a 502. The graceful-shutdown
    timeout bounds how long a stopping worker waits for requests in flight; keep it
    below the orchestrator's kill deadline (compose's ``stop_grace_period``).
    """

    keep_alive_seconds: int = Field(5, ge=1, le=3600, description="idle keep-alive")
    graceful_shutdown_seconds: int = Field(25, ge=0, le=3600, description="drain on stop")
    proxy_headers: bool = Field(True, description="trust X-Forwarded-For/-Proto")
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="comma-separated IPs or networks whose X-Forwarded-* count; *"
    )
    root_path: str = Field("", description="path prefix a proxy strips, e.g. /encore")
    limit_concurrency: int | None = Field(None, ge=1, description="503 beyond this many")
    backlog: int = Field(2048, ge=1, description="pending TCP connections")
    worker_healthcheck_seconds: int = Field(
        60,
        ge=1,
        le=3600,
        description="a worker must start and answer the supervisor's pings"
        " within this; uvicorn's 5 s default kills workers still importing on a busy machine",
    )
    access_log: bool = True

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part == "*":
                continue
            try:
                ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is neither an IP address, a network nor *") from None
        return value

    @field_validator("root_path")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value and (not value.startswith("/") or value.endswith("/")):
            raise ValueError("a root path starts with / and does not end with one, e.g. /encore")
        return value


class RecsSettings(BaseModel):
    """How lists are served: candidates ranked per listener when a model loads, how often
    a worker looks for listening newer than its model, how served lists are written."""

    candidates: int = Field(200, ge=10, le=5000, description="precomputed per listener")
    fresh_seconds: float = Field(2.0, ge=0, description="least time between looks for news")
    served_flush_seconds: float = Field(1.0, gt=0, description="served lists written this often")
    served_flush_lists: int = Field(
        10_000, ge=1, description="or as soon as this many wait (bounds a batch)"
    )
    cache_dir: Path | None = Field(None, description="ranked candidates shared by workers")
    freeze_heap: bool = Field(
        True, description="keep a served version's objects out of full garbage collections"
    )

    def candidates_dir(self) -> Path:
        return self.cache_dir or Path(tempfile.gettempdir()) / "encore-candidates"


class MetricsSettings(BaseModel):
    """The product metrics' reporting zone and the longest range one request may ask for."""

    timezone: str = Field("UTC", description="IANA zone of the default reporting day")
    max_days: int = Field(3700, ge=1, description="longest range of a metrics request")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class AudienceSettings(BaseModel):
    """Webhook delivery of audiences: the signing secret and the retry schedule."""

    webhook_secret: str | None = Field(None, min_length=16, description="HMAC-SHA256 key")
    attempts: int = Field(4, ge=1, le=10, description="tries per delivery")
    backoff_seconds: float = Field(0.5, ge=0, description="first wait; doubles each retry")


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
    auth: AuthSettings = AuthSettings()
    http: HttpSettings = HttpSettings()
    retention: RetentionSettings = RetentionSettings()
    serve: ServeSettings = ServeSettings()
    recs: RecsSettings = RecsSettings()
    metrics: MetricsSettings = MetricsSettings()
    audiences: AudienceSettings = AudienceSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        dotenv = dotenv_settings
        if isinstance(dotenv_settings, DotEnvSettingsSource):
            dotenv = _DotEnvAuthSwitch(
                settings_cls, env_file=dotenv_settings.env_file,
                env_file_encoding=dotenv_settings.env_file_encoding,
            )  # fmt: skip
        return init_settings, _AuthSwitch(settings_cls), dotenv, file_secret_settings

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
