"""The ``VA_`` environment contract of every service (see services/common/config.py)."""

from __future__ import annotations

from typing import Any

from voiceagent_operator import meta
from voiceagent_operator.knowledge import kb_source
from voiceagent_operator.spec import SecretKeyRef, UrlSource, ValueFrom, VoiceAgentSpec

EnvVar = dict[str, Any]

INTENTS_FILE = f"{meta.CONFIG_DIR}/intents.yaml"
BOOKING_FILE = f"{meta.CONFIG_DIR}/booking.yaml"


def value(name: str, text: str | int | bool) -> EnvVar:
    if isinstance(text, bool):
        text = "true" if text else "false"
    return {"name": name, "value": str(text)}


def secret(name: str, ref: SecretKeyRef | ValueFrom) -> EnvVar:
    if isinstance(ref, ValueFrom):
        ref = ref.secret_key_ref
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}


def url(name: str, source: UrlSource) -> EnvVar:
    if source.url is not None:
        return value(name, source.url)
    assert source.url_from is not None  # guaranteed by UrlSource's validator
    return secret(name, source.url_from)


def _threads(name: str) -> EnvVar:
    """Numeric libraries get as many threads as whole CPUs requested (rounded up), not the node's."""
    return {"name": name, "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1"}}}


def _kb_location(spec: VoiceAgentSpec) -> str | None:
    """The mounted directory for a ConfigMap source, the ``s3://`` URL otherwise."""
    source = kb_source(spec)
    if source is None:
        return None
    return meta.KB_DIR if source.config_map is not None else source.description


def _common(agent: meta.AgentRef, spec: VoiceAgentSpec, component: str) -> list[EnvVar]:
    env = [
        value("VA_AGENT", agent.identity),
        value("VA_GRPC_PORT", meta.GRPC_PORT),
        value("VA_METRICS_PORT", meta.METRICS_PORT),
        value("VA_LOG_LEVEL", spec.observability.log_level),
        value("VA_LANGUAGE", spec.language),
        url("VA_REDIS_URL", spec.backends.redis),
        value("OTEL_SERVICE_NAME", f"voiceagent-{component}"),
        _threads("OMP_NUM_THREADS"),
        _threads("OPENBLAS_NUM_THREADS"),
    ]
    if spec.observability.otlp_endpoint:
        env.append(value("VA_OTEL_ENDPOINT", spec.observability.otlp_endpoint))
    return env


def _s3(spec: VoiceAgentSpec) -> list[EnvVar]:
    s3 = spec.backends.s3
    assert s3 is not None  # required by the spec validators when tts or rag is enabled
    return [
        value("VA_S3_ENDPOINT", s3.endpoint),
        value("VA_S3_BUCKET", s3.bucket),
        value("VA_S3_SECURE", s3.secure),
        value("VA_S3_REGION", s3.region),
        secret("VA_S3_ACCESS_KEY", s3.access_key_from),
        secret("VA_S3_SECRET_KEY", s3.secret_key_from),
    ]


def _gateway(agent: meta.AgentRef, spec: VoiceAgentSpec) -> list[EnvVar]:
    env = [value("VA_HTTP_PORT", meta.HTTP_PORT)]
    for component in meta.GRPC_COMPONENTS:
        if spec.components.get(component).enabled:
            env.append(value(f"VA_{component.upper()}_TARGET", meta.headless_target(agent, component)))
    if spec.api_keys_from is not None:
        env.append(secret("VA_API_KEYS", spec.api_keys_from))
    return env


def _rag(spec: VoiceAgentSpec) -> list[EnvVar]:
    qdrant = spec.backends.qdrant
    assert qdrant is not None  # required by the spec validators when rag is enabled
    env = [*_s3(spec), url("VA_QDRANT_URL", qdrant)]
    if qdrant.api_key_from is not None:
        env.append(secret("VA_QDRANT_API_KEY", qdrant.api_key_from))
    location = _kb_location(spec)
    if location is not None:
        env.append(value("VA_KB_SOURCE", location))
    if spec.knowledge_base is not None:
        env.append(value("VA_EMBEDDING_MODEL", spec.knowledge_base.embedding_model))
    llm = spec.backends.llm
    if llm is not None:
        env += [value("VA_LLM_BASE_URL", llm.base_url), value("VA_LLM_MODEL", llm.model)]
        if llm.api_key_from is not None:
            env.append(secret("VA_LLM_API_KEY", llm.api_key_from))
    return env


def _fsm(spec: VoiceAgentSpec) -> list[EnvVar]:
    mongodb = spec.backends.mongodb
    assert mongodb is not None  # required by the spec validators when fsm is enabled
    return [url("VA_MONGO_URL", mongodb), value("VA_BOOKING_RULES_FILE", BOOKING_FILE)]


def component_env(agent: meta.AgentRef, spec: VoiceAgentSpec, component: str) -> list[EnvVar]:
    """Every variable ``python -m services.<component>`` reads, in a stable order."""
    env = _common(agent, spec, component)
    if component == "gateway":
        env += _gateway(agent, spec)
    elif component == "stt":
        env.append(value("VA_STT_MODEL", spec.stt_model))
        if spec.stt_vocabulary is not None:
            env.append(value("VA_STT_PROMPT", spec.stt_vocabulary))
    elif component == "intent" and spec.intents is not None:
        env.append(value("VA_INTENT_CONFIG_FILE", INTENTS_FILE))
    elif component == "rag":
        env += _rag(spec)
    elif component == "tts":
        env += [*_s3(spec), value("VA_DEFAULT_VOICE", spec.voice)]
    elif component == "fsm":
        env += _fsm(spec)
    return env
