"""Status computation: component readiness, phases, conditions and the merge patch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from voiceagent_operator.status import (
    DEGRADED,
    FAILED,
    PENDING,
    PROGRESSING,
    READY,
    ComponentReport,
    Problem,
    component_report,
    compute_status,
    status_patch,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 12, 5, tzinfo=UTC)


def deployment(
    replicas: int = 2,
    ready: int = 2,
    updated: int = 2,
    observed: int | None = 3,
    generation: int = 3,
    conditions: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {"readyReplicas": ready, "updatedReplicas": updated, "conditions": conditions or []}
    if observed is not None:
        status["observedGeneration"] = observed
    return {"metadata": {"generation": generation}, "spec": {"replicas": replicas}, "status": status}


COMPLETE = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}


@pytest.mark.parametrize(
    ("body", "state"),
    [
        (None, PENDING),
        (deployment(observed=None), PENDING),
        (deployment(), READY),
        (deployment(replicas=0, ready=0, updated=0), READY),
        (deployment(ready=1), PROGRESSING),
        (deployment(observed=2), PROGRESSING),
        (deployment(ready=1, conditions=[COMPLETE]), PROGRESSING),  # e.g. the HPA just scaled up
        (deployment(ready=0, conditions=[COMPLETE]), DEGRADED),  # rolled out, yet nothing ready
        (
            deployment(
                ready=0,
                conditions=[
                    {
                        "type": "Progressing",
                        "status": "False",
                        "reason": "ProgressDeadlineExceeded",
                        "message": "too slow",
                    }
                ],
            ),
            DEGRADED,
        ),
        (deployment(ready=1, conditions=[{"type": "ReplicaFailure", "status": "True", "message": "quota"}]), DEGRADED),
    ],
)
def test_component_report(body: dict[str, Any] | None, state: str) -> None:
    assert component_report(body).state == state


def test_component_report_counts() -> None:
    report = component_report(deployment(replicas=3, ready=1))
    assert (report.desired, report.ready, report.detail) == (3, 1, "1/3 ready")


def reports(*states: str) -> dict[str, ComponentReport]:
    names = ["gateway", "stt", "intent", "rag", "tts", "fsm"]
    return {
        name: ComponentReport(1, 1 if state == READY else 0, state, f"{name} {state}")
        for name, state in zip(names, states, strict=False)
    }


@pytest.mark.parametrize(
    ("states", "problems", "phase"),
    [
        ((READY, READY), (), READY),
        ((PENDING, PENDING), (), PENDING),
        ((READY, PENDING), (), PROGRESSING),
        ((READY, PROGRESSING), (), PROGRESSING),
        ((READY, DEGRADED), (), DEGRADED),
        ((READY, READY), (Problem("ReindexFailed", "x", fatal=False),), DEGRADED),
        ((READY, READY), (Problem("InvalidSpec", "bad"),), FAILED),
    ],
)
def test_phase(states: tuple[str, ...], problems: tuple[Problem, ...], phase: str) -> None:
    assert compute_status(generation=1, reports=reports(*states), problems=problems, now=T0)["phase"] == phase


def conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status["conditions"]}


def test_ready_status() -> None:
    status = compute_status(
        generation=4, reports=reports(READY, READY), now=T0, gateway_endpoint="http://a-gateway.ns.svc:8080"
    )
    assert status["observedGeneration"] == 4 and status["ready"] == "2/2"
    assert status["gatewayEndpoint"] == "http://a-gateway.ns.svc:8080"
    assert status["components"]["gateway"] == {"desiredReplicas": 1, "readyReplicas": 1}
    ready, progressing, degraded = (conditions(status)[kind] for kind in ("Ready", "Progressing", "Degraded"))
    assert (ready["status"], ready["reason"]) == ("True", "AllComponentsReady")
    assert (progressing["status"], progressing["reason"]) == ("False", "RolloutComplete")
    assert (degraded["status"], degraded["reason"]) == ("False", "AsExpected")
    assert ready["lastTransitionTime"] == "2026-01-01T12:00:00Z" and ready["observedGeneration"] == 4


def test_failed_status_carries_the_reason_and_message() -> None:
    status = compute_status(generation=2, reports={}, problems=[Problem("InvalidSpec", "spec.x: bad")], now=T0)
    ready, degraded = conditions(status)["Ready"], conditions(status)["Degraded"]
    assert (ready["status"], ready["reason"], ready["message"]) == ("False", "InvalidSpec", "spec.x: bad")
    assert (degraded["status"], degraded["reason"]) == ("True", "InvalidSpec")
    assert status["ready"] == "0/0"


def test_last_transition_time_moves_only_when_the_status_flips() -> None:
    first = compute_status(generation=1, reports=reports(READY, PROGRESSING), now=T0)
    again = compute_status(generation=1, reports=reports(READY, PENDING), now=T1, old=first)
    assert conditions(again)["Ready"]["lastTransitionTime"] == "2026-01-01T12:00:00Z"
    assert conditions(again)["Ready"]["message"] != conditions(first)["Ready"]["message"]
    flipped = compute_status(generation=1, reports=reports(READY, READY), now=T1, old=again)
    assert conditions(flipped)["Ready"]["lastTransitionTime"] == "2026-01-01T12:05:00Z"
    assert conditions(flipped)["Degraded"]["lastTransitionTime"] == "2026-01-01T12:00:00Z"


def test_status_patch_removes_what_is_gone_and_skips_what_is_equal() -> None:
    old = {
        "phase": "Ready",
        "components": {"tts": {"readyReplicas": 1}, "stt": {"readyReplicas": 1}},
        "gatewayEndpoint": "http://x",
    }
    new = {"phase": "Ready", "components": {"stt": {"readyReplicas": 2}}}
    assert status_patch(old, new) == {"components": {"tts": None, "stt": {"readyReplicas": 2}}, "gatewayEndpoint": None}
    assert status_patch(new, new) == {}
    assert status_patch(None, new) == new
