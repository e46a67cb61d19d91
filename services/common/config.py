"""Settings shared by every service: environment variables prefixed ``VA_``.

Each service subclasses :class:`ServiceSettings` with its own fields and loads it
through :func:`load_settings`, which turns a validation error into one readable
line naming the offending variable and stops the process.
"""

from __future__ import annotations

import sys
from typing import TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "VA_"


class ServiceSettings(BaseSettings):
    """Fields every service process understands."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    agent: str = Field(
        "default/leibniz",
        description="Tenant identity '<namespace>/<agent>'; prefixes every key, collection, bucket path",
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    )
    host: str = Field("0.0.0.0", description="Interface the servers bind to")
    grpc_port: int = Field(50051, ge=0, le=65535, description="gRPC port (0 = pick a free port)")
    metrics_port: int = Field(9090, ge=0, le=65535, description="Prometheus metrics port (0 = pick a free one)")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool = Field(True, description="Structured JSON logs (false: plain text for a terminal)")
    shutdown_grace_s: float = Field(10.0, ge=0, description="How long SIGTERM waits for in-flight calls")
    otel_endpoint: str = Field("", description="OTLP/gRPC collector endpoint; empty disables trace export")
    language: str = Field("en", description="Agent language (BCP-47 primary tag)")
    redis_url: str = Field("redis://localhost:6379/0", description="Redis URL (sessions, caches, locks)")
    gil_switch_interval_ms: float = Field(
        5.0,
        gt=0,
        le=100,
        description="Longest a busy thread keeps Python's GIL from a waiting one (Python's default, 5 ms, "
        "suits stt and tts under load)",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @property
    def key_prefix(self) -> str:
        """Redis key prefix isolating this tenant: ``va:<namespace>/<agent>:``."""
        return f"va:{self.agent}:"

    @property
    def agent_slug(self) -> str:
        """The agent identity usable as a collection, bucket-prefix or database name."""
        return self.agent.replace("/", "--")


class S3Settings(BaseSettings):
    """Object storage (MinIO in production, SeaweedFS in tests)."""

    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}S3_", extra="ignore", frozen=True)

    endpoint: str = Field("localhost:9000", description="host:port of the S3 API")
    access_key: str = Field("", description="Access key (from a Secret)")
    secret_key: str = Field("", description="Secret key (from a Secret)")
    bucket: str = Field("voiceagent", description="Bucket; objects live under the agent's prefix")
    secure: bool = Field(False, description="Use TLS")
    region: str = Field("us-east-1")


Settings = TypeVar("Settings", bound=BaseSettings)


def describe_validation_error(error: ValidationError, prefix: str) -> str:
    """One line per bad field, naming the environment variable the way an operator sets it."""
    parts = []
    for item in error.errors():
        field = "_".join(str(part) for part in item["loc"]) or "?"
        parts.append(f"{prefix}{field.upper()}: {item['msg']} (got {item.get('input')!r})")
    return "; ".join(parts)


def load_settings(cls: type[Settings]) -> Settings:
    """Load settings from the environment or exit with a clear one-line message."""
    try:
        return cls()
    except ValidationError as error:
        prefix = str(cls.model_config.get("env_prefix", ENV_PREFIX))
        print(f"invalid configuration: {describe_validation_error(error, prefix)}", file=sys.stderr)
        raise SystemExit(2) from None
