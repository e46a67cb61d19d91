"""The VoiceAgent spec as validated, typed models.

The CRD schema (``crd.py``) rejects most bad input at the API server, but the
operator must not trust that alone (older CRD versions, API servers without CEL,
mock servers in tests), so every schema rule is repeated here, plus the checks a
schema cannot express. :func:`parse_spec` turns any problem into one
:class:`SpecError` whose message names every offending field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from voiceagent_operator import meta

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
AGENT_NAME = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
SECRET_KEY = r"^[-._a-zA-Z0-9]+$"
QUANTITY = r"^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?(\d+(\.\d*)?|\.\d+))?$"
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
URL = r"^[a-z][a-z0-9+.-]*://\S+$"
HTTP_URL = r"^https?://\S+$"
HOST_PORT = r"^[A-Za-z0-9.-]+(:\d{1,5})?$"
BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
LANGUAGE = r"^[a-z]{2,3}$"
IMAGE = r"^\S+$"
NOT_BLANK = r"\S"

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
PullPolicy = Literal["Always", "IfNotPresent", "Never"]
Quantity = str | int

DEFAULT_LANGUAGE = "en"
DEFAULT_VOICE = "en_US-hibari-heart"
DEFAULT_STT_MODEL = "moonshine-base"
ENGLISH_ONLY_STT_MODELS = ("moonshine-base", "tiny.en")  # the stt service's bundled models but multilingual 'base'
MAX_STT_VOCABULARY = 500  # characters; Whisper keeps the last 223 tokens of its context anyway
DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_MIN_REPLICAS = 1
DEFAULT_MAX_REPLICAS = 3
DEFAULT_CPU_TARGET = 70
DEFAULT_ACTIVE_SESSIONS_METRIC = "voiceagent_active_sessions"
MAX_REPLICAS = 100
WEEKDAYS: list[Day] = ["mon", "tue", "wed", "thu", "fri"]


class SpecError(ValueError):
    """The spec cannot be reconciled; the message is meant for ``kubectl describe``."""


class Model(BaseModel):
    # Unknown fields are ignored, not rejected: a newer CRD may carry fields an older operator lacks.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class SecretKeyRef(Model):
    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    key: str = Field(pattern=SECRET_KEY, max_length=253)


class ValueFrom(Model):
    secret_key_ref: SecretKeyRef


class UrlSource(Model):
    """A backend URL given inline or read from a Secret (URLs may embed passwords)."""

    url: str | None = Field(None, pattern=URL)
    url_from: ValueFrom | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> UrlSource:
        if (self.url is None) == (self.url_from is None):
            raise ValueError("exactly one of url or urlFrom must be set")
        return self


class QdrantBackend(UrlSource):
    api_key_from: ValueFrom | None = None


class S3Backend(Model):
    endpoint: str = Field(pattern=HOST_PORT, description="host:port of the S3 API, no scheme")
    bucket: str = Field(pattern=BUCKET)
    secure: bool = False
    region: str = "us-east-1"
    access_key_from: ValueFrom
    secret_key_from: ValueFrom


class LlmBackend(Model):
    base_url: str = Field(pattern=HTTP_URL)
    model: str = Field(min_length=1)
    api_key_from: ValueFrom | None = None


class Backends(Model):
    redis: UrlSource
    mongodb: UrlSource | None = None
    qdrant: QdrantBackend | None = None
    s3: S3Backend | None = None
    llm: LlmBackend | None = None


class ConfigMapSource(Model):
    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)


class S3Source(Model):
    bucket: str | None = Field(None, pattern=BUCKET, description="defaults to backends.s3.bucket")
    prefix: str = Field(min_length=1, pattern=r"^[^\s]+$")


class KnowledgeBase(Model):
    config_map: ConfigMapSource | None = None
    s3: S3Source | None = None
    revision: str | None = Field(None, max_length=63, description="change it to force a reindex")
    embedding_model: Literal["e5", "minilm"] = "e5"

    @model_validator(mode="after")
    def _exactly_one(self) -> KnowledgeBase:
        if (self.config_map is None) == (self.s3 is None):
            raise ValueError("exactly one of configMap or s3 must be set")
        return self


class Resources(Model):
    requests: dict[str, Quantity] = Field(default_factory=dict)
    limits: dict[str, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _quantities(self) -> Resources:
        for section in (self.requests, self.limits):
            for name, value in section.items():
                if not re.match(QUANTITY, str(value)):
                    raise ValueError(f"{name}: {value!r} is not a Kubernetes quantity")
        return self


class CustomMetric(Model):
    name: str = Field(DEFAULT_ACTIVE_SESSIONS_METRIC, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    target_average_value: Quantity

    @model_validator(mode="after")
    def _quantity(self) -> CustomMetric:
        if not re.match(QUANTITY, str(self.target_average_value)):
            raise ValueError(f"targetAverageValue: {self.target_average_value!r} is not a quantity")
        return self


class ScalingPolicy(Model):
    type: Literal["Pods", "Percent"]
    value: int = Field(ge=1)
    period_seconds: int = Field(ge=1, le=1800)


class ScalingRules(Model):
    stabilization_window_seconds: int | None = Field(None, ge=0, le=3600)
    select_policy: Literal["Max", "Min", "Disabled"] | None = None
    policies: list[ScalingPolicy] | None = None


class Behavior(Model):
    scale_up: ScalingRules | None = None
    scale_down: ScalingRules | None = None


class Autoscaling(Model):
    enabled: bool = True
    min_replicas: int = Field(DEFAULT_MIN_REPLICAS, ge=1, le=MAX_REPLICAS)
    max_replicas: int = Field(DEFAULT_MAX_REPLICAS, ge=1, le=MAX_REPLICAS)
    target_cpu_utilization_percentage: int = Field(
        DEFAULT_CPU_TARGET, ge=1, le=100, alias="targetCPUUtilizationPercentage"
    )
    custom_metric: CustomMetric | None = None
    behavior: Behavior | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas ({self.min_replicas}) must be <= maxReplicas ({self.max_replicas})")
        return self


class Component(Model):
    enabled: bool = True
    replicas: int = Field(1, ge=0, le=MAX_REPLICAS, description="used only when autoscaling is off")
    image: str | None = Field(None, pattern=IMAGE)
    resources: Resources | None = None
    autoscaling: Autoscaling = Autoscaling()


class Components(Model):
    gateway: Component = Component()
    stt: Component = Component()
    intent: Component = Component()
    rag: Component = Component()
    tts: Component = Component()
    fsm: Component = Component()

    def get(self, name: str) -> Component:
        component: Component = getattr(self, name)
        return component

    def enabled(self) -> list[str]:
        return [name for name in meta.COMPONENTS if self.get(name).enabled]


class Booking(Model):
    """Defaults are the fsm service's own (services/fsm/rules.py)."""

    timezone: str = Field(DEFAULT_TIMEZONE, min_length=1, max_length=64)
    days: list[Day] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1, max_length=7)
    open_time: str = Field("09:00", pattern=HHMM)
    close_time: str = Field("17:00", pattern=HHMM)
    slot_minutes: int = Field(30, ge=5, le=240)
    horizon_days: int = Field(60, ge=1, le=366)
    cancellation_hours: int = Field(24, ge=0, le=720)

    @model_validator(mode="after")
    def _window(self) -> Booking:
        if self.open_time >= self.close_time:
            raise ValueError(f"openTime ({self.open_time}) must be before closeTime ({self.close_time})")
        if len(set(self.days)) != len(self.days):
            raise ValueError("days must not repeat")
        return self


class Observability(Model):
    log_level: LogLevel = "INFO"
    otlp_endpoint: str | None = Field(None, min_length=1)


class NetworkPolicySpec(Model):
    enabled: bool = True
    monitoring_namespace: str = Field("monitoring", pattern=DNS_LABEL, max_length=63)


class VoiceAgentSpec(Model):
    image: str | None = Field(None, pattern=IMAGE, description="defaults to the operator's services image")
    image_pull_policy: PullPolicy = "IfNotPresent"
    image_pull_secrets: list[str] = Field(default_factory=list, max_length=16)
    language: str = Field(DEFAULT_LANGUAGE, pattern=LANGUAGE)
    voice: str = Field(DEFAULT_VOICE, min_length=1, max_length=128)
    stt_model: str = Field(DEFAULT_STT_MODEL, min_length=1, max_length=128)
    stt_vocabulary: str | None = Field(None, pattern=NOT_BLANK, max_length=MAX_STT_VOCABULARY)
    knowledge_base: KnowledgeBase | None = None
    backends: Backends
    components: Components = Components()
    booking: Booking = Booking()
    intents: dict[str, Any] | None = None
    api_keys_from: ValueFrom | None = None
    observability: Observability = Observability()
    network_policy: NetworkPolicySpec = NetworkPolicySpec()

    @model_validator(mode="after")
    def _stt_model_speaks_the_language(self) -> VoiceAgentSpec:
        if self.language != "en" and self.stt_model in ENGLISH_ONLY_STT_MODELS:
            raise ValueError(
                f"sttModel {self.stt_model} understands English only; set sttModel: base for language {self.language!r}"
            )
        return self

    @model_validator(mode="after")
    def _backends_for_components(self) -> VoiceAgentSpec:
        problems = []
        needs = {"mongodb": ["fsm"], "qdrant": ["rag"], "s3": ["rag", "tts"]}
        enabled = set(self.components.enabled())
        for backend, users in needs.items():
            wanting = [name for name in users if name in enabled]
            if wanting and getattr(self.backends, backend) is None:
                problems.append(f"backends.{backend} is required when {' and '.join(wanting)} is enabled")
        if self.knowledge_base and self.knowledge_base.s3 and self.backends.s3 is None:
            problems.append("backends.s3 is required for a knowledgeBase.s3 source")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in ("spec", *item["loc"]))
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{location}: {message}")
    return "; ".join(parts)


def validate_name(name: str) -> None:
    if not re.match(AGENT_NAME, name) or len(name) > meta.MAX_AGENT_NAME:
        raise SpecError(
            f"metadata.name {name!r} must be a DNS-1035 label of at most {meta.MAX_AGENT_NAME} characters"
            " (it prefixes every child's name)"
        )


def parse_spec(name: str, spec: Mapping[str, Any] | None) -> VoiceAgentSpec:
    """Validate the raw ``spec`` of VoiceAgent ``name``; raise :class:`SpecError` with every problem."""
    validate_name(name)
    try:
        return VoiceAgentSpec.model_validate(dict(spec or {}))
    except ValidationError as error:
        raise SpecError(_describe(error)) from None
