"""The real gateway process (uvicorn) against the real Redis of the test session."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.gateway.auth import hash_key
from services.stack.backends import BackendEndpoints
from services.stack.health import http_ready
from services.stack.processes import ManagedProcess, free_port, wait_until
from services.stack.stack import REPO_ROOT, service_env

KEY_A, KEY_B = "integration-key-a", "integration-key-b"
API_KEYS = f"tenant-a:{hash_key(KEY_A)},tenant-b:{hash_key(KEY_B)}"


@dataclass
class RunningGateway:
    url: str
    metrics_port: int
    process: ManagedProcess

    def log(self) -> str:
        return self.process.log_path.read_text(errors="replace")


GatewayStarter = Callable[..., RunningGateway]


def dead_target() -> str:
    """A loopback port nobody listens on: the downstream is down."""
    return f"127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def key_a() -> str:
    return KEY_A


@pytest.fixture(scope="session")
def key_b() -> str:
    return KEY_B


@pytest.fixture(scope="session")
def start_gateway(backends: BackendEndpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStarter]:
    """Start ``python -m services.gateway``; keyword arguments become VA_ variables (targets default to dead)."""
    started: list[ManagedProcess] = []
    logs = tmp_path_factory.mktemp("gateway-logs")

    def start(**env: str) -> RunningGateway:
        http_port, metrics_port = free_port(), free_port()
        targets = {f"VA_{name}_TARGET": dead_target() for name in ("STT", "INTENT", "RAG", "TTS", "FSM")}
        process = ManagedProcess(
            "gateway",
            [sys.executable, "-m", "services.gateway"],
            Path(logs) / f"gateway-{http_port}.log",
            env=service_env(
                backends,
                {
                    **targets,
                    "VA_HTTP_PORT": str(http_port),
                    "VA_METRICS_PORT": str(metrics_port),
                    "VA_API_KEYS": API_KEYS,
                    **env,
                },
            ),
            cwd=REPO_ROOT,
        ).start()
        started.append(process)
        url = f"http://127.0.0.1:{http_port}"
        wait_until(lambda: http_ready(f"{url}/health/live"), process, 60, "gateway")
        return RunningGateway(url, metrics_port, process)

    yield start
    for process in reversed(started):
        process.stop()
