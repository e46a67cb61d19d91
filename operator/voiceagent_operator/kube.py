"""A small asyncio Kubernetes client for the children, using kopf's own credentials.

Kopf logs in through the operator's ``@kopf.on.login`` handler, which also
hands the resulting :class:`kopf.ConnectionInfo` to this client, so both talk
to the API server as the same identity. Children are written with server-side
apply (field manager ``voiceagent-operator``): fields we stop rendering are
removed, fields others own (the HPA's ``replicas``) are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import kopf

from voiceagent_operator import meta
from voiceagent_operator.kinds import Kind, kind_of

TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
APPLY_PATCH = "application/apply-patch+yaml"

Login = Callable[[], kopf.ConnectionInfo | None]


class ApiError(Exception):
    """A failed API call; ``status`` is 0 when the server could not be reached at all."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}" if status else f"{reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def transient(self) -> bool:
        return self.status == 0 or self.status in TRANSIENT_STATUSES


class KubeClient:
    """Get, apply, create and delete namespaced objects; re-login once on HTTP 401."""

    def __init__(self, login: Login, *, field_manager: str = meta.MANAGER, timeout_s: float = 30.0) -> None:
        self._login = login
        self._field_manager = field_manager
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._info: kopf.ConnectionInfo | None = None
        self._session: aiohttp.ClientSession | None = None
        self._session_info: kopf.ConnectionInfo | None = None

    def use(self, info: kopf.ConnectionInfo | None) -> None:
        """Adopt fresh credentials (from kopf's login); the next request reconnects with them."""
        self._info = info

    def login(self) -> kopf.ConnectionInfo | None:
        info = self._login()
        self.use(info)
        return info

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _open(self) -> aiohttp.ClientSession:
        info = self._info or self.login()
        if info is None:
            raise kopf.LoginError("no Kubernetes credentials: neither a service account nor a kubeconfig")
        if self._session is not None and self._session_info is not info:
            await self.close()
        if self._session is None:
            self._session_info = info
            self._session = aiohttp.ClientSession(
                base_url=info.server.rstrip("/") + "/",
                connector=aiohttp.TCPConnector(ssl=info.as_ssl_context(), limit=32),
                headers={"User-Agent": meta.MANAGER, **info.as_http_headers()},
                proxy=info.proxy_url,
                trust_env=info.trust_env,
                timeout=self._timeout,
            )
        return self._session

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        retry_login: bool = True,
    ) -> dict[str, Any]:
        session = await self._open()
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type} if data is not None else {}
        try:
            async with session.request(method, path.lstrip("/"), params=params, data=data, headers=headers) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ApiError(0, type(error).__name__, str(error) or "request failed") from error
        if status == 401 and retry_login:
            self.login()
            return await self._request(
                method, path, params=params, body=body, content_type=content_type, retry_login=False
            )
        try:
            payload = json.loads(text) if text else {}
        except ValueError:
            payload = {"message": text[:200]}
        if status >= 400:
            raise ApiError(status, str(payload.get("reason") or "Error"), str(payload.get("message") or text[:200]))
        return payload if isinstance(payload, dict) else {}

    async def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return await self._request("GET", kind.path(namespace, name))
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Server-side apply ``obj`` (creating it if needed) with forced ownership of its fields."""
        kind, namespace, name = kind_of(obj), obj["metadata"]["namespace"], obj["metadata"]["name"]
        return await self._request(
            "PATCH",
            kind.path(namespace, name),
            body=obj,
            content_type=APPLY_PATCH,
            params={"fieldManager": self._field_manager, "force": "true"},
        )

    async def create(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
        """Create ``obj``; ``None`` if it already exists (creation is then a no-op)."""
        kind, namespace = kind_of(obj), obj["metadata"]["namespace"]
        try:
            return await self._request(
                "POST", kind.path(namespace), params={"fieldManager": self._field_manager}, body=obj
            )
        except ApiError as error:
            if error.status == 409:  # a create conflicts only with an existing object
                return None
            raise

    async def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        """Delete in the background (dependents are garbage-collected); ``False`` if already gone."""
        try:
            await self._request("DELETE", kind.path(namespace, name), params={"propagationPolicy": "Background"})
        except ApiError as error:
            if error.status == 404:
                return False
            raise
        return True
