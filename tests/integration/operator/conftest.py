"""The real kopf operator, in a thread, against kmock (an in-memory Kubernetes API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import kmock
import pytest
from voiceagent_operator.config import OperatorConfig
from voiceagent_operator.testing import Emulator, OperatorThread, write_kubeconfig

DRIFT_INTERVAL_S = 0.5


@pytest.fixture()
async def k8s() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator, kmock.Server(emulator):
        yield emulator


@pytest.fixture()
async def operator(k8s: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OperatorThread]:
    """Logs in the way it does outside a cluster: through a kubeconfig (here pointing at kmock)."""
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", str(k8s.url))))
    config = OperatorConfig(
        drift_interval_s=DRIFT_INTERVAL_S,
        retry_delay_s=0.2,
        metrics_port=0,
        liveness_endpoint=None,
        peering=None,
        default_image="registry.test/services:1",
    )
    running = await OperatorThread(config).start()
    yield running
    await running.stop()
    assert running.error is None
