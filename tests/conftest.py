"""Shared fixtures: real backends (DESIGN.md §4) and real service processes on free ports."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.stack.backends import BackendEndpoints, Backends
from services.stack.health import grpc_serving
from services.stack.processes import ManagedProcess, free_port, wait_until
from services.stack.stack import REPO_ROOT, service_env

# Keep numeric libraries from oversubscribing the 2 cores while tests run.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendEndpoints]:
    """Redis, S3 (SeaweedFS) and MongoDB-protocol servers for the whole test session."""
    running = Backends(tmp_path_factory.mktemp("backends"))
    endpoints = running.start()
    try:
        yield endpoints
    finally:
        running.stop()


ServiceStarter = Callable[..., str]


@pytest.fixture(scope="session")
def start_service(backends: BackendEndpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceStarter]:
    """Start ``python -m services.<name>`` as a real process; returns its gRPC address.

    Extra keyword arguments become environment variables (``VA_...``). Every
    process started is stopped at the end of the session.
    """
    started: list[ManagedProcess] = []
    logs = tmp_path_factory.mktemp("service-logs")

    def start(name: str, timeout_s: float = 120.0, **env: str) -> str:
        port = free_port()
        process = ManagedProcess(
            name,
            [sys.executable, "-m", f"services.{name}"],
            Path(logs) / f"{name}-{port}.log",
            env=service_env(backends, {"VA_GRPC_PORT": str(port), "VA_METRICS_PORT": "0", **env}),
            cwd=REPO_ROOT,
        ).start()
        started.append(process)
        address = f"127.0.0.1:{port}"
        wait_until(lambda: grpc_serving(address), process, timeout_s, name)
        return address

    yield start
    for process in reversed(started):
        process.stop()
