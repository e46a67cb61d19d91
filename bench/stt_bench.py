"""STT benchmark → bench/results/stt.json (run from the repo root: ``python bench/stt_bench.py``).

Data: the 80 dev clips in ``shared/data/speech`` (16 kHz, 0.3 s before and 0.6 s after the speech).
Word error rates normalize both sides the same way (``services.stt.wer``: lowercase, no punctuation,
digits as spoken words).

1. Recognizer variants (whole clips, one decode each, 1 worker x 2 threads, built like the service
   builds them): WER per rendition and decode time for Whisper tiny.en alone with a 1 s-rounded, 10 s
   and 30 s window, greedy, and with beam search (5), with and without the tenant prompt; the
   multilingual Whisper base (beam 5) with and without the prompt; a cascade (tiny.en finals below
   confidence 0.55 decoded again by base); tiny.en with telephone-band finals decoded by base (the
   default before Moonshine); Moonshine base alone; and the default, Moonshine base with
   telephone-band finals decoded by Whisper base (``VA_STT_NARROWBAND_MODEL``): numbers to choose
   with. ``finals_below_confidence_0.55`` counts a variant's own unsure results.
2. Streaming, the real service process over real gRPC, real-time clients (20 ms chunks sent when
   they would have been spoken, 0.6 s of the clip's own tail appended so the hangover can end every
   clip): all 80 clips over 4 concurrent lanes. WER of the finals per rendition; latencies measured
   at the client:
   - speech started: speech_started arrival - the moment the speech onset was spoken;
   - endpoint -> final: final arrival - speech_ended arrival (the hangover confirmed the end);
   - end of speech -> final: final arrival - the moment the last speech sample was spoken
     (includes the 500 ms hangover).
   A second pass streams 20 clips one at a time for uncontended latencies, then again at 8 kHz (what
   a phone gateway sends) and at 48 kHz (a browser), which the service resamples to 16 kHz. A last
   pass streams the 80 clips again to a server given the tenant's vocabulary (``VA_STT_PROMPT``).
3. Capacity: N concurrent real-time streams with partials (each lane streams 3 clips), N = 2, 4, 8,
   12, 16, 24; the largest N whose p95 endpoint -> final and end of speech -> final stay under 1 s.
4. VAD cost per 32 ms of audio (one thread; the service scores a 32 ms window every 16 ms by default) and the
   decode real-time factor.

``--quick``: only the default recognizer and tiny.en with base for telephone-band finals, and the
4-lane streaming pass; prints the report instead of writing it. The streamed server takes ``VA_STT_*``
from the environment (e.g. ``VA_STT_FALLBACK_MODEL=base`` to stream with the cascade,
``VA_STT_MODEL=tiny.en`` to stream with the former default).

The machine has 2 cores shared with other engineers' work: timings are noisy.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import soundfile
import soxr
from voiceagent.v1 import common_pb2, stt_pb2
from voiceagent.v1.stt_pb2_grpc import SpeechToTextStub

from services.stack.health import grpc_serving
from services.stack.processes import ManagedProcess, free_port, wait_until
from services.stt.config import SttSettings
from services.stt.engine import load_recognizer
from services.stt.models import MOONSHINE_BASE
from services.stt.vad import FRAME_SAMPLES, FrameScorer, SileroVad, VadStream
from services.stt.wer import word_errors

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "stt.json"
DATA = REPO_ROOT.parent / "shared" / "data" / "speech"
RATE = 16_000
CHUNK_S = 0.02
PIPER, ROBOTIC = ("piper-joe", "piper-joe-pink-snr15"), ("espeak-en-us", "espeak-en-gb-f3", "espeak-en-us-tel8k")
WER_TARGETS = {**dict.fromkeys(PIPER, 0.05), **dict.fromkeys(ROBOTIC, 0.15)}
CAPACITY_LEVELS = (2, 4, 8, 12, 16, 24)
INPUT_RATES = (8_000, 48_000)  # a phone gateway's and a browser's; the service resamples them to 16 kHz


@dataclass(frozen=True)
class Clip:
    name: str
    text: str
    voice: str
    audio: np.ndarray
    speech_start_s: float
    speech_end_s: float


def load_clips() -> list[Clip]:
    clips = []
    for line in (DATA / "manifest.jsonl").read_text().splitlines():
        item = json.loads(line)
        audio, rate = soundfile.read(DATA / item["audio"], dtype="float32")
        assert rate == RATE
        clips.append(
            Clip(item["audio"], item["text"], item["voice"], audio, item["speech_start_s"], item["speech_end_s"])
        )
    return clips


def metric(value: float, unit: str, target: float | None = None, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"value": round(value, 4), "unit": unit, **extra}
    if target is not None:
        result["target"] = f"<= {target}"
        result["pass"] = bool(value <= target)
    return result


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "max": round(float(array.max()), 1),
        "n": len(values),
    }


def wer_table(pairs: Sequence[tuple[Clip, str]], with_targets: bool) -> dict[str, Any]:
    errors: dict[str, list[int]] = {}
    for clip, text in pairs:
        count, words = word_errors(clip.text, text)
        tally = errors.setdefault(clip.voice, [0, 0])
        tally[0] += count
        tally[1] += words
    table = {
        voice: metric(e / n, "ratio", WER_TARGETS[voice] if with_targets else None, words=n)
        for voice, (e, n) in sorted(errors.items())
    }
    total_errors, total_words = (sum(v[i] for v in errors.values()) for i in (0, 1))
    table["overall"] = metric(total_errors / total_words, "ratio", words=total_words)
    return table


# 1. recognizer variants ------------------------------------------------------------------------------


DEFAULT_VARIANT = "moonshine-base_narrowband_base"
# A tenant prompt (VA_STT_PROMPT, set from a VoiceAgent's spec.sttVocabulary; none by default): the default
# tenant's name and the words of its knowledge base and booking flow, not of any test data.
TENANT_PROMPT = (
    "Leibniz University Institute. Admissions, tuition, scholarships, the library, visas. "
    "Book, cancel or reschedule an advising appointment, Monday to Friday."
)


def variant_settings() -> dict[str, SttSettings]:
    """Recognizers to compare, as service settings (the default one last)."""
    plain: dict[str, Any] = {  # every field a variant differs in, so that VA_STT_* variables do not leak in
        "stt_model": "tiny.en",
        "stt_fallback_model": "",
        "stt_narrowband_model": "",
        "stt_prompt": "",
        "stt_beam_size": 5,
        "stt_min_window_s": 10,
        "stt_decode_workers": 1,
        "stt_decode_threads": 2,
    }
    variants: dict[str, dict[str, Any]] = {
        "tiny.en_window_1s_beam_1": {**plain, "stt_min_window_s": 1, "stt_beam_size": 1},
        "tiny.en_window_10s_beam_1": {**plain, "stt_beam_size": 1},
        "tiny.en_window_30s_beam_1": {**plain, "stt_min_window_s": 30, "stt_beam_size": 1},
        "tiny.en_window_10s_beam_5": plain,
        "tiny.en_window_10s_beam_5_prompt": {**plain, "stt_prompt": TENANT_PROMPT},
        "base_window_10s_beam_5": {**plain, "stt_model": "base"},
        "base_window_10s_beam_5_prompt": {**plain, "stt_model": "base", "stt_prompt": TENANT_PROMPT},
        "cascade_tiny.en_to_base_below_0.55_prompt": {
            **plain,
            "stt_prompt": TENANT_PROMPT,
            "stt_fallback_model": "base",
            "stt_fallback_confidence": 0.55,
        },
        "tiny.en_window_10s_beam_5_narrowband_base": {**plain, "stt_narrowband_model": "base"},
        "moonshine-base": {**plain, "stt_model": "moonshine-base"},
        DEFAULT_VARIANT: {**plain, "stt_model": "moonshine-base", "stt_narrowband_model": "base"},
    }
    return {name: SttSettings(**overrides) for name, overrides in variants.items()}


def recognizer_variants(clips: list[Clip], names: Sequence[str] | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for key, settings in variant_settings().items():
        if names is not None and key not in names:
            continue
        recognizer = load_recognizer(settings)
        recognizer.transcribe(clips[0].audio, "en")  # warm-up
        pairs, times, confidences = [], [], []
        for clip in clips:
            started = time.perf_counter()
            recognition = recognizer.transcribe(clip.audio, "en")
            times.append((time.perf_counter() - started) * 1000.0)
            pairs.append((clip, recognition.text))
            confidences.append(recognition.confidence)
        audio_s = sum(len(c.audio) for c in clips) / RATE
        results[key] = {
            "wer": wer_table(pairs, with_targets=False),
            "decode_ms": percentiles(times),
            "real_time_factor": metric(sum(times) / 1000.0 / audio_s, "ratio"),
            "finals_below_confidence_0.55": sum(1 for c in confidences if c < 0.55),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
        print(f"  {key}: WER {results[key]['wer']['overall']['value']:.3f}, decode {percentiles(times)}", flush=True)
        del recognizer
    return results


def vad_cost(clips: list[Clip]) -> dict[str, Any]:
    """CPU per 32 ms of audio: one Silero window, and the service's hops (a window every 16 ms, the default, or 8)."""
    vad = SileroVad()
    scorers: dict[str, Callable[[], FrameScorer]] = {"silero_32ms_window": lambda: VadStream(vad)}
    scorers |= {f"service_{hop}ms_hop": SileroVad(hop_ms=hop).stream for hop in (16, 8)}
    results: dict[str, Any] = {}
    for name, make in scorers.items():
        steps = 0
        started = time.perf_counter()
        for clip in clips[:20]:
            stream = make()
            for start in range(0, len(clip.audio) - stream.samples + 1, stream.samples):
                stream.probability(clip.audio[start : start + stream.samples])
                steps += 1
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        per_32ms = elapsed_ms / steps * (FRAME_SAMPLES / stream.samples)
        results[name] = metric(
            per_32ms, "ms per 32 ms of audio", 0.5 if name.startswith("silero") else 1.0, steps=steps, threads=1
        )
    return results


# 2./3. streaming over gRPC ---------------------------------------------------------------------------


@dataclass
class StreamResult:
    clip: Clip
    finals: list[str] = field(default_factory=list)
    speech_started_ms: float | None = None
    endpoint_to_final_ms: list[float] = field(default_factory=list)
    end_of_speech_to_final_ms: list[float] = field(default_factory=list)
    server_after_endpoint_ms: list[float] = field(default_factory=list)
    partials: int = 0


def with_tail(clip: Clip) -> np.ndarray:
    """The clip plus 0.6 s of its own trailing non-speech (noise stays noise, silence stays silence)."""
    tail = clip.audio[-int(0.6 * RATE) :]
    return np.concatenate([clip.audio, tail])


async def stream_clip(stub: SpeechToTextStub, clip: Clip, partials: bool, rate: int = RATE) -> StreamResult:
    """Stream ``clip`` in real time at ``rate`` Hz (resampled from the file's 16 kHz first)."""
    loop = asyncio.get_running_loop()
    samples = with_tail(clip) if rate == RATE else soxr.resample(with_tail(clip), RATE, rate, quality="VHQ")
    audio = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    step = int(CHUNK_S * rate) * 2
    origin = loop.time() + 0.05  # sample at t seconds is available at origin + t (its chunk's end)

    async def requests() -> AsyncIterator[stt_pb2.StreamingRecognizeRequest]:
        audio_format = common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=rate)
        yield stt_pb2.StreamingRecognizeRequest(
            config=stt_pb2.RecognitionConfig(
                format=audio_format, language="en", session_id=f"bench-{clip.name}", disable_partials=not partials
            )
        )
        for index, start in enumerate(range(0, len(audio), step)):
            delay = origin + (index + 1) * CHUNK_S - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            yield stt_pb2.StreamingRecognizeRequest(audio=audio[start : start + step])

    result = StreamResult(clip)
    ended_at: float | None = None
    async for response in stub.StreamingRecognize(requests(), timeout=120):
        now = loop.time()
        kind = response.WhichOneof("event")
        if kind == "speech_started" and result.speech_started_ms is None:
            result.speech_started_ms = (now - (origin + clip.speech_start_s)) * 1000.0
        elif kind == "speech_ended":
            ended_at = now
        elif kind == "partial":
            result.partials += 1
        elif kind == "final":
            result.finals.append(response.final.text)
            stages = {stage.stage: stage.ms for stage in response.final.timing.stages}
            if ended_at is not None and "after_endpoint" in stages:
                result.endpoint_to_final_ms.append((now - ended_at) * 1000.0)
                result.end_of_speech_to_final_ms.append((now - (origin + clip.speech_end_s)) * 1000.0)
                result.server_after_endpoint_ms.append(stages["after_endpoint"])
    return result


async def run_lanes(address: str, lanes: list[list[Clip]], partials: bool, rate: int = RATE) -> list[StreamResult]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = SpeechToTextStub(channel)

        async def lane(clips: list[Clip]) -> list[StreamResult]:
            return [await stream_clip(stub, clip, partials, rate) for clip in clips]

        per_lane = await asyncio.gather(*(lane(clips) for clips in lanes))
    return [result for results in per_lane for result in results]


def streaming_wer(results: list[StreamResult], with_targets: bool) -> dict[str, Any]:
    """WER of each stream's finals, joined, against its clip's transcript."""
    return wer_table([(r.clip, " ".join(r.finals)) for r in results], with_targets)


def latency_summary(results: list[StreamResult]) -> dict[str, Any]:
    started = [r.speech_started_ms for r in results if r.speech_started_ms is not None]
    endpoint = [ms for r in results for ms in r.endpoint_to_final_ms]
    eos = [ms for r in results for ms in r.end_of_speech_to_final_ms]
    server = [ms for r in results for ms in r.server_after_endpoint_ms]
    by_voice: dict[str, list[float]] = {}
    for r in results:
        if r.speech_started_ms is not None:
            by_voice.setdefault(r.clip.voice, []).append(r.speech_started_ms)
    return {
        "speech_started_after_onset_ms": {
            **percentiles(started),
            "target": "p95 <= 100",
            "pass": bool(started) and float(np.percentile(started, 95)) <= 100,
            "by_rendition": {v: percentiles(ms) for v, ms in sorted(by_voice.items())},
        },
        "endpoint_to_final_ms": {
            **percentiles(endpoint),
            "target": "p50 <= 100",
            "pass": bool(endpoint) and float(np.percentile(endpoint, 50)) <= 100,
        },
        "end_of_speech_to_final_ms": percentiles(eos),
        "server_after_endpoint_ms": percentiles(server),
        "streams_without_final": sum(1 for r in results if not r.finals),
    }


def start_server(workers: int, threads: int, **settings: str) -> tuple[ManagedProcess, str]:
    """The stt service on a free port; ``settings`` are extra ``VA_*`` variables."""
    port = free_port()
    env = {
        **os.environ,
        **settings,
        "VA_GRPC_PORT": str(port),
        "VA_METRICS_PORT": "0",
        "VA_HOST": "127.0.0.1",
        "VA_STT_MAX_STREAMS": "64",
        "VA_STT_DECODE_WORKERS": str(workers),
        "VA_STT_DECODE_THREADS": str(threads),
        "VA_LOG_LEVEL": "WARNING",
    }
    log = Path("/tmp") / f"stt-bench-{port}.log"
    process = ManagedProcess("stt", [sys.executable, "-m", "services.stt"], log, env=env, cwd=REPO_ROOT).start()
    address = f"127.0.0.1:{port}"
    wait_until(lambda: grpc_serving(address), process, 120, "stt")
    return process, address


def capacity(address: str, clips: list[Clip]) -> dict[str, Any]:
    levels: dict[str, Any] = {}
    best_endpoint = best_eos = 0
    for level in CAPACITY_LEVELS:
        lanes = [[clips[(lane * 3 + k * 7) % len(clips)] for k in range(3)] for lane in range(level)]
        results = asyncio.run(run_lanes(address, lanes, partials=True))
        endpoint = [ms for r in results for ms in r.endpoint_to_final_ms]
        eos = [ms for r in results for ms in r.end_of_speech_to_final_ms]
        missing = sum(1 for r in results if not r.finals)
        endpoint_ok = bool(endpoint) and not missing and float(np.percentile(endpoint, 95)) < 1000
        eos_ok = bool(eos) and not missing and float(np.percentile(eos, 95)) < 1000
        levels[str(level)] = {
            "endpoint_to_final_ms": percentiles(endpoint),
            "end_of_speech_to_final_ms": percentiles(eos),
            "streams_without_final": missing,
            "partials_per_stream": round(statistics.mean(r.partials for r in results), 1),
        }
        print(f"  {level} streams: endpoint->final {percentiles(endpoint)}, eos->final {percentiles(eos)}", flush=True)
        best_endpoint = level if endpoint_ok else best_endpoint
        best_eos = level if eos_ok else best_eos
        if not endpoint_ok and not eos_ok:
            break
    return {
        "levels": levels,
        "streams_with_p95_endpoint_to_final_under_1s": metric(best_endpoint, "streams"),
        "streams_with_p95_end_of_speech_to_final_under_1s": metric(best_eos, "streams"),
        "note": "real-time streams with partials on one process, 2 shared cores; each lane streams 3 clips",
    }


def decoding_summary(server: SttSettings) -> str:
    whisper = (
        f"Whisper ({server.stt_compute_type}): features padded to >= {server.stt_min_window_s} s, finals beam "
        f"{server.stt_beam_size}, partials greedy on a 1 s-rounded window, <= 8 tokens/s + 10, no_repeat_ngram_size=3"
    )
    if server.stt_model != MOONSHINE_BASE:
        return whisper
    return f"Moonshine (int8 weights): greedy, 0.5 s of silence appended, <= 8 tokens/s + 10; {whisper}"


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    began = time.perf_counter()
    load_start = os.getloadavg()
    clips = load_clips()
    print(f"{len(clips)} clips", flush=True)
    results: dict[str, Any] = {}

    print("recognizer variants", flush=True)
    results["recognizer_variants"] = recognizer_variants(
        clips, (DEFAULT_VARIANT, "tiny.en_window_10s_beam_5_narrowband_base") if quick else None
    )
    if not quick:
        results["vad_cost_per_frame"] = vad_cost(clips)

    server = SttSettings()  # the streamed server's settings: the defaults, or VA_STT_* from the environment
    workers, threads = 2, 1
    process, address = start_server(workers, threads)
    try:
        print("streaming: 80 clips, 4 real-time lanes", flush=True)
        lanes = [clips[lane::4] for lane in range(4)]
        streamed = asyncio.run(run_lanes(address, lanes, partials=True))
        results["streaming_wer"] = streaming_wer(streamed, with_targets=True)
        results["streaming_latency_4_streams"] = latency_summary(streamed)
        if not quick:
            print("streaming: 20 clips, one at a time", flush=True)
            single = asyncio.run(run_lanes(address, [clips[::4]], partials=True))
            results["streaming_latency_1_stream"] = latency_summary(single)
            for rate in INPUT_RATES:
                print(f"streaming: the same 20 clips at {rate} Hz, one at a time", flush=True)
                resampled = asyncio.run(run_lanes(address, [clips[::4]], partials=True, rate=rate))
                results[f"streaming_1_stream_at_{rate}_hz"] = {
                    **latency_summary(resampled),
                    "wer": streaming_wer(resampled, with_targets=False),
                }
            print("capacity", flush=True)
            results["capacity"] = capacity(address, clips)
    finally:
        process.stop()
    if not quick:
        print("streaming: 80 clips, 4 real-time lanes, with the tenant's vocabulary", flush=True)
        process, address = start_server(workers, threads, VA_STT_PROMPT=TENANT_PROMPT)
        try:
            streamed = asyncio.run(run_lanes(address, lanes, partials=True))
            results["streaming_wer_with_tenant_vocabulary"] = streaming_wer(streamed, with_targets=True)
        finally:
            process.stop()
    results["decode_real_time_factor"] = results["recognizer_variants"][DEFAULT_VARIANT]["real_time_factor"]

    models = (
        f"; finals below confidence {server.stt_fallback_confidence} re-decoded by {server.stt_fallback_model}"
        if server.stt_fallback_model
        else ""
    )
    if server.stt_narrowband_model:
        models += f"; telephone-band finals decoded by {server.stt_narrowband_model}"
    report: dict[str, Any] = {
        "benchmark": "stt",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "load_average_start": [round(x, 2) for x in load_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "note": "2 cores shared with other engineers' work: timings are noisy",
        },
        "config": {
            "model": f"{server.stt_model}{models}",
            "decoding": decoding_summary(server),
            "prompt": server.stt_prompt or "none",
            "server": f"{workers} decode workers x {threads} thread, Silero VAD, hangover 500 ms, "
            "speculative decode 96 ms into a pause, partials every 500 ms (best effort)",
            "clients": "real time, 20 ms PCM16 chunks at 16 kHz (and 8 and 48 kHz where named)",
        },
        "results": results,
        "duration_s": round(time.perf_counter() - began, 1),
    }
    if quick:  # a partial run never replaces the full results
        print(json.dumps(report, indent=1))
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(results["streaming_wer"], indent=1))
    print(f"wrote {RESULTS} in {report['duration_s']} s")


if __name__ == "__main__":
    main()
