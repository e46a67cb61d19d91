"""The stt service as a real process over real gRPC: streaming, whole files, limits, bad input."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import grpc
import numpy as np
import pytest
import soundfile
import soxr
from voiceagent.v1 import common_pb2, stt_pb2
from voiceagent.v1.stt_pb2_grpc import SpeechToTextStub as Stub

from services.stack.processes import free_port
from services.stt.wer import word_errors
from tests.support.metrics import scrape_metrics
from tests.support.speech import pcm16, silence, speech

pytestmark = pytest.mark.integration

FIRST = "i would like to book an appointment with my advisor"
SECOND = "is the library open on sunday"
CHUNK_MS = 100


@pytest.fixture(scope="module")
def metrics_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def address(start_service: Callable[..., str], metrics_port: int) -> str:
    """An unthrottled server (clients may stream faster than real time) with short limits."""
    return start_service(
        "stt",
        VA_METRICS_PORT=str(metrics_port),
        VA_STT_RATE_LIMIT="off",
        VA_STT_IDLE_TIMEOUT_S="2",
        VA_STT_MAX_STREAM_S="20",
        VA_STT_DECODE_WORKERS="2",
        VA_STT_DECODE_THREADS="1",
    )


@pytest.fixture(scope="module")
def strict_address(start_service: Callable[..., str]) -> str:
    """The production defaults for pacing (reject beyond a burst) and a small stream limit."""
    return start_service("stt", VA_STT_BURST_MS="2000", VA_STT_MAX_STREAMS="2")


@pytest.fixture
async def stub(address: str) -> AsyncIterator[Stub]:
    async with grpc.aio.insecure_channel(address) as channel:
        yield Stub(channel)


@pytest.fixture
async def strict_stub(strict_address: str) -> AsyncIterator[Stub]:
    async with grpc.aio.insecure_channel(strict_address) as channel:
        yield Stub(channel)


@pytest.fixture(scope="module")
def first_audio() -> np.ndarray:
    return speech(FIRST)


@pytest.fixture(scope="module")
def second_audio() -> np.ndarray:
    return speech(SECOND)


def config(
    rate: int = 16000, encoding: common_pb2.AudioEncoding = common_pb2.PCM16, **kwargs: Any
) -> stt_pb2.StreamingRecognizeRequest:
    audio_format = common_pb2.AudioFormat(encoding=encoding, sample_rate_hz=rate)
    return stt_pb2.StreamingRecognizeRequest(
        config=stt_pb2.RecognitionConfig(format=audio_format, language="en", session_id="it-stt", **kwargs)
    )


def audio_requests(
    audio: np.ndarray,
    rate: int = 16000,
    chunk_ms: int = CHUNK_MS,
) -> list[stt_pb2.StreamingRecognizeRequest]:
    if rate != 16000:
        audio = soxr.resample(audio, 16000, rate).astype(np.float32)
    data = pcm16(audio)
    step = rate * 2 * chunk_ms // 1000
    return [stt_pb2.StreamingRecognizeRequest(audio=data[i : i + step]) for i in range(0, len(data), step)]


async def paced(
    requests: Iterable[stt_pb2.StreamingRecognizeRequest], interval_s: float = 0.0, then_wait_s: float = 0.0
) -> AsyncIterator[stt_pb2.StreamingRecognizeRequest]:
    for request in requests:
        yield request
        if interval_s:
            await asyncio.sleep(interval_s)
    await asyncio.sleep(then_wait_s)


async def stream(
    stub: Stub,
    requests: AsyncIterator[stt_pb2.StreamingRecognizeRequest],
) -> list[stt_pb2.StreamingRecognizeResponse]:
    return [response async for response in stub.StreamingRecognize(requests, timeout=60)]


def finals(responses: list[stt_pb2.StreamingRecognizeResponse]) -> list[stt_pb2.Transcript]:
    return [r.final for r in responses if r.WhichOneof("event") == "final"]


def assert_heard(reference: str, text: str, max_errors: int = 1) -> None:
    errors, _ = word_errors(reference, text)
    assert errors <= max_errors, f"heard {text!r} for {reference!r}"


async def test_a_real_time_stream_gets_events_in_order(stub: Stub, first_audio: np.ndarray) -> None:
    requests = [config(), *audio_requests(np.concatenate([first_audio, silence(0.8)]))]
    responses = await stream(stub, paced(requests, interval_s=CHUNK_MS / 1000))
    kinds = [r.WhichOneof("event") for r in responses]
    assert kinds[0] == "speech_started" and kinds[-2:] == ["speech_ended", "final"]
    assert kinds.count("partial") >= 3  # about every 500 ms of a 3 s sentence
    started, final = responses[0].speech_started, responses[-1].final
    assert 250 <= started.audio_offset_ms <= 450  # speech begins after 300 ms of silence
    assert_heard(FIRST, final.text)
    assert 0.3 < final.confidence <= 1.0 and final.utterance_index == 0
    assert final.start_ms == started.audio_offset_ms and final.end_ms > final.start_ms
    stages = {stage.stage for stage in final.timing.stages}
    assert {"queue", "decode", "after_endpoint"} <= stages


async def test_tentative_results_come_during_the_hangover_and_match_the_final(
    stub: Stub, first_audio: np.ndarray
) -> None:
    requests = [config(tentative_results=True), *audio_requests(np.concatenate([first_audio, silence(0.8)]))]
    responses = await stream(stub, paced(requests, interval_s=CHUNK_MS / 1000))
    kinds = [r.WhichOneof("event") for r in responses if r.WhichOneof("event") != "partial"]
    assert kinds == ["speech_started", "tentative", "speech_ended", "final"]
    tentative = next(r.tentative for r in responses if r.WhichOneof("event") == "tentative")
    assert tentative.text == responses[-1].final.text and tentative.utterance_index == 0
    assert {stage.stage for stage in tentative.timing.stages} == {"queue", "decode"}


async def narrowband_finals(metrics_port: int) -> float:
    metrics = await scrape_metrics(metrics_port)
    [line] = [line for line in metrics.splitlines() if line.startswith("voiceagent_stt_narrowband_finals_total ")]
    return float(line.split()[1])


@pytest.mark.parametrize(("rate", "narrowband"), [(8000, 1), (16000, 0), (48000, 0)])
async def test_phone_calls_at_8khz_are_decoded_by_the_narrowband_model(
    stub: Stub, metrics_port: int, first_audio: np.ndarray, rate: int, narrowband: int
) -> None:
    """Every rate is resampled and heard; only the 8 kHz call's final goes to Whisper base."""
    before = await narrowband_finals(metrics_port)
    requests = [config(rate=rate, disable_partials=True), *audio_requests(first_audio, rate)]
    responses = await stream(stub, paced(requests))
    assert [r.WhichOneof("event") for r in responses] == ["speech_started", "speech_ended", "final"]
    assert_heard(FIRST, responses[-1].final.text)
    assert await narrowband_finals(metrics_port) == before + narrowband


async def test_one_stream_carries_several_utterances(
    stub: Stub, first_audio: np.ndarray, second_audio: np.ndarray
) -> None:
    audio = np.concatenate([first_audio, silence(0.5), second_audio])
    responses = await stream(stub, paced([config(disable_partials=True), *audio_requests(audio)]))
    texts = finals(responses)
    assert [t.utterance_index for t in texts] == [0, 1]
    assert_heard(FIRST, texts[0].text)
    assert_heard(SECOND, texts[1].text)
    assert texts[0].end_ms < texts[1].start_ms


async def test_a_custom_hangover_joins_a_pause(stub: Stub, first_audio: np.ndarray, second_audio: np.ndarray) -> None:
    audio = np.concatenate([first_audio, second_audio])  # about 1.1 s of pause between the two
    requests = [config(disable_partials=True, silence_hangover_ms=2000), *audio_requests(audio)]
    texts = finals(await stream(stub, paced(requests)))
    assert len(texts) == 1
    assert_heard(f"{FIRST} {SECOND}", texts[0].text, max_errors=2)


async def test_silence_only_and_empty_audio_end_cleanly(stub: Stub) -> None:
    assert await stream(stub, paced([config(), *audio_requests(silence(2.0))])) == []
    assert await stream(stub, paced([config()])) == []


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([], "empty stream"),
        ([stt_pb2.StreamingRecognizeRequest(audio=b"\x00\x00")], "first message must carry config"),
        ([config(rate=22050)], "unsupported sample rate"),
        ([config(encoding=common_pb2.MULAW, rate=8000)], "unsupported encoding"),
        ([config(), stt_pb2.StreamingRecognizeRequest(audio=b"\x00\x00\x00")], "even number of bytes"),
        ([config(), config()], "only the first message may carry config"),
        ([config(max_utterance_ms=90_000)], "max_utterance_ms"),
    ],
)
async def test_bad_streams_are_invalid_argument_and_the_server_keeps_serving(
    stub: Stub, requests: list[stt_pb2.StreamingRecognizeRequest], message: str, first_audio: np.ndarray
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream(stub, paced(requests))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (caught.value.details() or "")
    assert_heard(FIRST, (await recognize(stub, wav(first_audio), common_pb2.WAV)).text)


async def test_an_idle_stream_is_closed(stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream(stub, paced([config(), *audio_requests(silence(0.2))], then_wait_s=4.0))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "idle timeout" in (caught.value.details() or "")


async def test_an_endless_stream_is_cut_after_its_last_final(stub: Stub, first_audio: np.ndarray) -> None:
    audio = np.concatenate([first_audio, silence(1.0)] * 8)  # ~36 s, beyond the 20 s limit
    received: list[stt_pb2.StreamingRecognizeResponse] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        # Sent in 2 s messages, so that the client has finished writing when the server ends the call.
        requests = [config(disable_partials=True), *audio_requests(audio, chunk_ms=2000)]
        async for response in stub.StreamingRecognize(paced(requests, then_wait_s=10.0), timeout=60):
            received.append(response)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "maximum duration" in (caught.value.details() or "")
    assert len(finals(received)) >= 4


async def test_concurrent_streams_are_all_served(stub: Stub, first_audio: np.ndarray, second_audio: np.ndarray) -> None:
    async def one(audio: np.ndarray) -> list[stt_pb2.Transcript]:
        requests = [config(), *audio_requests(np.concatenate([audio, silence(0.8)]))]
        return finals(await stream(stub, paced(requests, interval_s=0.05)))

    results = await asyncio.gather(*(one(first_audio if i % 2 else second_audio) for i in range(6)))
    for i, texts in enumerate(results):
        assert len(texts) == 1
        assert_heard(FIRST if i % 2 else SECOND, texts[0].text)


async def test_faster_than_real_time_is_rejected_but_a_burst_is_fine(
    strict_stub: Stub, first_audio: np.ndarray
) -> None:
    burst = [config(disable_partials=True), *audio_requests(np.concatenate([silence(0.5), first_audio[:16000]]))]
    responses = await stream(strict_stub, paced(burst))  # 1.5 s at once: within the 2 s burst
    assert responses[0].WhichOneof("event") == "speech_started"

    flood = [config(), stt_pb2.StreamingRecognizeRequest(audio=pcm16(np.concatenate([first_audio] * 4)))]
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # ~13 s in one message; the client then waits
        await stream(strict_stub, paced(flood, then_wait_s=5.0))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "faster than real time" in (caught.value.details() or "")


async def test_streams_beyond_the_limit_are_refused_while_others_continue(
    strict_stub: Stub, first_audio: np.ndarray
) -> None:
    requests = [config(disable_partials=True), *audio_requests(np.concatenate([first_audio, silence(0.8)]))]
    admitted = [
        asyncio.ensure_future(stream(strict_stub, paced(requests, interval_s=CHUNK_MS / 1000))) for _ in range(2)
    ]
    await asyncio.sleep(0.5)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream(strict_stub, paced(requests[:1], then_wait_s=5.0))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    for responses in await asyncio.gather(*admitted):
        assert_heard(FIRST, finals(responses)[0].text)


def wav(audio: np.ndarray, fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, 16000, format=fmt, subtype="PCM_16")
    return buffer.getvalue()


async def recognize(
    stub: Stub, data: bytes, encoding: common_pb2.AudioEncoding, rate: int = 0
) -> stt_pb2.RecognizeResponse:
    request = stt_pb2.RecognizeRequest(
        audio=data, format=common_pb2.AudioFormat(encoding=encoding, sample_rate_hz=rate), language="en"
    )
    return await stub.Recognize(request, timeout=60)


async def test_recognize_whole_files(stub: Stub, first_audio: np.ndarray, second_audio: np.ndarray) -> None:
    both = np.concatenate([first_audio, silence(0.5), second_audio])
    flac = await recognize(stub, wav(both, "FLAC"), common_pb2.FLAC)
    assert_heard(f"{FIRST} {SECOND}", flac.text, max_errors=2)
    assert len(flac.utterances) == 2 and flac.duration_ms == pytest.approx(len(both) / 16, abs=1)
    assert {stage.stage for stage in flac.timing.stages} == {"decode_audio", "vad", "recognize"}
    raw = soxr.resample(first_audio, 16000, 8000).astype(np.float32)
    assert_heard(FIRST, (await recognize(stub, pcm16(raw), common_pb2.PCM16, 8000)).text)
    assert (await recognize(stub, wav(silence(2.0)), common_pb2.WAV)).text == ""


@pytest.mark.parametrize(
    ("data", "encoding", "rate", "message"),
    [
        (b"", common_pb2.WAV, 0, "empty"),
        (b"<html>not audio</html>", common_pb2.WAV, 0, "not a readable WAV"),
        (b"<html>not audio</html>", common_pb2.FLAC, 0, "not a readable FLAC"),
        (b"\x00\x01\x02", common_pb2.PCM16, 16000, "even number of bytes"),
        (b"\x00\x01", common_pb2.PCM16, 0, "sample_rate_hz"),
    ],
)
async def test_bad_files_are_invalid_argument(
    stub: Stub, data: bytes, encoding: common_pb2.AudioEncoding, rate: int, message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognize(stub, data, encoding, rate)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (caught.value.details() or "")
