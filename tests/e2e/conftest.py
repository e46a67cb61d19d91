"""One real local stack for the whole e2e session, started the way a developer does: ``voiceagent up``.

``voiceagent up`` runs :class:`services.stack.stack.LocalStack` (real backends and
all six services) in a subprocess with its own state file; the tests read the
gateway URL and the generated dev key from the files it writes, and the last
test stops it with SIGINT and checks that nothing it started is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import numpy as np
import pytest
from voiceagent.v1 import common_pb2, stt_pb2, stt_pb2_grpc, tts_pb2, tts_pb2_grpc

from services.cli.client import GatewayClient
from services.stack.stack import StackInfo

START_TIMEOUT_S = 360.0
VOICEAGENT = str(Path(sys.executable).with_name("voiceagent"))


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    state_file: Path
    log_file: Path
    info: StackInfo
    api_key: str
    env: dict[str, str]
    descendants: set[int] = field(default_factory=set)

    def client(self) -> GatewayClient:
        return GatewayClient(self.info.gateway_url, self.api_key, timeout_s=60)

    def cli(self, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([VOICEAGENT, *args], env=self.env, capture_output=True, text=True, timeout=timeout_s)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def survivors(self) -> set[int]:
        """Processes started under ``voiceagent up`` that are still running."""
        return {pid for pid in self.descendants if alive(pid)}


def descendants_of(pid: int) -> set[int]:
    """Every process whose parent chain leads to ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    work = tmp_path_factory.mktemp("voiceagent-up")
    state_file, log_file = work / "stack.json", work / "up.log"
    env = {**os.environ, "VA_STACK_STATE": str(state_file), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("VA_API_KEY", None)
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [VOICEAGENT, "up", "--session-clock"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    key_file = state_file.with_name("dev-api-key")
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (state_file.exists() and key_file.exists()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"voiceagent up did not start:\n{log_file.read_text(errors='replace')[-4000:]}")
        time.sleep(0.5)
    running = RunningStack(process, state_file, log_file, StackInfo.load(state_file), key_file.read_text().strip(), env)
    running.descendants = descendants_of(process.pid)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def speak(stack: RunningStack):
    """Text → 16 kHz PCM16 speech from the stack's tts service (the caller's voice in these tests)."""
    channel = grpc.insecure_channel(stack.info.services["tts"].address)
    stub = tts_pb2_grpc.TextToSpeechStub(channel)

    def synthesize(text: str) -> bytes:
        request = tts_pb2.SynthesizeRequest(
            text=text, format=common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=16_000)
        )
        return b"".join(chunk.audio for chunk in stub.Synthesize(request, timeout=60))

    yield synthesize
    channel.close()


def split_at_pauses(pcm: bytes, rate: int = 16_000, min_pause_s: float = 0.25) -> list[bytes]:
    """Cut speech into its sentences at pauses (Whisper decodes are capped by length, sentences are not)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    frame = rate // 50
    energy = np.sqrt(np.mean(samples[: len(samples) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    quiet = energy < max(200.0, 0.05 * float(energy.max(initial=0.0)))
    pieces, start, run = [], 0, 0
    for index, silent in enumerate(quiet):
        run = run + 1 if silent else 0
        if run == int(min_pause_s * 50) and index - run > start:
            pieces.append(pcm[start * frame * 2 : (index + 1) * frame * 2])
            start = index + 1
        elif silent and run > int(min_pause_s * 50):
            start = index + 1
    if len(quiet) - start > 10:
        pieces.append(pcm[start * frame * 2 :])
    return pieces


@pytest.fixture(scope="session")
def transcribe(stack: RunningStack):
    """16 kHz PCM16 → text by the stack's stt service (to check what the agent said), sentence by sentence."""
    channel = grpc.insecure_channel(stack.info.services["stt"].address)
    stub = stt_pb2_grpc.SpeechToTextStub(channel)

    def recognize(pcm: bytes) -> str:
        texts = []
        for piece in split_at_pauses(pcm):
            request = stt_pb2.RecognizeRequest(
                audio=piece, format=common_pb2.AudioFormat(encoding=common_pb2.PCM16, sample_rate_hz=16_000)
            )
            texts.append(stub.Recognize(request, timeout=60).text.strip())
        return " ".join(texts)

    yield recognize
    channel.close()
