"""Booking dialogues benchmark: every dev dialogue through the real booking service.

Runs ``BookingService`` in-process on a real Redis and a real MongoDB-protocol
server (nx-27017), started like the test backends. Each dialogue gets its own
agent (so its own database) with its ``existing`` bookings inserted first, and
is played with its own ``now``: the first turn through ``start`` (an opening
utterance), the rest through ``turn``. A dialogue passes when the outcome, the
booked slots (checked in MongoDB too) and the set of refused turns are exactly
the expected ones. Turn latency is wall time of one call minus its MongoDB write.

    python bench/fsm_bench.py [--data PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from services.fsm.appointments import AppointmentStore, Draft
from services.fsm.flow import Flow, Stage
from services.fsm.rules import BookingRules
from services.fsm.service import BookingService, TurnResult
from services.fsm.sessions import FlowStore
from services.stack.backends import start_mongo, start_redis

DATA = Path("/work/shared/data/dialogues-dev.jsonl")
OUT = Path(__file__).resolve().parent / "results" / "fsm.json"
ACCURACY_TARGET = 0.95
P50_TARGET_MS = 10.0
OUTCOME_OF_STAGE = {Stage.COMPLETED: "booked", Stage.CANCELLED: "cancelled", Stage.HANDOFF: "handoff"}


@dataclass
class Played:
    id: str
    outcome: str
    rejected: list[int]
    flow: Flow
    stored: list[dict[str, Any]]
    latencies_ms: list[float] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


def problems(dialogue: dict[str, Any], played: Played) -> list[str]:
    """Why a played dialogue differs from its expectation (empty when it passes)."""
    expect = dialogue["expect"]
    found = []
    if played.outcome != expect["outcome"]:
        found.append(f"outcome {played.outcome!r}, expected {expect['outcome']!r}")
    if played.rejected != expect["rejected_turns"]:
        found.append(f"refused turns {played.rejected}, expected {expect['rejected_turns']}")
    booked = [doc for doc in played.stored if doc["status"] == "booked"]
    if expect["outcome"] != "booked":
        if booked:
            found.append(f"something was booked: {booked}")
        return found
    want, slots = expect["slots"], played.flow.slots
    checks = {
        "preferred_date": slots.preferred_date == want["preferred_date"],
        "preferred_time": slots.preferred_time == want["preferred_time"],
        "purpose": want["purpose_contains"].lower() in (slots.purpose or "").lower(),
        "user_name": (slots.user_name or "").casefold() == want["user_name"].casefold(),
    }
    found += [
        f"{slot} {slots.get(slot)!r}, expected {want.get(slot, want.get('purpose_contains'))!r}"
        for slot, ok in checks.items()
        if not ok
    ]
    if len(booked) != 1 or (
        booked and (booked[0]["date"], booked[0]["time"]) != (slots.preferred_date, slots.preferred_time)
    ):
        found.append(f"MongoDB holds {len(booked)} bookings of this dialogue instead of the confirmed one")
    return found


async def play(dialogue: dict[str, Any], redis: Redis, mongo: AsyncMongoClient) -> Played:
    agent = f"bench/{dialogue['id'].lower()}"
    appointments = AppointmentStore(mongo, agent.replace("/", "--"), agent)
    await appointments.ensure_indexes()
    for index, taken in enumerate(dialogue["existing"]):
        await appointments.book(
            Draft(taken["date"], taken["time"], "existing booking", f"Caller {index}", "someone-else"),
            idempotency_key=f"existing-{index}",
        )
    service = BookingService(BookingRules(), FlowStore(redis, f"va:{agent}:", 1800, 10.0), appointments)
    session, now = f"bench-{dialogue['id']}", dialogue["now"]
    latencies, writes, replies, rejected = [], [], [], []
    result: TurnResult | None = None
    for index, text in enumerate(dialogue["turns"]):
        if result is not None and result.decision.flow.finished:
            break
        began = time.perf_counter()
        if index == 0:
            result = await service.start(session, now=now, text=text)
        else:
            result = await service.turn(session, text, now=now)
        elapsed_ms = (time.perf_counter() - began) * 1000.0
        write_ms = result.stages.get("book", 0.0)
        latencies.append(elapsed_ms - write_ms)
        if write_ms:
            writes.append(write_ms)
        replies.append(result.decision.reply)
        if result.decision.refusals:
            rejected.append(index)
    assert result is not None
    flow = result.decision.flow
    stored = await appointments.collection.find({"session_id": session}).to_list(None)
    return Played(
        dialogue["id"],
        OUTCOME_OF_STAGE.get(flow.stage, "abandoned"),
        rejected,
        flow,
        stored,
        latencies,
        writes,
        replies,
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(dialogues: list[dict[str, Any]], redis_url: str, mongo_url: str) -> dict[str, Any]:
    redis = Redis.from_url(redis_url)
    mongo: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        played = [await play(dialogue, redis, mongo) for dialogue in dialogues]
    finally:
        await redis.aclose()
        await mongo.close()
    failures = []
    for dialogue, result in zip(dialogues, played, strict=True):
        why = problems(dialogue, result)
        if why:
            failures.append(
                {
                    "id": dialogue["id"],
                    "why": why,
                    "turns": dialogue["turns"],
                    "replies": result.replies,
                    "final_state": result.flow.stage.value,
                    "final_slots": result.flow.slots.model_dump(),
                }
            )
    latencies = [ms for result in played for ms in result.latencies_ms]
    writes = [ms for result in played for ms in result.write_ms]
    accuracy = (len(dialogues) - len(failures)) / len(dialogues)
    p50 = statistics.median(latencies)
    return {
        "benchmark": "fsm booking dialogues",
        "data": str(DATA.name),
        "backends": "real redis-server + nx-27017 (MongoDB wire protocol), BookingService in-process",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "note": "2 cores shared with other work while measured: timings are noisy",
        },
        "dialogues": {"total": len(dialogues), "passed": len(dialogues) - len(failures)},
        "targets": {
            "dialogue_accuracy": {
                "value": round(accuracy, 4),
                "unit": "fraction",
                "target": ACCURACY_TARGET,
                "pass": accuracy >= ACCURACY_TARGET,
            },
            "turn_latency_p50_excluding_mongo_write": {
                "value": round(p50, 3),
                "unit": "ms",
                "target": P50_TARGET_MS,
                "pass": p50 <= P50_TARGET_MS,
            },
        },
        "measurements": {
            "turns": len(latencies),
            "turn_latency_p95_excluding_mongo_write": {"value": round(percentile(latencies, 0.95), 3), "unit": "ms"},
            "turn_latency_max_excluding_mongo_write": {"value": round(max(latencies), 3), "unit": "ms"},
            "mongo_write_p50": {
                "value": round(statistics.median(writes), 3) if writes else None,
                "unit": "ms",
                "count": len(writes),
            },
        },
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    dialogues = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="fsm-bench-") as workdir:
        redis_process, redis_url = start_redis(Path(workdir))
        try:
            mongo_process, mongo_url = start_mongo(Path(workdir))
            try:
                report = asyncio.run(run(dialogues, redis_url, mongo_url))
            finally:
                mongo_process.stop()
        finally:
            redis_process.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    targets = report["targets"]
    print(
        f"dialogues {report['dialogues']['passed']}/{report['dialogues']['total']} "
        f"(accuracy {targets['dialogue_accuracy']['value']:.3f}, target ≥ {ACCURACY_TARGET}); "
        f"turn p50 {targets['turn_latency_p50_excluding_mongo_write']['value']:.2f} ms "
        f"(target ≤ {P50_TARGET_MS} ms, excluding the MongoDB write)"
    )
    for failure in report["failures"]:
        print(f"  FAIL {failure['id']}: {'; '.join(failure['why'])}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
