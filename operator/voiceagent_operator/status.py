"""Pure computation of ``VoiceAgent.status`` from the owned Deployments and the last reconcile.

Phases: ``Pending`` (nothing observed yet), ``Progressing`` (rolling out or
scaling), ``Ready``, ``Degraded`` (running but something is wrong: a stalled
rollout, a component with no ready pod, a failed reindex) and ``Failed`` (the
spec cannot be reconciled: invalid spec or a rejected apply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PENDING, PROGRESSING, READY, DEGRADED, FAILED = "Pending", "Progressing", "Ready", "Degraded", "Failed"


@dataclass(frozen=True)
class Problem:
    """Something the reconcile could not do. ``fatal`` problems make the phase ``Failed``."""

    reason: str
    message: str
    fatal: bool = True


@dataclass(frozen=True)
class ComponentReport:
    desired: int
    ready: int
    state: str  # one of PENDING, PROGRESSING, READY, DEGRADED
    detail: str


def _conditions(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {c.get("type", ""): c for c in (body.get("status") or {}).get("conditions") or []}


def component_report(deployment: Mapping[str, Any] | None) -> ComponentReport:
    """Interpret one Deployment the way ``kubectl rollout status`` does."""
    if deployment is None:
        return ComponentReport(0, 0, PENDING, "not created yet")
    desired = int((deployment.get("spec") or {}).get("replicas", 1))
    status = deployment.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    observed = status.get("observedGeneration")
    generation = (deployment.get("metadata") or {}).get("generation")
    counts = f"{ready}/{desired} ready"
    if observed is None:
        return ComponentReport(desired, ready, PENDING, "waiting for the deployment controller")
    conditions = _conditions(deployment)
    failure = conditions.get("ReplicaFailure")
    if failure is not None and failure.get("status") == "True":
        return ComponentReport(desired, ready, DEGRADED, f"{counts}: {failure.get('message', 'replica failure')}")
    progress = conditions.get("Progressing")
    if progress is not None and progress.get("status") == "False":
        return ComponentReport(
            desired, ready, DEGRADED, f"{counts}: {progress.get('message', progress.get('reason', 'rollout stalled'))}"
        )
    if generation is not None and int(observed) < int(generation):
        return ComponentReport(desired, ready, PROGRESSING, f"{counts}, new revision not observed yet")
    if ready >= desired and updated >= desired:
        return ComponentReport(desired, ready, READY, counts)
    rolled_out = progress is not None and progress.get("reason") == "NewReplicaSetAvailable"
    if desired > 0 and ready == 0 and rolled_out:
        return ComponentReport(desired, ready, DEGRADED, f"{counts}: no pod is ready")
    return ComponentReport(desired, ready, PROGRESSING, counts)


def phase_of(reports: Mapping[str, ComponentReport], problems: Sequence[Problem]) -> str:
    if any(problem.fatal for problem in problems):
        return FAILED
    if problems or any(report.state == DEGRADED for report in reports.values()):
        return DEGRADED
    if reports and all(report.state == PENDING for report in reports.values()):
        return PENDING
    if all(report.state == READY for report in reports.values()):
        return READY
    return PROGRESSING


def _condition(
    kind: str,
    true: bool,
    reason: str,
    message: str,
    generation: int,
    old: Sequence[Mapping[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """A condition whose ``lastTransitionTime`` moves only when its status flips."""
    status = "True" if true else "False"
    previous = next((c for c in old if c.get("type") == kind), None)
    since = previous.get("lastTransitionTime") if previous and previous.get("status") == status else None
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": since or now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _details(reports: Mapping[str, ComponentReport], states: tuple[str, ...]) -> str:
    return "; ".join(f"{name}: {report.detail}" for name, report in reports.items() if report.state in states)


def compute_status(
    *,
    generation: int,
    reports: Mapping[str, ComponentReport],
    problems: Sequence[Problem] = (),
    gateway_endpoint: str | None = None,
    knowledge_base: Mapping[str, Any] | None = None,
    old: Mapping[str, Any] | None = None,
    now: datetime,
) -> dict[str, Any]:
    """The complete desired ``status`` (see :func:`status_patch` for the merge patch)."""
    old_conditions = list((old or {}).get("conditions") or [])
    phase = phase_of(reports, problems)
    problem_text = "; ".join(problem.message for problem in problems)
    first_reason = problems[0].reason if problems else None
    not_ready = _details(reports, (PENDING, PROGRESSING, DEGRADED))
    degraded = _details(reports, (DEGRADED,))

    if phase == READY:
        ready = (True, "AllComponentsReady", f"all {len(reports)} components ready")
    else:
        ready = (False, first_reason or "ComponentsNotReady", problem_text or not_ready)
    progressing = phase in (PENDING, PROGRESSING)
    progress = (
        progressing,
        "RollingOut" if progressing else "RolloutComplete" if phase == READY else "NotProgressing",
        not_ready if progressing else "",
    )
    if phase in (DEGRADED, FAILED):
        degradation = (
            True,
            first_reason or "ComponentsDegraded",
            "; ".join(part for part in (problem_text, degraded) if part),
        )
    else:
        degradation = (False, "AsExpected", "")

    conditions = [
        _condition(kind, *values, generation=generation, old=old_conditions, now=now)
        for kind, values in (("Ready", ready), ("Progressing", progress), ("Degraded", degradation))
    ]
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "phase": phase,
        "ready": f"{sum(r.state == READY for r in reports.values())}/{len(reports)}",
        "conditions": conditions,
        "components": {name: {"desiredReplicas": r.desired, "readyReplicas": r.ready} for name, r in reports.items()},
    }
    if gateway_endpoint is not None:
        status["gatewayEndpoint"] = gateway_endpoint
    if knowledge_base is not None:
        status["knowledgeBase"] = dict(knowledge_base)
    return status


def status_patch(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch turning ``old`` into ``new`` (``None`` removes keys); ``{}`` when equal."""
    old = old or {}
    patch: dict[str, Any] = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = status_patch(before, value)
            if nested:
                patch[key] = nested
        elif value != before:
            patch[key] = value
    return patch
