"""Every gRPC service process starts healthy and exits cleanly on SIGTERM (Kubernetes' stop signal)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.stack.backends import BackendEndpoints
from services.stack.health import grpc_serving
from services.stack.processes import ManagedProcess, free_port, wait_until
from services.stack.stack import GRPC_COMPONENTS, REPO_ROOT, service_env

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("component", GRPC_COMPONENTS)
def test_sigterm_drains_and_exits_zero(component: str, backends: BackendEndpoints, tmp_path: Path) -> None:
    port = free_port()
    kb = tmp_path / "kb" / "library"  # a one-document knowledge base keeps rag's start-up index small
    kb.mkdir(parents=True)
    (kb / "hours.md").write_text("# Library hours\n\n## Opening times\nThe library opens at 8 am on weekdays.\n")
    env = service_env(
        backends,
        {
            "VA_GRPC_PORT": str(port),
            "VA_METRICS_PORT": "0",
            "VA_AGENT": f"lifecycle/{component}",
            "VA_QDRANT_PATH": str(tmp_path / "qdrant"),
            "VA_LOG_JSON": "false",
            "VA_KB_SOURCE": str(kb.parent),
        },
    )
    process = ManagedProcess(
        component, [sys.executable, "-m", f"services.{component}"], tmp_path / "log", env=env, cwd=REPO_ROOT
    ).start()
    try:
        wait_until(lambda: grpc_serving(f"127.0.0.1:{port}"), process, 180, component)
        assert process.popen is not None
        process.popen.send_signal(signal.SIGTERM)
        assert process.popen.wait(timeout=30) == 0, process.log_tail()
        log = (tmp_path / "log").read_text()
        assert "draining" in log and "stopped" in log
    except subprocess.TimeoutExpired:
        pytest.fail(f"{component} did not stop within 30 s of SIGTERM:\n{process.log_tail()}")
    finally:
        process.stop()
