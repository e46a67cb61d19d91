"""Operator benchmark: the real operator process (``python -m voiceagent_operator``) against kmock.

Measures
  * create-to-applied latency: a VoiceAgent is created, until all its children exist;
  * scale: 200 VoiceAgents created at once, until every child exists and every
    agent reports a status; total time, API requests, and the operator's peak
    memory (VmHWM: peak resident set size of its process).

Run from the repository root:  python bench/operator_bench.py   (writes bench/results/operator.json)
The API emulator runs in this process, the operator in a child process; both
share the machine, so the numbers are an upper bound for the operator alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import kmock
import yaml
from voiceagent_operator import kinds, meta
from voiceagent_operator.testing import RESOURCES, Emulator, write_kubeconfig

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "operator.json"
SAMPLE = REPO / "k8s" / "samples" / "minimal.yaml"
CHILDREN_PER_AGENT = 38
LATENCY_SAMPLES = 5
AGENTS = 200
NAMESPACES = 10
TIMEOUT_S = 150.0


def agent_body(name: str, namespace: str) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(SAMPLE.read_text())
    body["metadata"] = {"name": name, "namespace": namespace}
    return body


def children_by_agent(emulator: Emulator) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for (resource, namespace, _), obj in list(emulator.objects.items()):
        if resource.plural in ("voiceagents", "events") or obj.deleted:
            continue
        labels = obj.raw.get("metadata", {}).get("labels") or {}
        if labels.get(meta.LABEL_MANAGED_BY) == meta.MANAGER:
            key = (namespace or "", labels[meta.LABEL_INSTANCE])
            counts[key] = counts.get(key, 0) + 1
    return counts


def reported(emulator: Emulator) -> int:
    return sum(
        1
        for (resource, _, _), obj in list(emulator.objects.items())
        if resource.plural == "voiceagents" and not obj.deleted and obj.raw.get("status", {}).get("phase")
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


async def wait_for(check: Any, timeout_s: float = TIMEOUT_S, interval_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the operator did not finish in time")
        await asyncio.sleep(interval_s)


async def create(emulator: Emulator, name: str, namespace: str) -> None:
    async with emulator.post(kinds.VOICE_AGENT.path(namespace), json=agent_body(name, namespace)) as response:
        if response.status != 200:
            raise RuntimeError(await response.text())


def start_operator(kubeconfig: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "VA_OPERATOR_PEERING": "",
        "VA_OPERATOR_METRICS_PORT": "0",
        "VA_OPERATOR_LIVENESS_ENDPOINT": "",
        "VA_OPERATOR_LOG_LEVEL": "WARNING",
        "VA_OPERATOR_LOG_JSON": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "voiceagent_operator"],
        env=env,
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def run() -> dict[str, Any]:
    async with Emulator() as emulator, kmock.Server(emulator):
        emulator.keep_history = False
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "operator.log"
            operator = start_operator(write_kubeconfig(Path(tmp) / "kubeconfig", str(emulator.url)), log)
            try:
                await wait_for(lambda: emulator.served > len(RESOURCES), timeout_s=30)  # watching
                await asyncio.sleep(1)
                idle = memory_kib(operator.pid)["VmRSS"]

                latencies = []
                for index in range(LATENCY_SAMPLES):
                    key = ("latency", f"agent-{index}")
                    started = time.perf_counter()
                    await create(emulator, key[1], key[0])
                    await wait_for(
                        lambda key=key: children_by_agent(emulator).get(key) == CHILDREN_PER_AGENT, interval_s=0.005
                    )
                    latencies.append(time.perf_counter() - started)

                requests_before = emulator.served
                cpu_before = cpu_seconds(operator.pid)
                started = time.perf_counter()
                await asyncio.gather(
                    *(create(emulator, f"agent-{i}", f"tenant-{i % NAMESPACES}") for i in range(AGENTS))
                )
                created = time.perf_counter() - started

                def all_done() -> bool:
                    counts = children_by_agent(emulator)
                    done = sum(1 for (ns, _), n in counts.items() if ns != "latency" and n == CHILDREN_PER_AGENT)
                    return done == AGENTS and reported(emulator) == AGENTS + LATENCY_SAMPLES

                await wait_for(all_done, interval_s=0.2)
                total = time.perf_counter() - started
                cpu = cpu_seconds(operator.pid) - cpu_before
                memory = memory_kib(operator.pid)
            finally:
                operator.terminate()
                operator.wait(timeout=30)
            errors = [line for line in log.read_text().splitlines() if "ERROR" in line or "Traceback" in line]

    return {
        "create_to_applied_s": {
            "children": CHILDREN_PER_AGENT,
            "median": round(statistics.median(latencies), 3),
            "max": round(max(latencies), 3),
            "samples": [round(value, 3) for value in latencies],
        },
        "bulk": {
            "agents": AGENTS,
            "namespaces": NAMESPACES,
            "children": AGENTS * CHILDREN_PER_AGENT,
            "create_requests_s": round(created, 3),
            "total_s": round(total, 2),
            "agents_per_s": round(AGENTS / total, 1),
            "api_requests": emulator.served - requests_before,
            "operator_cpu_s": round(cpu, 1),
        },
        "operator_memory_mib": {
            "idle_rss": round(idle / 1024, 1),
            "final_rss": round(memory["VmRSS"] / 1024, 1),
            "peak_rss": round(memory["VmHWM"] / 1024, 1),
        },
        "operator_log_errors": {"count": len(errors), "first": errors[:3]},
        "environment": {
            "python": platform.python_version(),
            "kopf": version("kopf"),
            "kmock": version("kmock"),
            "cpus": os.cpu_count(),
            "note": "API emulator (kmock) in the benchmark process, operator in a child process, same machine",
        },
    }


def main() -> None:
    results = asyncio.run(run())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
