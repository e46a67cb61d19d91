"""One level-based reconcile of one VoiceAgent: render, diff, write, report.

Every step is idempotent, so running it again (a kopf retry, the drift timer,
a duplicate watch event) converges on the same children and status.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from voiceagent_operator import drift, kinds, meta, metrics
from voiceagent_operator.children import reindex_job_name, render_children, render_reindex_job
from voiceagent_operator.config import OperatorConfig
from voiceagent_operator.knowledge import FAILED, PENDING, job_phase, kb_revision, kb_source
from voiceagent_operator.kube import ApiError
from voiceagent_operator.spec import SpecError, VoiceAgentSpec, parse_spec
from voiceagent_operator.status import Problem, component_report, compute_status

MAX_LISTED_FAILURES = 3


class Api(Protocol):
    """The calls a reconcile makes (:class:`voiceagent_operator.kube.KubeClient` in production)."""

    async def get(self, kind: kinds.Kind, namespace: str, name: str) -> dict[str, Any] | None: ...

    async def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]: ...

    async def create(self, obj: Mapping[str, Any]) -> dict[str, Any] | None: ...

    async def delete(self, kind: kinds.Kind, namespace: str, name: str) -> bool: ...


@dataclass(frozen=True)
class Outcome:
    status: dict[str, Any]
    problems: tuple[Problem, ...] = ()
    retry: bool = False
    """A transient failure (API unavailable, throttled...): worth retrying soon."""


@dataclass
class _Writes:
    results: dict[drift.Key, dict[str, Any]] = field(default_factory=dict)
    failures: list[tuple[Mapping[str, Any], ApiError]] = field(default_factory=list)


def agent_ref(body: Mapping[str, Any]) -> meta.AgentRef:
    metadata = body["metadata"]
    return meta.AgentRef(name=metadata["name"], namespace=metadata["namespace"], uid=metadata["uid"])


def _deployments_by_component(objects: Mapping[drift.Key, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    found = {}
    for (kind, _), obj in objects.items():
        component = ((obj.get("metadata") or {}).get("labels") or {}).get(meta.LABEL_COMPONENT)
        if kind == kinds.DEPLOYMENT.kind and component in meta.COMPONENTS:
            found[component] = obj
    return dict(sorted(found.items(), key=lambda item: meta.COMPONENTS.index(item[0])))


class Reconciler:
    def __init__(self, client: Api, config: OperatorConfig) -> None:
        self.client = client
        self.config = config

    async def reconcile(
        self,
        body: Mapping[str, Any],
        live: Sequence[Mapping[str, Any]],
        *,
        trigger: str,
        logger: logging.Logger | logging.LoggerAdapter[Any],
        now: datetime,
    ) -> Outcome:
        """Bring the children of ``body`` in line with its spec; ``live`` is what the cluster holds."""
        started = time.perf_counter()
        outcome = await self._reconcile(body, live, trigger, logger, now)
        metrics.DURATION.labels(trigger).observe(time.perf_counter() - started)
        result = "retry" if outcome.retry else "failed" if outcome.status["phase"] == "Failed" else "ok"
        metrics.RECONCILES.labels(trigger, result).inc()
        for problem in outcome.problems:
            metrics.ERRORS.labels(problem.reason).inc()
        return outcome

    async def _reconcile(
        self,
        body: Mapping[str, Any],
        live: Sequence[Mapping[str, Any]],
        trigger: str,
        logger: logging.Logger | logging.LoggerAdapter[Any],
        now: datetime,
    ) -> Outcome:
        agent = agent_ref(body)
        generation = int(body["metadata"].get("generation") or 0)
        old = body.get("status") or {}
        current = {drift.key_of(obj): obj for obj in live}
        try:
            spec = parse_spec(agent.name, body.get("spec"))
        except SpecError as error:
            # Keep whatever runs; report the problem until the spec is fixed.
            problem = Problem("InvalidSpec", str(error))
            reports = {name: component_report(obj) for name, obj in _deployments_by_component(current).items()}
            status = compute_status(
                generation=generation,
                reports=reports,
                problems=[problem],
                knowledge_base=old.get("knowledgeBase"),
                old=old,
                now=now,
            )
            return Outcome(status, (problem,))

        plan = drift.plan(render_children(agent, spec, self.config.default_image), live, agent.uid)
        if plan.missing or plan.drifted or plan.delete:
            logger.info(
                "children: %d missing, %d drifted, %d to delete", len(plan.missing), len(plan.drifted), len(plan.delete)
            )
        writes = await self._write(plan, trigger, logger)
        knowledge, kb_problems, kb_failures = await self._knowledge(agent, spec, old, current)
        writes.failures += kb_failures

        problems = [*self._failure_problems(writes.failures), *kb_problems]
        current.update(writes.results)
        deployments = _deployments_by_component(current)
        reports = {name: component_report(deployments.get(name)) for name in spec.components.enabled()}
        status = compute_status(
            generation=generation,
            reports=reports,
            problems=problems,
            knowledge_base=knowledge,
            old=old,
            now=now,
            gateway_endpoint=meta.gateway_endpoint(agent) if spec.components.gateway.enabled else None,
        )
        return Outcome(status, tuple(problems), retry=any(error.transient for _, error in writes.failures))

    async def _write(
        self, plan: drift.Plan, trigger: str, logger: logging.Logger | logging.LoggerAdapter[Any]
    ) -> _Writes:
        """Apply tier by tier (what pods reference first), each tier in parallel; then prune."""
        writes = _Writes()
        limit = asyncio.Semaphore(self.config.apply_concurrency)
        missing = set(plan.missing)

        async def apply(obj: dict[str, Any]) -> None:
            key = drift.key_of(obj)
            async with limit:
                try:
                    writes.results[key] = await self.client.apply(obj)
                except ApiError as error:
                    writes.failures.append((obj, error))
                    return
            metrics.WRITES.labels(key[0], "create" if key in missing else "update").inc()
            if trigger == "timer":
                metrics.DRIFT.labels(key[0]).inc()
                logger.info("restored %s %s (%s)", key[0], key[1], "deleted" if key in missing else "edited")

        for _, tier in itertools.groupby(plan.apply, key=kinds.apply_rank):
            await asyncio.gather(*(apply(obj) for obj in tier))

        async def delete(obj: Mapping[str, Any]) -> None:
            name = obj["metadata"]["name"]
            async with limit:
                try:
                    await self.client.delete(kinds.kind_of(obj), obj["metadata"]["namespace"], name)
                except ApiError as error:
                    writes.failures.append((obj, error))
                    return
            metrics.WRITES.labels(obj["kind"], "delete").inc()
            logger.info("deleted %s %s (no longer in the spec)", obj["kind"], name)

        await asyncio.gather(*(delete(obj) for obj in plan.delete))
        return writes

    async def _knowledge(
        self,
        agent: meta.AgentRef,
        spec: VoiceAgentSpec,
        old: Mapping[str, Any],
        current: Mapping[drift.Key, Mapping[str, Any]],
    ) -> tuple[dict[str, Any] | None, list[Problem], list[tuple[Mapping[str, Any], ApiError]]]:
        """Start a reindex Job when the knowledge base's revision changed; report its phase."""
        source = kb_source(spec)
        if source is None:
            return None, [], []
        config_map = None
        if source.config_map is not None:
            try:
                config_map = await self.client.get(kinds.CONFIG_MAP, agent.namespace, source.config_map)
            except ApiError as error:
                return (
                    old.get("knowledgeBase"),
                    [],
                    [({"kind": "ConfigMap", "metadata": {"name": source.config_map}}, error)],
                )
            if config_map is None:
                problem = Problem(
                    "KnowledgeBaseNotFound", f"knowledge-base ConfigMap {source.config_map} not found", fatal=False
                )
                previous = old.get("knowledgeBase") or {}
                return (
                    {**previous, "source": source.description, "phase": previous.get("phase", PENDING)},
                    [problem],
                    [],
                )

        revision = kb_revision(spec, source, config_map)
        job_name = reindex_job_name(agent, revision)
        previous = old.get("knowledgeBase") or {}
        job = current.get((kinds.JOB.kind, job_name))
        if job is None and (previous.get("revision"), previous.get("lastReindexJob")) != (revision, job_name):
            manifest = render_reindex_job(agent, spec, revision, self.config.default_image)
            try:
                job = await self.client.create(manifest) or manifest
            except ApiError as error:
                return previous or None, [], [(manifest, error)]
            metrics.WRITES.labels(kinds.JOB.kind, "create").inc()
        phase = job_phase(job) if job is not None else previous.get("phase", job_phase(None))
        status = {"source": source.description, "revision": revision, "lastReindexJob": job_name, "phase": phase}
        problems = [Problem("ReindexFailed", f"reindex Job {job_name} failed", fatal=False)] if phase == FAILED else []
        return status, problems, []

    @staticmethod
    def _failure_problems(failures: Sequence[tuple[Mapping[str, Any], ApiError]]) -> list[Problem]:
        if not failures:
            return []
        listed = "; ".join(
            f"{obj['kind']} {obj['metadata']['name']}: {error}" for obj, error in failures[:MAX_LISTED_FAILURES]
        )
        more = len(failures) - MAX_LISTED_FAILURES
        message = f"apply failed: {listed}" + (f" (and {more} more)" if more > 0 else "")
        transient = all(error.transient for _, error in failures)
        return [Problem("ApplyFailed", message + (", retrying" if transient else ""), fatal=not transient)]
