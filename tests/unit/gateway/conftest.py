"""In-memory collaborators of the gateway's engine, conversation and HTTP layer (unit tests only)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.common.errors import BackendUnavailable, NotFound, ResourceExhausted
from services.gateway.limits import RateLimited
from services.gateway.ports import (
    Answer,
    AudioPiece,
    BookingTurn,
    IntentResult,
    OutputFormat,
    Source,
    SpeechEvent,
    SynthesizedUrl,
)
from services.gateway.sessions import Session


class FakeIntent:
    """Intent by keyword table; ``down`` makes it unavailable."""

    def __init__(self, table: dict[str, IntentResult] | None = None, delay_s: float = 0.0) -> None:
        self.table = table or {}
        self.delay_s = delay_s
        self.down = False
        self.calls: list[dict[str, str]] = []
        self.finished_at = 0.0

    async def classify(
        self, text: str, session_id: str, previous_intent: str, expecting: str, now: str
    ) -> IntentResult:
        self.calls.append({"text": text, "previous_intent": previous_intent, "expecting": expecting, "now": now})
        await asyncio.sleep(self.delay_s)
        self.finished_at = time.perf_counter()
        if self.down:
            raise BackendUnavailable("intent is unavailable")
        for keyword, result in self.table.items():
            if keyword in text.lower():
                return result
        return IntentResult("OUT_OF_SCOPE", 0.5)


class FakeKnowledge:
    def __init__(self, answer: Answer | None = None, delay_s: float = 0.0) -> None:
        self.answer = answer or Answer(
            "The library opens at 8 am.", True, 0.9, (Source("library/opening-hours.md", "Hours", "library", 0.8),)
        )
        self.delay_s = delay_s
        self.down = False
        self.started_at: float | None = None
        self.cancelled = False

    async def query(self, text: str, session_id: str) -> Answer:
        self.started_at = time.perf_counter()
        try:
            await asyncio.sleep(self.delay_s)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.down:
            raise BackendUnavailable("rag is unavailable")
        return self.answer


class FakeBooking:
    """A tiny flow: start asks for a date, a date turn asks for a time, a time turn completes."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.cancelled: list[str] = []
        self.flows: set[str] = set()

    async def start(self, session_id: str, text: str, now: str) -> BookingTurn:
        self.calls.append(("start", {"text": text, "now": now}))
        self._check()
        self.flows.add(session_id)
        return BookingTurn("Which day would you like?", "WAITING_FOR_DATE", "preferred_date")

    async def process_turn(
        self, session_id: str, text: str, now: str, intent: str, entities: dict[str, str]
    ) -> BookingTurn:
        self.calls.append(("turn", {"text": text, "now": now, "intent": intent, "entities": entities}))
        self._check()
        if session_id not in self.flows:
            raise NotFound(f"no booking dialogue for session {session_id!r}")
        if "time" in entities:
            return BookingTurn(
                "You're booked.", "COMPLETED", "", {"preferred_time": entities["time"]}, {"code": "ABC123"}
            )
        return BookingTurn("What time?", "WAITING_FOR_TIME", "preferred_time")

    async def cancel(self, session_id: str) -> None:
        self.cancelled.append(session_id)

    def _check(self) -> None:
        if self.down:
            raise BackendUnavailable("fsm is unavailable")


class FakeSynthesizer:
    """Each sentence becomes ``seconds_per_sentence`` of PCM16 audio, delivered after ``delay_s``."""

    def __init__(self, seconds_per_sentence: float = 0.3, delay_s: float = 0.0) -> None:
        self.seconds_per_sentence = seconds_per_sentence
        self.delay_s = delay_s
        self.down = False
        self.closed = False
        self.requests: list[str] = []

    async def stream(
        self, text: str, voice: str, output: OutputFormat, session_id: str
    ) -> AsyncGenerator[AudioPiece, None]:
        self.requests.append(text)
        if self.down:
            raise BackendUnavailable("tts is unavailable")
        sentences = [s for s in text.split(". ") if s]
        try:
            for index, sentence in enumerate(sentences):
                await asyncio.sleep(self.delay_s)
                audio = bytes([index + 1]) * int(output.bytes_per_second * self.seconds_per_sentence)
                yield AudioPiece(audio, index, sentence, index == len(sentences) - 1, {"synthesize": 5.0 * (index + 1)})
        finally:
            self.closed = True

    async def to_url(self, text: str, voice: str, session_id: str) -> SynthesizedUrl:
        if self.down:
            raise BackendUnavailable("tts is unavailable")
        return SynthesizedUrl("http://s3.local/audio/reply.wav", 1234.0)


class ScriptedRecognizer:
    """Emits the events the test pushes; consumes (and counts) the audio it is given."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[SpeechEvent | None] = asyncio.Queue()
        self.down = False
        self.audio_bytes = 0
        self.sample_rate_hz = 0
        self.partials = True
        self.streams = 0

    def push(self, kind: str, text: str = "", **timings: float) -> None:
        self.events.put_nowait(SpeechEvent(kind, text, timings=dict(timings)))

    def end(self) -> None:
        self.events.put_nowait(None)

    async def stream(
        self, audio: AsyncIterator[bytes], sample_rate_hz: int, session_id: str, silence_ms: int, partials: bool
    ) -> AsyncGenerator[SpeechEvent, None]:
        self.sample_rate_hz = sample_rate_hz
        self.partials = partials
        self.streams += 1
        if self.down:
            raise BackendUnavailable("stt is unavailable")

        async def drain() -> None:
            async for frame in audio:
                self.audio_bytes += len(frame)

        draining = asyncio.create_task(drain())
        try:
            while (event := await self.events.get()) is not None:
                yield event
        finally:
            draining.cancel()


@dataclass
class RecordingSink:
    events: list[dict[str, Any]] = field(default_factory=list)
    frames: list[tuple[float, bytes]] = field(default_factory=list)

    async def send_event(self, event: dict[str, Any]) -> None:
        self.events.append({**event, "at": time.perf_counter()})

    async def send_audio(self, frame: bytes) -> None:
        self.frames.append((time.perf_counter(), frame))

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]

    def states(self) -> list[str]:
        return [event["state"] for event in self.events if event["type"] == "state"]

    def first(self, kind: str) -> dict[str, Any]:
        return next(event for event in self.events if event["type"] == kind)

    async def wait_for(self, kind: str, timeout_s: float = 2.0) -> dict[str, Any]:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            for event in self.events:
                if event["type"] == kind:
                    return event
            await asyncio.sleep(0.005)
        raise AssertionError(f"no {kind} event; got {self.types()}")


class InMemorySessionStore:
    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}
        self.histories: dict[str, list[dict[str, Any]]] = {}

    async def create(self, session: Session) -> None:
        self.sessions[session.id] = session.to_json()

    async def get(self, session_id: str) -> Session:
        if session_id not in self.sessions:
            raise NotFound(f"session {session_id} does not exist or has expired")
        return Session.from_json(self.sessions[session_id])

    async def save(self, session: Session) -> None:
        self.sessions[session.id] = session.to_json()

    async def append_history(self, session_id: str, entries: list[dict[str, Any]]) -> None:
        self.histories.setdefault(session_id, []).extend(entries)

    async def history(self, session_id: str) -> list[dict[str, Any]]:
        return list(self.histories.get(session_id, []))

    async def delete(self, session_id: str) -> bool:
        self.histories.pop(session_id, None)
        return self.sessions.pop(session_id, None) is not None


class CountingLimiter:
    def __init__(self, per_minute: int = 1000) -> None:
        self.per_minute = per_minute
        self.counts: dict[str, int] = {}

    async def hit(self, key_name: str) -> None:
        self.counts[key_name] = self.counts.get(key_name, 0) + 1
        if self.counts[key_name] > self.per_minute:
            raise RateLimited("rate limit exceeded", 42)


class LimitedSlots:
    lease_s = 60

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self.held: dict[str, set[str]] = {}

    async def acquire(self, key_name: str, connection_id: str) -> None:
        held = self.held.setdefault(key_name, set())
        if connection_id not in held and len(held) >= self.limit:
            raise ResourceExhausted("too many live conversations")
        held.add(connection_id)

    async def release(self, key_name: str, connection_id: str) -> None:
        self.held.get(key_name, set()).discard(connection_id)


INTENTS = {
    "hello": IntentResult("GREETING", 0.99),
    "library": IntentResult("RAG_QUERY", 0.9),
    "how long": IntentResult("RAG_QUERY", 0.9),
    "book": IntentResult("APPOINTMENT_SCHEDULING", 0.95, {"date": "2026-03-05"}),
    "thursday": IntentResult("APPOINTMENT_SCHEDULING", 0.9, {"date": "2026-03-05"}),
    "ten": IntentResult("APPOINTMENT_SCHEDULING", 0.9, {"time": "10:00"}),
    "again": IntentResult("REPEAT", 0.9),
    "yes": IntentResult("AFFIRM", 0.9),
    "bye": IntentResult("GOODBYE", 0.9),
    "cancel my": IntentResult("APPOINTMENT_CANCEL", 0.9),
}


@pytest.fixture
def intent() -> FakeIntent:
    return FakeIntent(dict(INTENTS))


@pytest.fixture
def knowledge() -> FakeKnowledge:
    return FakeKnowledge()


@pytest.fixture
def booking() -> FakeBooking:
    return FakeBooking()


@pytest.fixture
def synthesizer() -> FakeSynthesizer:
    return FakeSynthesizer()


@pytest.fixture
def recognizer() -> ScriptedRecognizer:
    return ScriptedRecognizer()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def store() -> InMemorySessionStore:
    return InMemorySessionStore()


@pytest.fixture
def limiter() -> CountingLimiter:
    return CountingLimiter()


@pytest.fixture
def slots() -> LimitedSlots:
    return LimitedSlots(limit=1)


SessionFactory = Callable[..., Session]


@pytest.fixture
def new_session() -> SessionFactory:
    def make(clock: str = "2026-03-02T10:00:00", owner: str = "tenant-a") -> Session:
        return Session(id="s1", owner=owner, clock=clock)

    return make
