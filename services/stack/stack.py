"""The local stack: real backends plus the six service processes, on free ports.

Used by ``voiceagent up`` and by the end-to-end test fixtures, so both run the
very same thing. ``LocalStack`` is a context manager; leaving it (normally, by
Ctrl-C or by an error) stops every child.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from services.stack.backends import BackendEndpoints, Backends
from services.stack.health import grpc_serving, http_ready
from services.stack.processes import ManagedProcess, free_port, wait_until

GRPC_COMPONENTS = ("stt", "intent", "rag", "tts", "fsm")
REPO_ROOT = Path(__file__).resolve().parents[2]
STATE_FILE = Path(os.environ.get("VA_STACK_STATE", Path.home() / ".cache" / "voiceagent" / "stack.json"))


@dataclass
class ServiceInfo:
    name: str
    address: str  # host:port of gRPC, or the gateway's base URL
    metrics_port: int
    pid: int | None = None


@dataclass
class StackInfo:
    workdir: str
    backends: dict[str, str]
    services: dict[str, ServiceInfo] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return self.services["gateway"].address

    def save(self, path: Path = STATE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path = STATE_FILE) -> StackInfo:
        raw = json.loads(path.read_text())
        return cls(raw["workdir"], raw["backends"], {k: ServiceInfo(**v) for k, v in raw["services"].items()})


def service_env(endpoints: BackendEndpoints, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        **endpoints.env(),
        "VA_HOST": "127.0.0.1",
        "VA_KB_SOURCE": str(REPO_ROOT / "kb"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra or {})
    return env


class LocalStack:
    """Backends plus services; ``components`` limits which gRPC services start."""

    def __init__(
        self,
        workdir: Path | None = None,
        components: tuple[str, ...] = GRPC_COMPONENTS,
        gateway: bool = True,
        extra_env: dict[str, str] | None = None,
        log_json: bool = True,
        redis_dir: Path | None = None,
    ) -> None:
        """``redis_dir``: keep the Redis data there across runs (the dev stack: the knowledge base's
        embeddings are cached in Redis, so a restart indexes in a second instead of minutes)."""
        self._owns_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="voiceagent-stack-"))
        self.components = components
        self.gateway = gateway
        self.extra_env = {"VA_LOG_JSON": "true" if log_json else "false", **(extra_env or {})}
        self.backends = Backends(self.workdir, redis_dir)
        self.processes: list[ManagedProcess] = []
        self.info: StackInfo | None = None

    def __enter__(self) -> StackInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, env: dict[str, str]) -> ManagedProcess:
        process = ManagedProcess(
            name,
            [sys.executable, "-m", f"services.{name}"],
            self.workdir / "logs" / f"{name}.log",
            env=env,
            cwd=REPO_ROOT,
        ).start()
        self.processes.append(process)
        return process

    def start(self, timeout_s: float = 120.0) -> StackInfo:
        try:
            endpoints = self.backends.start()
            info = StackInfo(str(self.workdir), endpoints.env())
            env = service_env(endpoints, self.extra_env)
            started: list[tuple[ManagedProcess, str]] = []
            for name in self.components:
                grpc_port, metrics_port = free_port(), free_port()
                process = self._spawn(
                    name, {**env, "VA_GRPC_PORT": str(grpc_port), "VA_METRICS_PORT": str(metrics_port)}
                )
                address = f"127.0.0.1:{grpc_port}"
                info.services[name] = ServiceInfo(name, address, metrics_port, process.pid)
                started.append((process, address))
            for process, address in started:  # models load in parallel; wait for each
                wait_until(functools.partial(grpc_serving, address), process, timeout_s, process.name)
            if self.gateway:
                http_port, metrics_port = free_port(), free_port()
                targets = {f"VA_{name.upper()}_TARGET": info.services[name].address for name in self.components}
                process = self._spawn(
                    "gateway", {**env, **targets, "VA_HTTP_PORT": str(http_port), "VA_METRICS_PORT": str(metrics_port)}
                )
                url = f"http://127.0.0.1:{http_port}"
                info.services["gateway"] = ServiceInfo("gateway", url, metrics_port, process.pid)
                wait_until(lambda: http_ready(f"{url}/health/live"), process, timeout_s, "gateway")
        except BaseException:
            self.stop()
            raise
        self.info = info
        return info

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.backends.stop()
        if self._owns_workdir and not os.environ.get("VA_KEEP_STACK_LOGS"):
            shutil.rmtree(self.workdir, ignore_errors=True)
