"""The generated CRD: up to date in both places, and as strict as the operator's own validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from voiceagent_operator import crd
from voiceagent_operator.spec import SpecError, parse_spec

from tests.unit.operator.operator_samples import REPO_ROOT
from tests.unit.operator.operator_schema import admit, openapi_schema


def test_generated_files_are_fresh_and_identical() -> None:
    chart, plain = (path.read_text() for path in crd.CRD_FILES)
    assert chart == plain == crd.render_crd(), "run: python -m voiceagent_operator.crd"
    assert crd.main(["--check"]) == 0


def test_kopf_peering_crds_are_the_same_in_chart_and_manifests() -> None:
    chart = REPO_ROOT / "charts" / "voiceagent" / "crds" / "kopf-peerings.yaml"
    assert chart.read_text() == (REPO_ROOT / "k8s" / "kopf-peerings.yaml").read_text()


def test_identity_printer_columns_and_status_subresource() -> None:
    definition = crd.build_crd()
    assert definition["metadata"]["name"] == "voiceagents.voiceagent.io"
    assert definition["spec"]["names"]["shortNames"] == ["va"]
    version = definition["spec"]["versions"][0]
    assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == ["Phase", "Ready", "Endpoint", "Age"]


@pytest.mark.parametrize("sample", ["minimal", "full"])
def test_samples_are_admitted(sample: str) -> None:
    body = yaml.safe_load((REPO_ROOT / "k8s" / "samples" / f"{sample}.yaml").read_text())
    admit(body)


@pytest.mark.parametrize("sample", ["minimal", "full"])
def test_schema_defaults_match_the_operator_defaults(sample: str) -> None:
    """The API server fills in CRD defaults; the operator must read the same values either way."""
    body = yaml.safe_load((REPO_ROOT / "k8s" / "samples" / f"{sample}.yaml").read_text())
    name = body["metadata"]["name"]
    assert parse_spec(name, admit(body)["spec"]) == parse_spec(name, body["spec"])


def _edit(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    *parents, leaf = path.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(leaf)
    else:
        node[leaf] = value
    return body


INVALID = [
    ("spec.components.stt.autoscaling", {"minReplicas": 4, "maxReplicas": 2}, "minReplicas must be less"),
    ("spec.knowledgeBase", {"configMap": {"name": "kb"}, "s3": {"prefix": "p"}}, "exactly one of configMap or s3"),
    (
        "spec.backends.redis",
        {"url": "redis://r", "urlFrom": {"secretKeyRef": {"name": "a", "key": "b"}}},
        "exactly one of url or urlFrom",
    ),
    ("spec.backends.mongodb", None, "backends.mongodb is required when fsm is enabled"),
    ("spec.backends.qdrant", None, "backends.qdrant is required when rag is enabled"),
    ("spec.backends.s3", None, "backends.s3 is required when rag or tts is enabled"),
    ("spec.booking", {"openTime": "17:00", "closeTime": "09:00"}, "openTime must be before closeTime"),
    ("spec.booking", {"days": ["someday"]}, "is not one of"),
    ("spec.imagePullPolicy", "Sometimes", "is not one of"),
    ("spec.components.gateway.replicas", 101, "greater than the maximum"),
    ("spec.components.gateway.autoscaling", {"targetCPUUtilizationPercentage": 0}, "less than the minimum"),
    ("spec.components.rag.resources", {"requests": {"cpu": "a lot"}}, "does not match"),
    ("spec.backends.redis", {"urlFrom": {"secretKeyRef": {"name": "r", "key": "a/b"}}}, "does not match"),
    ("spec.observability", {"logLevel": "TRACE"}, "is not one of"),
    ("metadata.name", "a" * 47, "metadata.name must be at most 46 characters"),
]


@pytest.mark.parametrize(("path", "value", "message"), INVALID, ids=[case[0] for case in INVALID])
def test_schema_rejects(minimal: dict[str, Any], path: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        admit(_edit(minimal, path, value))


@pytest.mark.parametrize(("path", "value", "message"), INVALID, ids=[case[0] for case in INVALID])
def test_the_operator_rejects_what_the_schema_rejects(
    minimal: dict[str, Any], path: str, value: Any, message: str
) -> None:
    """Without the schema (old CRD, mock API server), the operator still refuses the same input."""
    body = _edit(minimal, path, value)
    with pytest.raises(SpecError):
        parse_spec(body["metadata"]["name"], body["spec"])


def test_every_rule_has_a_message() -> None:
    def walk(schema: Any) -> list[dict[str, str]]:
        found = []
        if isinstance(schema, dict):
            found += schema.get("x-kubernetes-validations", [])
            for value in schema.values():
                found += walk(value)
        elif isinstance(schema, list):
            for value in schema:
                found += walk(value)
        return found

    rules = walk(openapi_schema())
    assert len(rules) >= 10
    assert all(rule["message"] for rule in rules)
