"""Voice-to-voice latency over the WebSocket, on the real local stack.

Every dev speech clip (/work/shared/data/speech) is streamed in real time, in
20 ms frames, to ``WS /v1/conversations/{id}`` (one fresh session per clip). The
clock starts when the frame holding the clip's last voiced sample
(``speech_end_s`` in the manifest) is sent, so the endpointing silence counts,
and stops at the first byte of reply audio. The caller keeps streaming silence,
like an open microphone; with other conversations running it listens to the
whole reply at the pace a phone plays it (the synthesis load is real), alone it
hangs up at the first audio (nothing else would compete for the CPU). Per-stage
times come from the gateway's ``audio_start`` / ``timings`` events. Heard to the
end, replies are also checked for stalls: reply audio that arrived after all the
audio before it would have been played (a gap the caller hears).

The clips are run at 1, 2, 5, 10, 15, 20 and 30 concurrent conversations (all clips
at each level, spread over the conversations) to find where latency saturates; the
started stack admits them all (a deployment's stt admits 16 streams per pod and
scales out). The conversations start at random times within ``--arrivals-s`` (10 s,
about one turn, as independent calls would); ``--arrivals-s 1`` measures a
thundering herd.

    python bench/voice_bench.py [--levels 1,2,5,10,15,20,30] [--clips N] [--endpoint-silence-ms MS]
                                [--curves cold,warm] [--no-draft-replies] [--arrivals-s S] [--seed N]
                                [--url URL --api-key KEY] [--out PATH]

``VA_BENCH_PARTIALS=false`` makes the callers telephony clients that ask for no partial transcripts.

Without ``--url`` it starts its own LocalStack (backends + six services + gateway) and empties the
answer caches (intent and rag in Redis, tts audio in S3) before each level of the cold curve, so
that every level measures first-time replies; the warm curve repeats the levels with filled caches
(questions asked before, as in a busy deployment).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from services.cli.client import GatewayClient, GatewayError, VoiceCall, read_wav, replies_done, silence, voice_call
from services.gateway.auth import hash_key
from services.stack.stack import LocalStack

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("VA_EVAL_DATA", REPO_ROOT.parent / "shared" / "data")) / "speech"
OUT = Path(__file__).resolve().parent / "results" / "voice.json"
FRAME_MS = 20
PARTIALS = os.environ.get("VA_BENCH_PARTIALS", "true") == "true"  # false: a telephony client (no captions)
REPLY_TIMEOUT_S = 40.0
# Calls arrive independently, so concurrent conversations are at random points of their turns: starts
# spread over about one turn (a clip and the reply heard to its end, ~10 s). Within 1 s every first
# utterance ends at once: 10 final decodes of ~150 ms each queue on 2 cores before any reply can start.
ARRIVALS_S = 10.0
TARGETS = {  # (concurrency, percentile) → target in ms
    (1, "p50"): 600.0,
    (1, "p95"): 900.0,
    (10, "p95"): 1500.0,
}
STAGES = (
    "endpoint_to_final",
    "stt",
    "intent",
    "rag",
    "fsm",
    "turn",
    "tts_queue",
    "tts_synthesize",
    "tts_first_audio",
    "reply_first_audio",
)


@dataclass
class Clip:
    name: str
    pcm: bytes
    rate: int
    speech_end_s: float
    voice: str


@dataclass
class Outcome:
    clip: str
    voice: str
    latency_ms: float | None = None  # last voiced frame sent → first reply audio byte
    stages: dict[str, float] = field(default_factory=dict)
    transcript: str = ""
    route: str = ""
    drafted: bool = False  # the reply was drafted from the tentative transcript during the hangover
    reply: str = ""
    stall_ms: float = 0.0  # silence a real-time player would have heard inside the replies (audio late)
    problem: str = ""  # why there is no latency (no speech recognized, error, ...)


def load_clips(limit: int | None) -> list[Clip]:
    clips = []
    for line in (DATA / "manifest.jsonl").read_text().splitlines():
        entry = json.loads(line)
        pcm, rate = read_wav(DATA / entry["audio"])
        clips.append(Clip(entry["audio"], pcm, rate, float(entry["speech_end_s"]), entry["voice"]))
    return clips[:limit] if limit else clips


async def run_clip(client: GatewayClient, clip: Clip, listen_to_end: bool) -> Outcome:
    """One caller turn; ``listen_to_end``: hear the whole (real-time paced) reply, else hang up at its start."""
    outcome = Outcome(clip.name, clip.voice)
    session_id = await asyncio.to_thread(client.create_session)
    speech_end_bytes = int(clip.speech_end_s * clip.rate) * 2
    last_voiced_at: list[float] = []

    def on_sent(sent_bytes: int) -> None:
        if not last_voiced_at and sent_bytes >= speech_end_bytes:
            last_voiced_at.append(time.perf_counter())

    def finished(call: VoiceCall) -> bool:
        if call.of_type("error"):
            return True
        return (
            replies_done(call)
            if listen_to_end
            else bool(call.of_type("audio_start")) and bool([e for e in call.of_type("transcript") if e["final"]])
        )

    config = {
        "sample_rate_hz": clip.rate,
        "output": {"encoding": "pcm16", "sample_rate_hz": 16_000},
        "partials": PARTIALS,
    }
    async with voice_call(client, session_id, config) as call:
        await call.send_audio(clip.pcm, clip.rate, FRAME_MS, realtime=True, on_sent=on_sent)
        deadline = time.perf_counter() + REPLY_TIMEOUT_S
        while not finished(call) and time.perf_counter() < deadline:  # the microphone stays open
            await call.send_audio(silence(clip.rate, 0.1), clip.rate, FRAME_MS, realtime=True)
        await call.send_json({"type": "end"})
    describe(outcome, call, last_voiced_at[0])
    return outcome


def describe(outcome: Outcome, call: VoiceCall, last_voiced_at: float) -> None:
    finals = [e for e in call.of_type("transcript") if e["final"] and e["text"].strip()]
    outcome.transcript = " | ".join(e["text"] for e in finals)
    if call.of_type("error"):
        outcome.problem = f"error: {call.of_type('error')[0]['message']}"
    elif not finals:
        outcome.problem = "no speech recognized"
    elif call.first_audio_at is None:
        outcome.problem = "no reply audio"
    elif call.first_audio_at < last_voiced_at:
        outcome.problem = "replied before the speech ended (utterance split by the endpointer)"
    else:
        outcome.latency_ms = (call.first_audio_at - last_voiced_at) * 1000.0
    answers = call.of_type("answer")
    outcome.route = answers[0]["route"] if answers else ""
    outcome.reply = answers[0]["text"] if answers else ""
    outcome.drafted = bool(answers and answers[0].get("drafted"))
    outcome.stall_ms = sum(call.stalls_s.values()) * 1000.0
    timings = call.of_type("timings") or call.of_type("audio_start")
    if timings:
        outcome.stages = dict(timings[0].get("stages", {}))
    if finals:
        outcome.stages["endpoint_to_final"] = (finals[0]["received_at"] - last_voiced_at) * 1000.0


async def run_level(client: GatewayClient, clips: list[Clip], concurrency: int, arrivals_s: float) -> list[Outcome]:
    """``concurrency`` conversations play the clips; each starts at a random time within ``arrivals_s``."""
    queue: asyncio.Queue[Clip] = asyncio.Queue()
    for clip in clips:
        queue.put_nowait(clip)
    outcomes: list[Outcome] = []

    async def conversation(worker: int) -> None:
        await asyncio.sleep(random.uniform(0, arrivals_s) if worker else 0)  # no lock-step start
        while not queue.empty():
            clip = queue.get_nowait()
            try:  # alone, hanging up early changes nothing; together, whole replies are the real load
                outcomes.append(await run_clip(client, clip, listen_to_end=concurrency > 1))
            except (GatewayError, OSError, TimeoutError) as error:
                outcomes.append(Outcome(clip.name, clip.voice, problem=f"{type(error).__name__}: {error}"))

    await asyncio.gather(*(conversation(worker) for worker in range(concurrency)))
    return outcomes


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarize(concurrency: int, outcomes: list[Outcome], elapsed_s: float) -> dict[str, Any]:
    latencies = sorted(o.latency_ms for o in outcomes if o.latency_ms is not None)
    summary: dict[str, Any] = {
        "concurrency": concurrency,
        "clips": len(outcomes),
        "measured": len(latencies),
        "wall_s": round(elapsed_s, 1),
    }
    if latencies:
        summary["voice_to_voice_ms"] = {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "mean": round(statistics.fmean(latencies), 1),
            "max": round(latencies[-1], 1),
            "unit": "ms",
        }
    stages: dict[str, Any] = {}
    for stage in STAGES:
        values = [o.stages[stage] for o in outcomes if o.latency_ms is not None and stage in o.stages]
        if values:
            stages[stage] = {
                "p50": round(percentile(values, 50), 1),
                "p95": round(percentile(values, 95), 1),
                "n": len(values),
                "unit": "ms",
            }
    summary["stages_ms"] = stages
    summary["drafted_replies"] = sum(o.drafted for o in outcomes if o.latency_ms is not None)
    if concurrency > 1:  # heard to the end: did later sentences arrive before the ones before had played?
        stalls = [o.stall_ms for o in outcomes if o.latency_ms is not None]
        summary["reply_stalls"] = {
            "replies_with_a_gap_over_50_ms": sum(ms > 50 for ms in stalls),
            "max_ms": round(max(stalls, default=0.0), 1),
            "total_ms": round(sum(stalls), 1),
        }
    problems: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.problem:
            key = outcome.problem.split(":")[0]
            problems[key] = problems.get(key, 0) + 1
    summary["not_measured"] = problems
    by_voice: dict[str, list[float]] = {}
    for outcome in outcomes:
        if outcome.latency_ms is not None:
            by_voice.setdefault(outcome.voice, []).append(outcome.latency_ms)
    summary["p50_by_voice_ms"] = {voice: round(statistics.median(v), 1) for voice, v in sorted(by_voice.items())}
    return summary


def targets(levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for caches in dict.fromkeys(level["caches"] for level in levels):
        for (concurrency, stat), target in TARGETS.items():
            level = next((lv for lv in levels if lv["concurrency"] == concurrency and lv["caches"] == caches), None)
            if level is None:
                continue
            value = level["voice_to_voice_ms"][stat] if "voice_to_voice_ms" in level else None
            rows.append(
                {
                    "name": f"voice_to_voice_{stat}_at_{concurrency}_concurrent_{caches}_caches",
                    "value": value,
                    "unit": "ms",
                    "target": target,
                    "pass": value is not None and value <= target,
                }
            )
    return rows


def cache_flusher(backends: dict[str, str]) -> Callable[[], None]:
    """Empties the stack's answer caches (intent and rag in Redis, tts audio in S3) so a level starts cold."""

    def flush() -> None:
        import redis
        from minio import Minio

        with redis.Redis.from_url(backends["VA_REDIS_URL"]) as client:
            for key in client.scan_iter(match="va:*:cache:*", count=1000):
                client.delete(key)
        s3 = Minio(
            backends["VA_S3_ENDPOINT"],
            access_key=backends["VA_S3_ACCESS_KEY"],
            secret_key=backends["VA_S3_SECRET_KEY"],
            secure=False,
        )
        bucket = backends["VA_S3_BUCKET"]
        for item in s3.list_objects(bucket, recursive=True):
            if item.object_name and "/tts/" in item.object_name:
                s3.remove_object(bucket, item.object_name)

    return flush


async def run_pass(
    client: GatewayClient, clips: list[Clip], concurrency: int, caches: str, arrivals_s: float
) -> dict[str, Any]:
    started = time.perf_counter()
    outcomes = await run_level(client, clips, concurrency, arrivals_s)
    summary = summarize(concurrency, outcomes, time.perf_counter() - started)
    summary["caches"] = caches
    summary["outcomes"] = [
        vars(o)
        | {
            "latency_ms": round(o.latency_ms, 1) if o.latency_ms else None,
            "stages": {k: round(v, 1) for k, v in o.stages.items()},
        }
        for o in sorted(outcomes, key=lambda o: o.clip)
    ]
    print(json.dumps({k: v for k, v in summary.items() if k not in {"outcomes", "stages_ms"}}))
    return summary


async def measure(
    client: GatewayClient,
    clips: list[Clip],
    levels: list[int],
    flush: Callable[[], None] | None,
    curves: list[str],
    arrivals_s: float,
) -> list[dict[str, Any]]:
    """The cold curve empties the answer caches before each level (when the stack is ours), so that
    every level hears first-time replies; the warm curve runs after them, with the caches filled."""
    await run_clip(client, clips[0], listen_to_end=False)  # warm-up: first model calls are slow
    results = []
    for caches in curves:
        if caches == "warm" and "cold" not in curves:
            await run_level(client, clips, 2, arrivals_s)  # fill the caches
        for concurrency in levels:
            if caches == "cold" and flush is not None:
                await asyncio.to_thread(flush)
            label = caches if flush is not None or caches == "warm" else "as found"
            results.append(await run_pass(client, clips, concurrency, label, arrivals_s))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,2,5,10,15,20,30", help="Concurrent conversations, comma-separated")
    parser.add_argument("--clips", type=int, default=None, help="Use only the first N clips")
    parser.add_argument("--url", default=None, help="Gateway of a running stack (default: start one)")
    parser.add_argument("--api-key", default=os.environ.get("VA_API_KEY"), help="API key for --url")
    parser.add_argument(
        "--endpoint-silence-ms",
        type=int,
        default=0,
        help="VA_ENDPOINT_SILENCE_MS for the started stack (0 = the default endpointing)",
    )
    parser.add_argument(
        "--curves", default="cold,warm", help="cold (caches emptied before each level), warm (caches filled), or both"
    )
    parser.add_argument(
        "--no-draft-replies",
        action="store_true",
        help="VA_DRAFT_REPLIES=false for the started stack: replies only start on the final transcript",
    )
    parser.add_argument(
        "--arrivals-s",
        type=float,
        default=ARRIVALS_S,
        help="Conversations start at random times within this many seconds (1 = a thundering herd)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="Seed of the arrival times (the same seed replays the same arrivals)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    random.seed(args.seed)
    levels = [int(level) for level in args.levels.split(",")]
    clips = load_clips(args.clips)

    stack: LocalStack | None = None
    flush: Callable[[], None] | None = None
    url, key = args.url, args.api_key
    if url is None:
        key = secrets.token_urlsafe(16)
        stack = LocalStack(
            extra_env={
                "VA_API_KEYS": f"bench:{hash_key(key)}",
                "VA_RATE_LIMIT_PER_MINUTE": "0",
                "VA_MAX_CONCURRENT_SESSIONS_PER_KEY": str(max(levels) + 5),
                # One stt process admits 16 streams; above that the curve measures the cores, not admission.
                "VA_STT_MAX_STREAMS": str(max(levels) + 5),
                "VA_ENDPOINT_SILENCE_MS": str(args.endpoint_silence_ms),
                "VA_DRAFT_REPLIES": str(not args.no_draft_replies).lower(),
            }
        )
        info = stack.start(timeout_s=300)
        url, flush = info.gateway_url, cache_flusher(info.backends)
    client = GatewayClient(url, key)
    try:
        results = asyncio.run(measure(client, clips, levels, flush, args.curves.split(","), args.arrivals_s))
    finally:
        client.close()
        if stack is not None:
            stack.stop()

    report = {
        "benchmark": "voice-to-voice latency over the WebSocket",
        "definition": "last voiced audio frame sent (clip speech_end_s) → first reply audio byte received; "
        "clips streamed in real time in 20 ms frames; one session per clip; replies paced in "
        "real time and heard to the end when conversations run concurrently; cold: answer "
        "caches (intent, rag, tts audio) emptied before the level; warm: caches filled",
        "data": f"{DATA} ({len(clips)} clips)",
        "arrivals_s": args.arrivals_s,
        "arrivals_seed": args.seed,
        "endpoint_silence_ms": args.endpoint_silence_ms or "stt default",
        "draft_replies": not args.no_draft_replies,
        "partial_transcripts": PARTIALS,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
            "note": "2 cores shared with other work while measured: timings are noisy; the benchmark "
            "client runs on the same cores as the stack",
        },
        "targets": targets(results),
        "levels": [{k: v for k, v in level.items() if k != "outcomes"} for level in results],
        "outcomes": {f"{level['concurrency']}-{level['caches']}": level["outcomes"] for level in results},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report["targets"], indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
