"""Running the real operator against kmock (a Kubernetes API emulator): for tests and the benchmark.

Not imported by the operator itself; needs the ``kmock`` dev dependency.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp.web
import jsonpatch
import kmock
import kopf
import yaml

from voiceagent_operator import kinds
from voiceagent_operator.config import OperatorConfig
from voiceagent_operator.handlers import build_operator
from voiceagent_operator.kube import APPLY_PATCH

RESOURCES: dict[str, kmock.ResourceInfo] = {
    # kopf lists these at start and waits forever, silently, when they are missing.
    "v1/namespaces": kmock.ResourceInfo(kind="Namespace", namespaced=False, verbs={"list", "watch", "get"}),
    "apiextensions.k8s.io/v1/customresourcedefinitions": kmock.ResourceInfo(
        kind="CustomResourceDefinition", namespaced=False, verbs={"list", "watch", "get"}
    ),
    "v1/events": kmock.ResourceInfo(kind="Event", namespaced=True, verbs={"create"}),
    "voiceagent.io/v1alpha1/voiceagents": kmock.ResourceInfo(
        kind="VoiceAgent",
        namespaced=True,
        subresources={"status"},
        shortnames={"va"},
        verbs={"get", "list", "watch", "patch", "create", "delete"},
    ),
    **{
        f"{kind.api_version}/{kind.plural}": kmock.ResourceInfo(
            kind=kind.kind, namespaced=True, verbs={"get", "list", "watch", "create", "patch", "delete"}
        )
        for kind in kinds.CHILD_KINDS
    },
}


class Emulator(kmock.KubernetesEmulator):
    """kmock's Kubernetes emulator, plus the metadata a real API server maintains.

    Kopf tells objects apart by uid: without one, the events of all children of
    a kind are batched as if they were one object, and most get lost. And kopf
    waits (up to ``settings.persistence.consistency_timeout``) for the
    ``resourceVersion`` its own patches produce, so every write gets a new one.

    kmock routes each request by replaying the whole request history through its
    filters, which grows quadratically; ``keep_history = False`` (for load, not
    for assertions on ``kmock`` requests) keeps only the request being served,
    while ``served`` still counts them all.
    """

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for resource, info in RESOURCES.items():
            self.resources[resource] = info
        self._versions = itertools.count(1)
        self.keep_history = True
        self.served = 0

    async def _handle(self, request: kmock.Request) -> Any:
        self.served += 1
        if not self.keep_history:
            del self._requests[:-1]
        version = str(next(self._versions))
        if (
            request.action == kmock.action.UPDATE
            and isinstance(request.data, dict)
            and request.headers.get("Content-Type", "").startswith(APPLY_PATCH)
        ):
            existing = self._find(request)
            if existing is None or existing.deleted:
                return await self._apply_create(request, version)
        if request.action == kmock.action.CREATE and isinstance(request.data, dict):
            metadata = request.data.setdefault("metadata", {})
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata.setdefault("generation", 1)
            metadata["resourceVersion"] = version
        elif request.action == kmock.action.UPDATE and isinstance(request.data, dict):
            request.data.setdefault("metadata", {})["resourceVersion"] = version
        elif request.action == kmock.action.UPDATE and isinstance(request.data, list):
            request.data.append({"op": "replace", "path": "/metadata/resourceVersion", "value": version})
        return await super()._handle(request)

    async def _apply_create(self, request: kmock.Request, version: str) -> Any:
        """Server-side apply creates what does not exist (kmock would answer 404)."""
        metadata = request.data.setdefault("metadata", {})
        metadata.update(uid=str(uuid.uuid4()), generation=1, resourceVersion=version)
        resource, name = request.resource, request.name
        assert resource is not None and name is not None  # an UPDATE always names its object
        key = (resource, request.namespace, name)
        async with self._lock:
            if key in self.objects:
                self.objects[key].create(request.data)
            else:
                self.objects[key] = request.data
            raw = self.objects[key].raw
            await self._buses[resource].put({"type": "ADDED", "object": raw})
        return aiohttp.web.json_response(raw)

    # kmock finds the object of a request by scanning every stored object; with thousands of
    # children that scan, not the operator, dominates. Same answers, by direct lookup:
    def _find(self, request: kmock.Request) -> Any:
        data = request.data if isinstance(request.data, dict) else {}
        namespace = request.namespace or data.get("metadata", {}).get("namespace")
        name = request.name or data.get("metadata", {}).get("name")
        if request.resource is None or not isinstance(name, str):
            return None
        try:
            return self.objects[request.resource, namespace, name]
        except KeyError:
            return None

    async def _serve_fetch(self, request: kmock.Request) -> Any:
        found = self._find(request)
        if found is None or found.deleted:
            raise kmock.KubernetesObjectNotFoundError()
        return found.raw

    async def _serve_create(self, request: kmock.Request) -> Any:
        return self._find(request).raw

    async def _serve_update(self, request: kmock.Request) -> Any:
        return self._find(request).last.raw

    async def _serve_delete(self, request: kmock.Request) -> Any:
        return self._find(request).last.raw

    async def _render_error(self, exc: Exception) -> Any:
        if isinstance(exc, jsonpatch.JsonPatchTestFailed):  # a stale resourceVersion in a "test" op
            exc = kmock.KubernetesError(status=422, reason="Invalid", message=str(exc))
        return await super()._render_error(exc)


def write_kubeconfig(path: Path, server_url: str) -> Path:
    """A kubeconfig pointing at ``server_url``, as ``KUBECONFIG`` for the operator's login."""
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "kmock",
                "clusters": [{"name": "kmock", "cluster": {"server": server_url}}],
                "users": [{"name": "kmock", "user": {"token": "kmock"}}],
                "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "kmock"}}],
            }
        )
    )
    return path


class OperatorThread:
    """The real kopf operator in a background thread with its own event loop.

    The emulator keeps running in the caller's loop: wait with ``await`` (see
    :func:`eventually`), never with ``time.sleep``, or it cannot answer.
    """

    def __init__(self, config: OperatorConfig, login: Callable[[], kopf.ConnectionInfo | None] | None = None):
        self.operator = build_operator(config, login=login)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="operator", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(
                kopf.operator(
                    registry=self.operator.registry,
                    settings=self.operator.settings,
                    clusterwide=True,
                    standalone=True,
                    stop_flag=self._stop,
                    ready_flag=self._ready,
                )
            )
        except BaseException as error:  # reported to the test, which would otherwise hang
            self.error = error

    async def start(self, timeout_s: float = 10.0) -> OperatorThread:
        self._thread.start()
        if not await asyncio.to_thread(self._ready.wait, timeout_s):
            raise RuntimeError(f"operator did not start within {timeout_s}s: {self.error!r}")
        return self

    async def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        await asyncio.to_thread(self._thread.join, timeout_s)


async def eventually(
    check: Callable[[], Any | Awaitable[Any]], timeout_s: float = 10.0, interval_s: float = 0.05
) -> Any:
    """Poll ``check`` until it returns something truthy (and return it) or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while True:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            last = result
        except (AssertionError, KeyError, ValueError) as error:
            last = error
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s}s: last result {last!r}")
        await asyncio.sleep(interval_s)
