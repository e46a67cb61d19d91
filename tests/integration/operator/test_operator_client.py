"""The operator's own API client against the emulator: apply, create, get, delete, errors, re-login."""

from __future__ import annotations

import kopf
import pytest
from voiceagent_operator import kinds
from voiceagent_operator.kube import ApiError, KubeClient
from voiceagent_operator.testing import Emulator

pytestmark = pytest.mark.integration

CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": {"a": "1"}}


async def test_verbs(k8s: Emulator) -> None:
    logins: list[int] = []

    def login() -> kopf.ConnectionInfo:
        logins.append(1)
        return kopf.ConnectionInfo(server=str(k8s.url))

    client = KubeClient(login)
    try:
        assert await client.get(kinds.CONFIG_MAP, "ns", "c") is None
        created = await client.apply(CONFIG_MAP)
        assert created["data"] == {"a": "1"} and created["metadata"]["uid"]
        updated = await client.apply({**CONFIG_MAP, "data": {"a": "2"}})
        assert updated["data"] == {"a": "2"} and updated["metadata"]["uid"] == created["metadata"]["uid"]
        fetched = await client.get(kinds.CONFIG_MAP, "ns", "c")
        assert fetched is not None and fetched["data"] == {"a": "2"}
        assert await client.create(CONFIG_MAP) is None  # already exists: a no-op, not an error
        assert await client.delete(kinds.CONFIG_MAP, "ns", "c") is True
        assert await client.delete(kinds.CONFIG_MAP, "ns", "c") is False
        k8s["get /api/v1/namespaces/ns/configmaps/denied"] << 403 << {"reason": "Forbidden", "message": "RBAC"}
        with pytest.raises(ApiError) as error:
            await client.get(kinds.CONFIG_MAP, "ns", "denied")
        assert (error.value.status, error.value.reason, error.value.transient) == (403, "Forbidden", False)
        k8s["get /api/v1/namespaces/ns/configmaps/busy"] << 429 << {"reason": "TooManyRequests", "message": "slow"}
        with pytest.raises(ApiError) as error:
            await client.get(kinds.CONFIG_MAP, "ns", "busy")
        assert error.value.transient
        assert len(logins) == 1  # credentials are reused, not fetched per request
        k8s["get /api/v1/namespaces/ns/configmaps/expired"][:1] << 401 << {"reason": "Unauthorized"}
        assert await client.get(kinds.CONFIG_MAP, "ns", "expired") is None  # 401: log in again, retry once
        assert len(logins) == 2
    finally:
        await client.close()


async def test_unreachable_server_is_a_transient_error() -> None:
    client = KubeClient(lambda: kopf.ConnectionInfo(server="http://127.0.0.1:9"), timeout_s=2)
    try:
        with pytest.raises(ApiError) as error:
            await client.get(kinds.CONFIG_MAP, "ns", "c")
        assert error.value.status == 0 and error.value.transient
    finally:
        await client.close()


async def test_missing_credentials_are_reported() -> None:
    client = KubeClient(lambda: None)
    with pytest.raises(kopf.LoginError):
        await client.get(kinds.CONFIG_MAP, "ns", "c")
