"""The real kopf operator against kmock: apply, update, drift, invalid spec, removal, reindex."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from voiceagent_operator import kinds, meta
from voiceagent_operator.testing import Emulator, OperatorThread, eventually

pytestmark = pytest.mark.integration

NS = "voice"
SAMPLES = Path(__file__).resolve().parents[3] / "k8s" / "samples"
AGENTS = kinds.VOICE_AGENT.path(NS)


def sample(name: str = "minimal") -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load((SAMPLES / f"{name}.yaml").read_text())
    body["metadata"]["namespace"] = NS
    return body


def get(k8s: Emulator, kind: kinds.Kind, name: str) -> dict[str, Any] | None:
    try:
        found = k8s.objects[f"{kind.api_version}/{kind.plural}", NS, name]
    except KeyError:
        return None
    return None if found.deleted else found.raw


def children(k8s: Emulator, agent: str) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for kind in kinds.CHILD_KINDS:
        for (resource, namespace, name), obj in k8s.objects.items():
            if (f"{resource.group}/{resource.version}".lstrip("/"), resource.plural) != (kind.api_version, kind.plural):
                continue
            if namespace == NS and not obj.deleted and obj.raw["metadata"]["labels"][meta.LABEL_INSTANCE] == agent:
                found[kind.kind, name] = obj.raw
    return found


def agent(k8s: Emulator, name: str) -> dict[str, Any]:
    found = get(k8s, kinds.VOICE_AGENT, name)
    assert found is not None
    return found


def condition(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in body.get("status", {}).get("conditions", []) if c["type"] == kind)


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]["containers"][0]


async def create(k8s: Emulator, body: dict[str, Any]) -> str:
    async with k8s.post(AGENTS, json=body) as response:
        assert response.status == 200, await response.text()
    return str(body["metadata"]["name"])


async def patch(k8s: Emulator, kind: kinds.Kind, name: str, changes: dict[str, Any]) -> None:
    async with k8s.patch(
        kind.path(NS, name), json=changes, headers={"Content-Type": "application/merge-patch+json"}
    ) as response:
        assert response.status == 200, await response.text()


async def test_apply_creates_owned_children(k8s: Emulator, operator: OperatorThread) -> None:
    name = await create(k8s, sample())
    found = await eventually(lambda: len(children(k8s, name)) == 38 and children(k8s, name))
    uid = agent(k8s, name)["metadata"]["uid"]
    for child in found.values():
        assert child["metadata"]["ownerReferences"] == [meta.owner_reference(meta.AgentRef(name, NS, uid))]
        assert child["metadata"]["labels"][meta.LABEL_MANAGED_BY] == "voiceagent-operator"
    status = (await eventually(lambda: agent(k8s, name).get("status", {}).get("phase") and agent(k8s, name)))["status"]
    assert status["phase"] == "Pending" and status["observedGeneration"] == 1
    assert status["gatewayEndpoint"] == f"http://leibniz-gateway.{NS}.svc:8080"
    assert agent(k8s, name)["metadata"]["finalizers"] == ["voiceagent.io/finalizer"]


async def test_status_follows_the_deployments(k8s: Emulator, operator: OperatorThread) -> None:
    name = await create(k8s, sample())
    await eventually(lambda: len(children(k8s, name)) == 38)
    for component in meta.COMPONENTS:
        await patch(
            k8s,
            kinds.DEPLOYMENT,
            f"{name}-{component}",
            {
                "status": {
                    "observedGeneration": 1,
                    "replicas": 1,
                    "readyReplicas": 1,
                    "updatedReplicas": 1,
                    "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}],
                }
            },
        )
    ready = await eventually(lambda: agent(k8s, name)["status"]["phase"] == "Ready" and agent(k8s, name))
    assert ready["status"]["ready"] == "6/6"
    assert condition(ready, "Ready")["status"] == "True"
    assert ready["status"]["components"]["stt"] == {"desiredReplicas": 1, "readyReplicas": 1}

    await patch(k8s, kinds.DEPLOYMENT, f"{name}-stt", {"status": {"readyReplicas": 0}})
    degraded = await eventually(lambda: agent(k8s, name)["status"]["phase"] == "Degraded" and agent(k8s, name))
    assert "stt: 0/1 ready: no pod is ready" in condition(degraded, "Degraded")["message"]


async def test_update_patches_children_but_not_the_hpa_replicas(k8s: Emulator, operator: OperatorThread) -> None:
    name = await create(k8s, sample())
    await eventually(lambda: len(children(k8s, name)) == 38)
    before = children(k8s, name)
    await patch(k8s, kinds.DEPLOYMENT, f"{name}-stt", {"spec": {"replicas": 5}})  # as the HPA would

    await patch(
        k8s,
        kinds.VOICE_AGENT,
        name,
        {
            "metadata": {"generation": 2},
            "spec": {"components": {"stt": {"image": "registry.test/stt:2"}}, "booking": {"slotMinutes": 15}},
        },
    )

    def updated() -> bool:
        stt = get(k8s, kinds.DEPLOYMENT, f"{name}-stt")
        return stt is not None and container(stt)["image"] == "registry.test/stt:2"

    await eventually(updated)
    after = children(k8s, name)
    assert after["Deployment", f"{name}-stt"]["spec"]["replicas"] == 5
    checksum = meta.CONFIG_CHECKSUM_ANNOTATION

    def annotation(objects: dict[tuple[str, str], dict[str, Any]], component: str) -> str:
        return str(
            objects["Deployment", f"{name}-{component}"]["spec"]["template"]["metadata"]["annotations"][checksum]
        )

    assert annotation(after, "fsm") != annotation(before, "fsm")
    assert annotation(after, "intent") == annotation(before, "intent")
    assert "slot_minutes: 15" in after["ConfigMap", f"{name}-config"]["data"]["booking.yaml"]
    await eventually(lambda: agent(k8s, name)["status"]["observedGeneration"] == 2)


async def test_drift_is_restored(k8s: Emulator, operator: OperatorThread) -> None:
    name = await create(k8s, sample())
    await eventually(lambda: len(children(k8s, name)) == 38)
    async with k8s.delete(kinds.SERVICE.path(NS, f"{name}-stt")) as response:
        assert response.status == 200
    await patch(
        k8s,
        kinds.DEPLOYMENT,
        f"{name}-rag",
        {"spec": {"template": {"spec": {"containers": [{"name": "rag", "image": "evil:latest"}]}}}},
    )
    await patch(k8s, kinds.CONFIG_MAP, f"{name}-config", {"data": {"booking.yaml": "days: []"}})

    def restored() -> bool:
        rag, config = get(k8s, kinds.DEPLOYMENT, f"{name}-rag"), get(k8s, kinds.CONFIG_MAP, f"{name}-config")
        return (
            get(k8s, kinds.SERVICE, f"{name}-stt") is not None
            and rag is not None
            and config is not None
            and container(rag)["image"] == "registry.test/services:1"
            and "monday" in config["data"]["booking.yaml"]
        )

    await eventually(restored)


async def test_invalid_spec_becomes_a_condition(k8s: Emulator, operator: OperatorThread) -> None:
    body = sample()
    body["spec"]["knowledgeBase"] = {"configMap": {"name": "kb"}, "s3": {"prefix": "kb/"}}
    name = await create(k8s, body)
    failed = await eventually(lambda: agent(k8s, name).get("status", {}).get("phase") == "Failed" and agent(k8s, name))
    ready = condition(failed, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "spec.knowledgeBase: exactly one of configMap or s3 must be set" in ready["message"]
    assert children(k8s, name) == {}
    await eventually(
        lambda: any(
            obj.raw.get("reason") == "InvalidSpec"
            for (resource, _, _), obj in k8s.objects.items()
            if resource.plural == "events" and not obj.deleted
        )
    )

    await patch(k8s, kinds.VOICE_AGENT, name, {"metadata": {"generation": 2}, "spec": {"knowledgeBase": {"s3": None}}})
    await eventually(lambda: len(children(k8s, name)) == 38)
    await eventually(lambda: agent(k8s, name)["status"]["phase"] != "Failed")


async def test_removing_a_component_deletes_its_children(k8s: Emulator, operator: OperatorThread) -> None:
    name = await create(k8s, sample())
    await eventually(lambda: len(children(k8s, name)) == 38)
    await patch(
        k8s,
        kinds.VOICE_AGENT,
        name,
        {"metadata": {"generation": 2}, "spec": {"components": {"tts": {"enabled": False}}}},
    )
    remaining = await eventually(lambda: len(children(k8s, name)) == 32 and children(k8s, name))
    assert not [key for key in remaining if key[1].startswith(f"{name}-tts")]
    gateway_env = {var["name"] for var in container(remaining["Deployment", f"{name}-gateway"])["env"]}
    assert "VA_TTS_TARGET" not in gateway_env and "VA_STT_TARGET" in gateway_env
    await eventually(lambda: "tts" not in agent(k8s, name)["status"]["components"])


async def test_knowledge_base_change_triggers_a_reindex(k8s: Emulator, operator: OperatorThread) -> None:
    kb = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "leibniz-kb", "namespace": NS},
        "data": {"hours.md": "# Opening hours\nMonday to Friday, 9 to 5."},
    }
    async with k8s.post(kinds.CONFIG_MAP.path(NS), json=kb) as response:
        assert response.status == 200
    body = sample()
    body["spec"]["knowledgeBase"] = {"configMap": {"name": "leibniz-kb"}}
    name = await create(k8s, body)

    def kb_status() -> dict[str, Any] | None:
        return agent(k8s, name).get("status", {}).get("knowledgeBase")

    first = await eventually(lambda: (kb_status() or {}).get("lastReindexJob") and kb_status())
    assert first["source"] == "configmap/leibniz-kb" and first["phase"] == "Pending"
    job = get(k8s, kinds.JOB, first["lastReindexJob"])
    assert job is not None and container(job)["command"] == ["python", "-m", "services.rag.reindex"]

    await patch(k8s, kinds.CONFIG_MAP, "leibniz-kb", {"data": {"hours.md": "# Opening hours\nDaily, 8 to 8."}})
    second = await eventually(lambda: kb_status()["revision"] != first["revision"] and kb_status())  # type: ignore[index]
    assert get(k8s, kinds.JOB, second["lastReindexJob"]) is not None

    await patch(k8s, kinds.JOB, second["lastReindexJob"], {"status": {"succeeded": 1}})
    await eventually(lambda: kb_status()["phase"] == "Succeeded")  # type: ignore[index]


async def test_deleting_an_agent_releases_its_finalizer(k8s: Emulator, operator: OperatorThread) -> None:
    name = await create(k8s, sample())
    await eventually(lambda: agent(k8s, name).get("metadata", {}).get("finalizers"))
    async with k8s.delete(kinds.VOICE_AGENT.path(NS, name)) as response:
        assert response.status == 200
    # The children go with it through their ownerReferences (the garbage collector, not the operator).
    await eventually(lambda: get(k8s, kinds.VOICE_AGENT, name) is None)
