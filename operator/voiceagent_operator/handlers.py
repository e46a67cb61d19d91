"""Kopf glue: settings, login, indexes of the children, and the thin handlers.

Every handler funnels into :meth:`Reconciler.reconcile`; the children the
cluster holds come from in-memory kopf indexes (one watch per child kind,
filtered server-side by the ``managed-by`` label), so a reconcile reads nothing
from the API except an optional knowledge-base ConfigMap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import kopf

from voiceagent_operator import kinds, meta, metrics
from voiceagent_operator.config import OperatorConfig
from voiceagent_operator.kube import KubeClient, Login
from voiceagent_operator.reconcile import Outcome, Reconciler
from voiceagent_operator.status import status_patch

AGENTS = (meta.GROUP, meta.VERSION, meta.PLURAL)
HANDLER_RETRIES = 5
KEPT_STATUS = {kinds.DEPLOYMENT.kind, kinds.JOB.kind}
"""Only these children's status matters (replicas, job phase): other statuses are not kept in memory."""


def index_id(kind: kinds.Kind) -> str:
    return f"children_{kind.plural}"


def slim(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the index keeps of a child: everything we render and compare, minus bulky bookkeeping."""
    metadata = body.get("metadata") or {}
    kept = {key: value for key, value in body.items() if key not in ("metadata", "status")}
    kept["metadata"] = {
        key: metadata[key]
        for key in ("name", "namespace", "labels", "annotations", "ownerReferences", "generation")
        if key in metadata
    }
    if body.get("kind") in KEPT_STATUS and "status" in body:
        kept["status"] = body["status"]
    return kept


def index_child(body: kopf.Body, **_: Any) -> dict[tuple[str, str], dict[str, Any]] | None:
    instance = (body.metadata.labels or {}).get(meta.LABEL_INSTANCE)
    if not instance or body.metadata.namespace is None:
        return None
    return {(body.metadata.namespace, instance): slim(body)}


def live_children(indexes: Mapping[str, Any], namespace: str, name: str) -> list[Mapping[str, Any]]:
    key = (namespace, name)
    return [obj for kind in kinds.CHILD_KINDS for obj in indexes[index_id(kind)].get(key, [])]


def kopf_login(settings: kopf.OperatorSettings) -> kopf.ConnectionInfo | None:
    """In a pod: the service account; elsewhere: the kubeconfig (``KUBECONFIG`` or ~/.kube/config)."""
    return kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(settings=settings)


def make_settings(config: OperatorConfig) -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = f"{meta.GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=meta.GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=meta.GROUP, key="last-handled-configuration"
    )
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 600
    settings.watching.client_timeout = 660
    settings.networking.request_timeout = 60
    for kind in kinds.CHILD_KINDS:
        settings.watching.label_selectors[kind.api_version, kind.plural] = f"{meta.LABEL_MANAGED_BY}={meta.MANAGER}"
    return settings


@dataclass
class Operator:
    registry: kopf.OperatorRegistry
    settings: kopf.OperatorSettings
    client: KubeClient
    reconciler: Reconciler


def build_operator(config: OperatorConfig, login: Login | None = None) -> Operator:
    """A registry with every handler bound to ``config``; run it with ``kopf.run``/``kopf.operator``."""
    settings = make_settings(config)
    client = KubeClient(login or (lambda: kopf_login(settings)))
    reconciler = Reconciler(client, config)
    registry = kopf.OperatorRegistry()
    operator = Operator(registry, settings, client, reconciler)

    @kopf.on.login(registry=registry)
    def login_handler(**_: Any) -> kopf.ConnectionInfo | None:
        return client.login()

    @kopf.on.startup(registry=registry)
    def start_metrics(**_: Any) -> None:
        metrics.serve(config.metrics_port)

    @kopf.on.cleanup(registry=registry)
    async def close_client(**_: Any) -> None:
        await client.close()

    for kind in kinds.CHILD_KINDS:
        kopf.index(
            kind.api_version,
            kind.plural,
            registry=registry,
            id=index_id(kind),
            labels={meta.LABEL_MANAGED_BY: meta.MANAGER},
        )(index_child)

    async def run(
        trigger: str,
        body: kopf.Body,
        patch: kopf.Patch,
        logger: kopf.Logger,
        memo: kopf.Memo,
        indexes: Mapping[str, Any],
    ) -> Outcome:
        lock = memo.setdefault("lock", asyncio.Lock())
        async with lock:
            live = live_children(indexes, body.metadata.namespace or "", body.metadata.name or "")
            outcome = await reconciler.reconcile(body, live, trigger=trigger, logger=logger, now=datetime.now(UTC))
        old = dict(body.get("status") or {})
        for key, value in status_patch(old, outcome.status).items():
            patch.status[key] = value
        old_messages = {c.get("message") for c in old.get("conditions") or []}
        for problem in outcome.problems:
            if problem.message not in old_messages:  # one Kubernetes Event per new problem, not per tick
                kopf.warn(body, reason=problem.reason, message=problem.message)
        return outcome

    @kopf.on.resume(*AGENTS, registry=registry, id="resume", retries=HANDLER_RETRIES)
    @kopf.on.create(*AGENTS, registry=registry, id="create", retries=HANDLER_RETRIES)
    @kopf.on.update(*AGENTS, registry=registry, id="update", retries=HANDLER_RETRIES)
    async def reconcile_handler(
        reason: str, body: kopf.Body, patch: kopf.Patch, logger: kopf.Logger, memo: kopf.Memo, **kwargs: Any
    ) -> None:
        outcome = await run(reason, body, patch, logger, memo, kwargs)
        if outcome.retry:
            # Transient (API unavailable, throttled): retried a few times, then the drift timer takes over.
            raise kopf.TemporaryError("; ".join(p.message for p in outcome.problems), delay=config.retry_delay_s)

    @kopf.timer(
        *AGENTS, registry=registry, id="drift", interval=config.drift_interval_s, initial_delay=config.drift_interval_s
    )
    async def drift_handler(
        body: kopf.Body, patch: kopf.Patch, logger: kopf.Logger, memo: kopf.Memo, **kwargs: Any
    ) -> None:
        await run("timer", body, patch, logger, memo, kwargs)

    return operator
