"""One reconcile against an in-memory API (no kopf, no server): writes, failures, status."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from voiceagent_operator import drift, kinds
from voiceagent_operator.config import OperatorConfig
from voiceagent_operator.kube import ApiError
from voiceagent_operator.reconcile import Outcome, Reconciler

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LOG = logging.getLogger("test")


class FakeClient:
    """Keeps objects by (kind, name); ``fail`` maps a kind to the error its writes raise."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail: dict[str, ApiError] = {}
        self.writes: list[tuple[str, str, str]] = []

    async def get(self, kind: kinds.Kind, namespace: str, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.objects.get((kind.kind, name)))

    async def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        if obj["kind"] in self.fail:
            raise self.fail[obj["kind"]]
        self.writes.append(("apply", obj["kind"], obj["metadata"]["name"]))
        self.objects[drift.key_of(obj)] = copy.deepcopy(dict(obj))
        return copy.deepcopy(dict(obj))

    async def create(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
        if drift.key_of(obj) in self.objects:
            return None
        self.writes.append(("create", obj["kind"], obj["metadata"]["name"]))
        self.objects[drift.key_of(obj)] = copy.deepcopy(dict(obj))
        return copy.deepcopy(dict(obj))

    async def delete(self, kind: kinds.Kind, namespace: str, name: str) -> bool:
        self.writes.append(("delete", kind.kind, name))
        return self.objects.pop((kind.kind, name), None) is not None

    def live(self) -> list[dict[str, Any]]:
        return [
            obj
            for obj in self.objects.values()
            if obj["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "voiceagent-operator"
        ]


@pytest.fixture()
def client() -> FakeClient:
    return FakeClient()


async def reconcile(client: FakeClient, body: dict[str, Any], trigger: str = "create") -> Outcome:
    reconciler = Reconciler(client, OperatorConfig(default_image="img:1"))
    return await reconciler.reconcile(body, client.live(), trigger=trigger, logger=LOG, now=NOW)


async def test_creates_every_child_then_nothing_more(client: FakeClient, minimal: dict[str, Any]) -> None:
    outcome = await reconcile(client, minimal)
    assert len(client.writes) == 38 and all(action == "apply" for action, _, _ in client.writes)
    assert [kind for _, kind, _ in client.writes][:2] == ["ServiceAccount", "ConfigMap"]
    assert outcome.status["phase"] == "Pending" and not outcome.retry
    client.writes.clear()
    await reconcile(client, minimal, trigger="timer")
    assert client.writes == []


async def test_restores_drift_and_prunes_removed_components(client: FakeClient, minimal: dict[str, Any]) -> None:
    await reconcile(client, minimal)
    del client.objects["Service", "leibniz-stt"]
    client.objects["Deployment", "leibniz-rag"]["spec"]["template"]["spec"]["containers"][0]["image"] = "x"
    client.writes.clear()
    await reconcile(client, minimal, trigger="timer")
    assert sorted(client.writes) == [("apply", "Deployment", "leibniz-rag"), ("apply", "Service", "leibniz-stt")]

    client.writes.clear()
    minimal["spec"]["components"] = {"tts": {"enabled": False}}
    outcome = await reconcile(client, minimal, trigger="update")
    deleted = sorted(name for action, _, name in client.writes if action == "delete")
    assert deleted == sorted(
        ["leibniz-tts", "leibniz-tts-headless", "leibniz-tts", "leibniz-tts", "leibniz-tts", "leibniz-tts"]
    )
    assert "tts" not in outcome.status["components"]


async def test_invalid_spec_changes_nothing_and_fails_the_status(client: FakeClient, minimal: dict[str, Any]) -> None:
    await reconcile(client, minimal)
    client.writes.clear()
    minimal["spec"]["knowledgeBase"] = {"configMap": {"name": "kb"}, "s3": {"prefix": "x"}}
    outcome = await reconcile(client, minimal, trigger="update")
    assert client.writes == [] and not outcome.retry
    assert outcome.status["phase"] == "Failed"
    ready = next(c for c in outcome.status["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "exactly one of configMap or s3" in ready["message"]
    assert set(outcome.status["components"]) == {"gateway", "stt", "intent", "rag", "tts", "fsm"}


async def test_rejected_apply_fails_without_retrying(client: FakeClient, minimal: dict[str, Any]) -> None:
    client.fail["NetworkPolicy"] = ApiError(422, "Invalid", "spec.egress: bad port")
    outcome = await reconcile(client, minimal)
    assert outcome.status["phase"] == "Failed" and not outcome.retry
    message = next(c for c in outcome.status["conditions"] if c["type"] == "Ready")["message"]
    assert message.startswith("apply failed: NetworkPolicy leibniz-gateway: 422 Invalid: spec.egress: bad port")
    assert message.endswith("(and 3 more)")
    assert ("Deployment", "leibniz-gateway") in client.objects  # everything else still applied


async def test_unavailable_api_asks_for_a_retry(client: FakeClient, minimal: dict[str, Any]) -> None:
    client.fail["Deployment"] = ApiError(503, "ServiceUnavailable", "etcd leader changed")
    outcome = await reconcile(client, minimal)
    assert outcome.retry and outcome.status["phase"] == "Degraded"
    assert outcome.problems[0].message.endswith(", retrying")


async def test_reindex_once_per_revision(client: FakeClient, full: dict[str, Any]) -> None:
    outcome = await reconcile(client, full)
    assert outcome.status["knowledgeBase"]["phase"] == "Pending"
    assert any(p.reason == "KnowledgeBaseNotFound" for p in outcome.problems)

    client.objects["ConfigMap", "dental-kb"] = {
        "kind": "ConfigMap",
        "metadata": {"name": "dental-kb"},
        "data": {"faq.md": "# Hours\nWe open at 8."},
    }
    full["status"] = (await reconcile(client, full)).status
    kb = full["status"]["knowledgeBase"]
    assert kb["source"] == "configmap/dental-kb" and kb["lastReindexJob"].startswith("dental-reindex-")
    assert ("Job", kb["lastReindexJob"]) in client.objects
    jobs = [w for w in client.writes if w[1] == "Job"]

    assert (await reconcile(client, full, trigger="timer")).status["knowledgeBase"] == kb
    assert [w for w in client.writes if w[1] == "Job"] == jobs

    client.objects["Job", kb["lastReindexJob"]]["status"] = {"succeeded": 1}
    assert (await reconcile(client, full, trigger="timer")).status["knowledgeBase"]["phase"] == "Succeeded"

    client.objects["ConfigMap", "dental-kb"]["data"]["faq.md"] = "# Hours\nWe open at 9."
    changed = (await reconcile(client, full, trigger="timer")).status["knowledgeBase"]
    assert changed["revision"] != kb["revision"] and changed["lastReindexJob"] != kb["lastReindexJob"]
    assert len([w for w in client.writes if w[1] == "Job"]) == 2


async def test_failed_reindex_degrades_the_agent(client: FakeClient, full: dict[str, Any]) -> None:
    client.objects["ConfigMap", "dental-kb"] = {"kind": "ConfigMap", "metadata": {"name": "dental-kb"}, "data": {}}
    full["status"] = (await reconcile(client, full)).status
    job = client.objects["Job", full["status"]["knowledgeBase"]["lastReindexJob"]]
    job["status"] = {"conditions": [{"type": "Failed", "status": "True"}]}
    outcome = await reconcile(client, full, trigger="timer")
    assert outcome.status["phase"] == "Degraded" and outcome.status["knowledgeBase"]["phase"] == "Failed"
    assert outcome.problems[0].reason == "ReindexFailed"


async def test_metrics(client: FakeClient, minimal: dict[str, Any]) -> None:
    from prometheus_client import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        sample("voiceagent_operator_reconciles_total", trigger="create", result="ok"),
        sample("voiceagent_operator_child_writes_total", kind="Deployment", action="create"),
        sample("voiceagent_operator_drift_corrections_total", kind="Service"),
        sample("voiceagent_operator_reconcile_duration_seconds_count", trigger="create"),
    )
    await reconcile(client, minimal)
    del client.objects["Service", "leibniz-stt"]
    await reconcile(client, minimal, trigger="timer")
    after = (
        sample("voiceagent_operator_reconciles_total", trigger="create", result="ok"),
        sample("voiceagent_operator_child_writes_total", kind="Deployment", action="create"),
        sample("voiceagent_operator_drift_corrections_total", kind="Service"),
        sample("voiceagent_operator_reconcile_duration_seconds_count", trigger="create"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 6, 1, 1]
