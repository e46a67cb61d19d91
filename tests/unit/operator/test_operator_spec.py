"""Parsing and validating the VoiceAgent spec (what the schema cannot catch included)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from voiceagent_operator.spec import SpecError, parse_spec


def test_minimal_sample_gets_every_default(minimal: dict[str, Any]) -> None:
    spec = parse_spec("leibniz", minimal["spec"])
    assert spec.language == "en"
    assert spec.voice == "en_US-hibari-heart"
    assert spec.components.enabled() == ["gateway", "stt", "intent", "rag", "tts", "fsm"]
    autoscaling = spec.components.stt.autoscaling
    assert (autoscaling.enabled, autoscaling.min_replicas, autoscaling.max_replicas) == (True, 1, 3)
    assert autoscaling.target_cpu_utilization_percentage == 70
    assert spec.booking.days == ["mon", "tue", "wed", "thu", "fri"]
    assert (spec.booking.open_time, spec.booking.close_time, spec.booking.slot_minutes) == ("09:00", "17:00", 30)
    assert spec.knowledge_base is None and spec.api_keys_from is None


def test_full_sample_reads_camel_case_fields(full: dict[str, Any]) -> None:
    spec = parse_spec("dental", full["spec"])
    gateway = spec.components.gateway.autoscaling
    assert gateway.target_cpu_utilization_percentage == 60
    assert gateway.custom_metric is not None and gateway.custom_metric.name == "voiceagent_active_sessions"
    assert gateway.behavior is not None and gateway.behavior.scale_down is not None
    assert spec.components.fsm.autoscaling.enabled is False and spec.components.fsm.replicas == 2
    assert spec.backends.redis.url_from is not None
    assert spec.knowledge_base is not None and spec.knowledge_base.config_map is not None


def problems(minimal: dict[str, Any], change: dict[str, Any], name: str = "leibniz") -> str:
    raw = copy.deepcopy(minimal["spec"])
    for path, value in change.items():
        *parents, leaf = path.split(".")
        node = raw
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    with pytest.raises(SpecError) as error:
        parse_spec(name, raw)
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"knowledgeBase": {"configMap": {"name": "kb"}, "s3": {"prefix": "kb/"}}},
            "spec.knowledgeBase: exactly one of configMap or s3 must be set",
        ),
        ({"knowledgeBase": {}}, "exactly one of configMap or s3"),
        (
            {"components.stt.autoscaling": {"minReplicas": 5, "maxReplicas": 2}},
            "spec.components.stt.autoscaling: minReplicas (5) must be <= maxReplicas (2)",
        ),
        (
            {"backends.redis": {"url": "redis://r", "urlFrom": {"secretKeyRef": {"name": "r", "key": "url"}}}},
            "spec.backends.redis: exactly one of url or urlFrom must be set",
        ),
        (
            {"backends.redis": {"urlFrom": {"secretKeyRef": {"name": "r", "key": "bad/key"}}}},
            "spec.backends.redis.urlFrom.secretKeyRef.key",
        ),
        (
            {"backends.redis": {"urlFrom": {"secretKeyRef": {"name": "Not_A_Name", "key": "url"}}}},
            "spec.backends.redis.urlFrom.secretKeyRef.name",
        ),
        ({"backends.mongodb": None}, "backends.mongodb is required when fsm is enabled"),
        ({"backends.s3": None}, "backends.s3 is required when rag and tts is enabled"),
        ({"components.gateway.resources": {"requests": {"cpu": "lots"}}}, "cpu: 'lots' is not a Kubernetes quantity"),
        ({"booking": {"openTime": "18:00", "closeTime": "09:00"}}, "openTime (18:00) must be before closeTime (09:00)"),
        ({"booking": {"days": ["mon", "mon"]}}, "days must not repeat"),
        ({"booking": {"days": ["monday"]}}, "spec.booking.days.0"),
        ({"components.tts.replicas": 1000}, "spec.components.tts.replicas"),
        ({"language": "English"}, "spec.language"),
        ({"language": "de"}, "sttModel moonshine-base understands English only; set sttModel: base"),
        ({"language": "de", "sttModel": "tiny.en"}, "sttModel tiny.en understands English only"),
        ({"sttVocabulary": "  "}, "spec.sttVocabulary"),
        ({"sttVocabulary": "word " * 101}, "spec.sttVocabulary"),
        ({"backends": None}, "spec.backends: Field required"),
    ],
)
def test_invalid_specs_are_explained(minimal: dict[str, Any], change: dict[str, Any], expected: str) -> None:
    assert expected in problems(minimal, change)


def test_another_language_takes_the_multilingual_model(minimal: dict[str, Any]) -> None:
    spec = parse_spec("leibniz", {**minimal["spec"], "language": "de", "sttModel": "base"})
    assert (spec.language, spec.stt_model) == ("de", "base")


def test_a_disabled_component_needs_no_backend(minimal: dict[str, Any]) -> None:
    raw = copy.deepcopy(minimal["spec"])
    del raw["backends"]["mongodb"]
    raw["components"] = {"fsm": {"enabled": False}}
    assert parse_spec("leibniz", raw).components.enabled() == ["gateway", "stt", "intent", "rag", "tts"]


@pytest.mark.parametrize("name", ["1agent", "agent.with.dots", "x" * 47, "Upper"])
def test_agent_names_must_fit_child_names(minimal: dict[str, Any], name: str) -> None:
    with pytest.raises(SpecError, match=r"metadata\.name"):
        parse_spec(name, minimal["spec"])


def test_unknown_fields_are_ignored_for_forward_compatibility(minimal: dict[str, Any]) -> None:
    raw = {**minimal["spec"], "someFutureField": {"x": 1}}
    assert parse_spec("leibniz", raw).language == "en"
