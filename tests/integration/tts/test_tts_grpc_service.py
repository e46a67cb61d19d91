"""The tts service as a real process over real gRPC, with real object storage (SeaweedFS S3)."""

from __future__ import annotations

import asyncio
import io
import random
import urllib.request
import wave
from collections.abc import AsyncIterator, Callable

import grpc
import numpy as np
import pytest
from minio import Minio
from voiceagent.v1 import common_pb2, tts_pb2
from voiceagent.v1.tts_pb2_grpc import TextToSpeechStub as Stub

from services.stack.backends import BackendEndpoints
from services.stack.processes import free_port
from tests.support.metrics import scrape_metrics

pytestmark = pytest.mark.integration
AGENT = "it/tts-grpc"
PREFIX = "it--tts-grpc/tts/"
# A loaded CI machine can take longer than the production lookup timeout (0.25 s) for one S3 GET, which the
# service rightly treats as a miss; these tests are about hits, so they give storage more time.
SERVICE_ENV = {"VA_AGENT": AGENT, "VA_ONNX_INTRA_OP_THREADS": "1", "VA_CACHE_LOOKUP_TIMEOUT_S": "10"}
REPLY = "Your appointment is on 2026-03-12 at 15:00. Please bring your student ID. See you then!"


@pytest.fixture(scope="module")
def address(start_service: Callable[..., str]) -> str:
    return start_service("tts", **SERVICE_ENV)


@pytest.fixture
async def stub(address: str) -> AsyncIterator[Stub]:
    async with grpc.aio.insecure_channel(address) as channel:
        yield Stub(channel)


@pytest.fixture(scope="module")
def s3(backends: BackendEndpoints) -> Minio:
    return Minio(
        backends.s3_endpoint, access_key=backends.s3_access_key, secret_key=backends.s3_secret_key, secure=False
    )


def fmt(
    encoding: common_pb2.AudioEncoding = common_pb2.PCM16, rate: int = 16000, channels: int = 0
) -> common_pb2.AudioFormat:
    return common_pb2.AudioFormat(encoding=encoding, sample_rate_hz=rate, channels=channels)


async def synthesize(
    stub: Stub, text: str, audio_format: common_pb2.AudioFormat | None = None, voice: str = ""
) -> list[tts_pb2.AudioChunk]:
    request = tts_pb2.SynthesizeRequest(text=text, voice=voice, format=audio_format or fmt(), session_id="it-tts")
    return [chunk async for chunk in stub.Synthesize(request, timeout=60)]


def unique_sentence() -> str:
    return f"Your booking reference is {random.randrange(10**7, 10**8)}."


def loudness(pcm16: bytes) -> float:
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def objects_under(s3: Minio, bucket: str, prefix: str) -> set[str]:
    return {o.object_name or "" for o in s3.list_objects(bucket, prefix=prefix, recursive=True)}


async def new_objects(s3: Minio, bucket: str, prefix: str, before: set[str], count: int) -> set[str]:
    """Cache writes are fire-and-forget: wait (bounded) until ``count`` new objects are there."""
    added: set[str] = set()
    for _ in range(100):
        added = objects_under(s3, bucket, prefix) - before
        if len(added) >= count:
            break
        await asyncio.sleep(0.05)
    return added


async def test_list_voices(stub: Stub) -> None:
    response = await stub.ListVoices(tts_pb2.ListVoicesRequest(), timeout=10)
    voices = {voice.name: voice for voice in response.voices}
    assert response.default_voice == "en_US-hibari-heart"
    heart, joe = voices["en_US-hibari-heart"], voices["en_US-joe-medium"]
    assert (heart.language, heart.engine, heart.native_sample_rate_hz) == ("en-US", "hibari", 24000)
    assert (joe.language, joe.engine, joe.native_sample_rate_hz) == ("en-US", "piper", 22050)
    assert voices["espeak-de"].engine == "espeak-ng" and voices["espeak-de"].language == "de"


async def test_audio_streams_sentence_by_sentence(stub: Stub) -> None:
    chunks = await synthesize(stub, REPLY)
    assert [c.sentence_index for c in chunks] == [0, 1, 2]
    assert [c.last for c in chunks] == [False, False, True]
    assert chunks[0].text == "Your appointment is on 2026-03-12 at 15:00."
    assert chunks[0].spoken_text == "Your appointment is on March twelfth at three PM."
    assert {c.voice for c in chunks} == {"en_US-hibari-heart"}
    for chunk in chunks:
        assert chunk.format.encoding == common_pb2.PCM16 and chunk.format.sample_rate_hz == 16000
        assert len(chunk.audio) / 32.0 == pytest.approx(chunk.duration_ms, abs=0.1)
        assert loudness(chunk.audio) > 300
        assert chunk.timing.total_ms > 0 and chunk.timing.stages
    assert chunks[0].timing.total_ms < chunks[-1].timing.total_ms


@pytest.mark.parametrize(
    ("audio_format", "bytes_per_ms"),
    [
        (fmt(common_pb2.PCM16, 8000), 16.0),
        (fmt(common_pb2.PCM16, 22050), 44.1),
        (fmt(common_pb2.PCM16, 24000), 48.0),
        (fmt(common_pb2.MULAW, 8000), 8.0),
        (fmt(common_pb2.MULAW, 0), 8.0),
        (fmt(common_pb2.AUDIO_ENCODING_UNSPECIFIED, 0), 48.0),
    ],
)
async def test_raw_formats(stub: Stub, audio_format: common_pb2.AudioFormat, bytes_per_ms: float) -> None:
    [chunk] = await synthesize(stub, "Thank you for calling.", audio_format)
    assert len(chunk.audio) / bytes_per_ms == pytest.approx(chunk.duration_ms, abs=0.2)
    assert 800 < chunk.duration_ms < 3000


async def test_wav_chunks_are_complete_files(stub: Stub) -> None:
    chunks = await synthesize(stub, "Hello. Goodbye.", fmt(common_pb2.WAV, 16000))
    assert len(chunks) == 2
    for chunk in chunks:
        with wave.open(io.BytesIO(chunk.audio)) as wav:
            assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
            assert wav.getnframes() / 16.0 == pytest.approx(chunk.duration_ms, abs=0.1)


async def test_a_repeated_sentence_streams_from_object_storage(
    stub: Stub, s3: Minio, backends: BackendEndpoints
) -> None:
    text = f"{unique_sentence()} Thanks for your patience."
    before = objects_under(s3, backends.s3_bucket, PREFIX)
    first = await synthesize(stub, text)
    assert not any(c.cached for c in first)
    added = await new_objects(s3, backends.s3_bucket, PREFIX, before, 2)
    assert len(added) >= 2  # an earlier test's fire-and-forget write may land in the same window
    assert all(name.startswith(PREFIX + "sentences/") and name.endswith(".pcm") for name in added)
    second = await synthesize(stub, text)
    assert [c.cached for c in second] == [True, True]
    assert [c.audio for c in second] == [c.audio for c in first]
    assert "synthesize" not in {stage.stage for stage in second[0].timing.stages}


async def test_synthesize_to_url_returns_a_fetchable_wav(stub: Stub) -> None:
    request = tts_pb2.SynthesizeRequest(text=f"{unique_sentence()} Goodbye.")
    first = await stub.SynthesizeToUrl(request, timeout=60)
    assert not first.cached and first.voice == "en_US-hibari-heart" and first.expires_in_s == 3600
    assert first.format.encoding == common_pb2.WAV and first.format.sample_rate_hz == 24000
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(first.url, timeout=10).read())
    with wave.open(io.BytesIO(body)) as wav:
        assert wav.getframerate() == 24000
        assert wav.getnframes() / 24.0 == pytest.approx(first.duration_ms, abs=0.1)
    second = await stub.SynthesizeToUrl(request, timeout=60)
    assert second.cached and second.cache_key == first.cache_key
    assert second.duration_ms == pytest.approx(first.duration_ms)


async def test_synthesize_to_url_in_a_raw_format(stub: Stub) -> None:
    request = tts_pb2.SynthesizeRequest(text="Press one for bookings.", format=fmt(common_pb2.MULAW, 8000))
    response = await stub.SynthesizeToUrl(request, timeout=60)
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(response.url, timeout=10).read())
    assert len(body) / 8.0 == pytest.approx(response.duration_ms, abs=0.2)


async def test_the_piper_voice_can_be_chosen(stub: Stub) -> None:
    chunks = await synthesize(stub, "Thank you. Goodbye.", voice="en_US-joe-medium")
    assert len(chunks) == 2 and {c.voice for c in chunks} == {"en_US-joe-medium"}
    assert all(loudness(c.audio) > 300 for c in chunks)


async def test_an_espeak_voice_can_be_chosen(stub: Stub) -> None:
    chunks = await synthesize(stub, "Guten Tag. Wie kann ich helfen?", voice="espeak-de")
    assert len(chunks) == 2 and {c.voice for c in chunks} == {"espeak-de"}
    assert all(loudness(c.audio) > 300 for c in chunks)


@pytest.mark.parametrize(
    ("text", "voice", "audio_format", "message"),
    [
        ("", "", fmt(), "text is empty"),
        ("   ", "", fmt(), "text is empty"),
        ("x" * 5001, "", fmt(), "5001 characters long; the limit is 5000"),
        ("Hello.", "nobody", fmt(), "unknown voice 'nobody'"),
        ("Hello.", "", fmt(common_pb2.PCM16, 44100), "44100 Hz is not supported"),
        ("Hello.", "", fmt(common_pb2.MULAW, 16000), "MULAW audio is 8000 Hz"),
        ("Hello.", "", fmt(common_pb2.FLAC, 16000), "'flac' is not supported"),
        ("Hello.", "", fmt(common_pb2.PCM16, 16000, channels=2), "only mono"),
        ("?!?", "", fmt(), "nothing to speak"),
    ],
)
async def test_bad_input_is_rejected_and_the_service_keeps_serving(
    stub: Stub, text: str, voice: str, audio_format: common_pb2.AudioFormat, message: str
) -> None:
    request = tts_pb2.SynthesizeRequest(text=text, voice=voice, format=audio_format)
    with pytest.raises(grpc.aio.AioRpcError) as streamed:
        _ = [chunk async for chunk in stub.Synthesize(request, timeout=10)]
    assert streamed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (streamed.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as unary:
        await stub.SynthesizeToUrl(request, timeout=10)
    assert unary.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(await synthesize(stub, "Still here.")) == 1


async def test_a_deadline_stops_a_long_reply_and_the_service_keeps_serving(stub: Stub) -> None:
    text = " ".join(f"This is sentence number {n} of a long answer." for n in range(40))
    request = tts_pb2.SynthesizeRequest(text=text, format=fmt())
    received = 0
    with pytest.raises(grpc.aio.AioRpcError) as error:
        async for _chunk in stub.Synthesize(request, timeout=0.5):
            received += 1
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert received < 40
    assert len(await synthesize(stub, "Still here.")) == 1


async def test_the_cache_survives_a_restart(
    stub: Stub, start_service: Callable[..., str], s3: Minio, backends: BackendEndpoints
) -> None:
    text = unique_sentence()
    before = objects_under(s3, backends.s3_bucket, PREFIX)
    await synthesize(stub, text)
    assert len(await new_objects(s3, backends.s3_bucket, PREFIX, before, 1)) == 1
    restarted = start_service("tts", **SERVICE_ENV)
    async with grpc.aio.insecure_channel(restarted) as channel:
        [chunk] = await synthesize(Stub(channel), text)
    assert chunk.cached


async def test_without_object_storage_streams_work_and_urls_are_unavailable(start_service: Callable[..., str]) -> None:
    metrics_port = free_port()
    address = start_service(
        "tts", **SERVICE_ENV, VA_S3_ENDPOINT=f"127.0.0.1:{free_port()}", VA_METRICS_PORT=str(metrics_port)
    )
    async with grpc.aio.insecure_channel(address) as channel:
        stub = Stub(channel)
        chunks = await synthesize(stub, REPLY)
        assert len(chunks) == 3 and not any(c.cached for c in chunks)
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.SynthesizeToUrl(tts_pb2.SynthesizeRequest(text="Hello."), timeout=30)
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "object storage is unavailable" in (error.value.details() or "")
    metrics = await scrape_metrics(metrics_port)
    assert 'voiceagent_tts_cache_errors_total{operation="connect"}' in metrics
    assert 'voiceagent_cache_lookups_total{cache="audio",component="tts",result="unavailable"} 3.0' in metrics
