"""Operator settings: environment variables prefixed ``VA_OPERATOR_`` (set by the Helm chart)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VA_OPERATOR_", extra="ignore", frozen=True)

    default_image: str = Field(
        "ghcr.io/voiceagent/services:0.1.0", description="Services image when a VoiceAgent names none"
    )
    drift_interval_s: float = Field(30.0, gt=0, description="How often every agent is re-checked for drift")
    retry_delay_s: float = Field(10.0, gt=0, description="Delay before retrying a transiently failed reconcile")
    apply_concurrency: int = Field(8, ge=1, le=64, description="Parallel API writes per agent")
    namespaces: list[str] = Field(
        default_factory=list, description="Namespaces to watch (JSON list); empty watches the whole cluster"
    )
    metrics_port: int = Field(9090, ge=0, le=65535, description="Prometheus metrics port (0 disables)")
    liveness_endpoint: str | None = Field(
        "http://0.0.0.0:8080/healthz", description="kopf liveness endpoint; empty disables"
    )
    peering: str | None = Field(
        "voiceagent-operator",
        description="Name of the (Cluster)KopfPeering object; empty runs standalone (a single replica)",
    )
    priority: int | None = Field(
        None, description="Peering priority; unset picks a random one so that exactly one replica is active"
    )
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_json: bool = True
